// The daemon's metrics: counters, gauges and one histogram, kept in atomics
// (and, for the per-tag and per-state families, small maps under a mutex)
// and rendered in the Prometheus text exposition format (version 0.0.4) for
// GET /metrics.
//
// Threads: every member may be called from any thread. The fetch side
// counts on the io thread, tagging on the parse pool, articles and events on
// the storage thread, and a scrape renders on the HTTP endpoint's worker.
// A scrape reads each value atomically, not all of them at one instant:
// a poll that completes during a scrape may show in one family and not yet
// in another.
//
//   Metrics m;
//   m.CountFetch(result);                    // one finished transfer
//   m.CountArticles(3, 1, 12);
//   std::string text = m.Render();           // "# HELP assay_fetches_total ..."
//
// Families, all prefixed assay_:
//   fetches_total{outcome}                   ok, not_modified, http_error,
//                                            timeout, network, too_large,
//                                            forbidden_address, bad_redirect
//   fetch_duration_seconds                   histogram of transfer times
//   fetch_body_bytes_total                   decoded body bytes received
//   parse_errors_total                       bodies that did not parse
//   articles_total{change}                   new, updated, duplicate
//   events_total{tag}                        events written, per tag
//   rule_evaluation_seconds_total            time spent tagging
//   rule_evaluations_total                   articles tagged
//   store_errors_total                       polls whose write failed
//   feeds, feeds_failing                     gauges, set by the service
//   store_size_bytes                         gauge, set before each scrape
//   alerts{state}                            gauge per alert state
//   outbox_depth                             notifications not yet delivered
//   outbox_oldest_pending_age_seconds        age of the oldest of them
#ifndef ASSAY_DAEMON_METRICS_H_
#define ASSAY_DAEMON_METRICS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/fetcher.h"

namespace assay::daemon {

// A cumulative histogram with fixed upper bounds (plus +Inf).
// Thread-safe; Observe() is lock-free.
class Histogram {
 public:
  // `bounds` ascending, finite.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> buckets_;  // per bound, then +Inf; not cumulative
  std::atomic<double> sum_{0};
};

// The label of assay_fetches_total for a finished transfer; empty for a
// cancelled one (not counted).
std::string_view FetchOutcomeLabel(const FetchResult& r);

class Metrics {
 public:
  // The alert states pre-declared at 0, so that the family exists before
  // the first alert.
  static constexpr std::array<std::string_view, 2> kAlertStates = {"firing", "resolved"};

  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // --- fetch side (pipeline, io thread) ---
  // One finished transfer: its outcome, duration and body bytes. A cancelled
  // transfer counts nothing.
  void CountFetch(const FetchResult& r);
  void CountParseError() { parse_errors_.fetch_add(1, std::memory_order_relaxed); }

  // --- tagging and storing (pipeline) ---
  void CountRuleEvaluation(std::chrono::nanoseconds elapsed, size_t articles);
  void CountArticles(size_t new_articles, size_t updated, size_t duplicate);
  // One event written, with its tags.
  void CountEvent(const std::vector<std::string>& tags);
  void CountStoreError() { store_errors_.fetch_add(1, std::memory_order_relaxed); }

  // --- gauges (service, endpoint) ---
  void SetFeeds(size_t configured, size_t failing);
  void SetStoreSize(uint64_t bytes) { store_size_.store(bytes, std::memory_order_relaxed); }

  // --- alert delivery hooks ---
  // The number of alerts in `state` ("firing", "resolved", or any other
  // state the alert engine reports). Until something calls it, every state
  // of kAlertStates reads 0.
  void SetAlertCount(std::string_view state, uint64_t count);
  // The outbox: notifications not yet delivered, and how long the oldest of
  // them has waited (0 when there is none).
  void SetOutbox(uint64_t depth, std::chrono::seconds oldest_pending_age);

  // Reads for tests and the service's status line.
  uint64_t fetches(std::string_view outcome) const;
  uint64_t articles_new() const { return articles_new_.load(std::memory_order_relaxed); }
  uint64_t alert_count(std::string_view state) const;
  uint64_t outbox_depth() const { return outbox_depth_.load(std::memory_order_relaxed); }

  // Every family, in the text exposition format, ending with a newline.
  std::string Render() const;

 private:
  static constexpr std::array<std::string_view, 8> kFetchOutcomes = {
      "ok", "not_modified", "http_error", "timeout", "network", "too_large",
      "forbidden_address", "bad_redirect"};

  std::array<std::atomic<uint64_t>, kFetchOutcomes.size()> fetches_{};
  Histogram fetch_duration_;
  std::atomic<uint64_t> body_bytes_{0};
  std::atomic<uint64_t> parse_errors_{0};
  std::atomic<uint64_t> articles_new_{0};
  std::atomic<uint64_t> articles_updated_{0};
  std::atomic<uint64_t> articles_duplicate_{0};
  std::atomic<uint64_t> rule_evaluation_ns_{0};
  std::atomic<uint64_t> rule_evaluations_{0};
  std::atomic<uint64_t> store_errors_{0};
  std::atomic<uint64_t> feeds_{0};
  std::atomic<uint64_t> feeds_failing_{0};
  std::atomic<uint64_t> store_size_{0};
  std::atomic<uint64_t> outbox_depth_{0};
  std::atomic<int64_t> outbox_oldest_age_s_{0};

  mutable std::mutex mu_;
  std::map<std::string, uint64_t, std::less<>> events_by_tag_;  // guarded by mu_
  std::map<std::string, uint64_t, std::less<>> alerts_by_state_;  // guarded by mu_
};

}  // namespace assay::daemon

#endif  // ASSAY_DAEMON_METRICS_H_
