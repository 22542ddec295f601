#include "daemon/metrics.h"

#include <algorithm>
#include <cmath>
#include <charconv>

namespace assay::daemon {
namespace {

// Transfer times: a local feed answers in milliseconds, a slow publisher in
// tens of seconds, and the default total timeout is 60 s.
std::vector<double> FetchDurationBounds() { return {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}; }

// A sample value in its shortest round-trip form ("0.05", "12", "1e+20").
std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// Label values escape backslash, double quote and newline.
std::string EscapeLabel(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Writer {
 public:
  void Header(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  void Sample(std::string_view name, double value) {
    out_.append(name).append(" ").append(FormatValue(value)).append("\n");
  }
  void Sample(std::string_view name, std::string_view label, std::string_view label_value,
              double value) {
    out_.append(name).append("{").append(label).append("=\"").append(EscapeLabel(label_value));
    out_.append("\"} ").append(FormatValue(value)).append("\n");
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

double Load(const std::atomic<uint64_t>& a) {
  return static_cast<double>(a.load(std::memory_order_relaxed));
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(bounds_.size() + 1) {}

void Histogram::Observe(double value) {
  const size_t i = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.bounds = bounds_;
  uint64_t running = 0;
  for (const std::atomic<uint64_t>& b : buckets_) {
    running += b.load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::string_view FetchOutcomeLabel(const FetchResult& r) {
  switch (r.error) {
    case FetchError::kNone:
      if (r.http_status == 304) return "not_modified";
      // file:// transfers have no status and succeed.
      if (r.http_status == 0 || (r.http_status >= 200 && r.http_status < 300)) return "ok";
      return "http_error";
    case FetchError::kTooLarge: return "too_large";
    case FetchError::kTimeout: return "timeout";
    case FetchError::kForbiddenAddress: return "forbidden_address";
    case FetchError::kBadRedirect: return "bad_redirect";
    case FetchError::kNetwork: return "network";
    case FetchError::kCancelled: return "";
  }
  return "network";
}

Metrics::Metrics() : fetch_duration_(FetchDurationBounds()) {
  for (std::string_view s : kAlertStates) alerts_by_state_.emplace(s, 0);
}

void Metrics::CountFetch(const FetchResult& r) {
  const std::string_view outcome = FetchOutcomeLabel(r);
  if (outcome.empty()) return;
  for (size_t i = 0; i < kFetchOutcomes.size(); ++i) {
    if (kFetchOutcomes[i] == outcome) fetches_[i].fetch_add(1, std::memory_order_relaxed);
  }
  fetch_duration_.Observe(std::chrono::duration<double>(r.elapsed).count());
  body_bytes_.fetch_add(r.body.size(), std::memory_order_relaxed);
}

void Metrics::CountRuleEvaluation(std::chrono::nanoseconds elapsed, size_t articles) {
  rule_evaluation_ns_.fetch_add(static_cast<uint64_t>(std::max<int64_t>(elapsed.count(), 0)),
                                std::memory_order_relaxed);
  rule_evaluations_.fetch_add(articles, std::memory_order_relaxed);
}

void Metrics::CountArticles(size_t new_articles, size_t updated, size_t duplicate) {
  articles_new_.fetch_add(new_articles, std::memory_order_relaxed);
  articles_updated_.fetch_add(updated, std::memory_order_relaxed);
  articles_duplicate_.fetch_add(duplicate, std::memory_order_relaxed);
}

void Metrics::CountEvent(const std::vector<std::string>& tags) {
  std::lock_guard lock(mu_);
  for (const std::string& t : tags) {
    auto it = events_by_tag_.find(t);
    if (it == events_by_tag_.end()) it = events_by_tag_.emplace(t, 0).first;
    ++it->second;
  }
}

void Metrics::SetFeeds(size_t configured, size_t failing) {
  feeds_.store(configured, std::memory_order_relaxed);
  feeds_failing_.store(failing, std::memory_order_relaxed);
}

void Metrics::SetAlertCount(std::string_view state, uint64_t count) {
  std::lock_guard lock(mu_);
  auto it = alerts_by_state_.find(state);
  if (it == alerts_by_state_.end()) it = alerts_by_state_.emplace(std::string(state), 0).first;
  it->second = count;
}

uint64_t Metrics::alert_count(std::string_view state) const {
  std::lock_guard lock(mu_);
  auto it = alerts_by_state_.find(state);
  return it == alerts_by_state_.end() ? 0 : it->second;
}

void Metrics::SetOutbox(uint64_t depth, std::chrono::seconds oldest_pending_age) {
  outbox_depth_.store(depth, std::memory_order_relaxed);
  outbox_oldest_age_s_.store(oldest_pending_age.count(), std::memory_order_relaxed);
}

uint64_t Metrics::fetches(std::string_view outcome) const {
  for (size_t i = 0; i < kFetchOutcomes.size(); ++i) {
    if (kFetchOutcomes[i] == outcome) return fetches_[i].load(std::memory_order_relaxed);
  }
  return 0;
}

std::string Metrics::Render() const {
  Writer w;
  w.Header("assay_fetches_total", "counter", "Finished feed transfers, by outcome.");
  for (size_t i = 0; i < kFetchOutcomes.size(); ++i) {
    w.Sample("assay_fetches_total", "outcome", kFetchOutcomes[i], Load(fetches_[i]));
  }
  const Histogram::Snapshot h = fetch_duration_.Read();
  w.Header("assay_fetch_duration_seconds", "histogram", "Feed transfer time, redirects included.");
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    w.Sample("assay_fetch_duration_seconds_bucket", "le", FormatValue(h.bounds[i]),
             static_cast<double>(h.cumulative[i]));
  }
  w.Sample("assay_fetch_duration_seconds_bucket", "le", "+Inf", static_cast<double>(h.count));
  w.Sample("assay_fetch_duration_seconds_sum", h.sum);
  w.Sample("assay_fetch_duration_seconds_count", static_cast<double>(h.count));
  w.Header("assay_fetch_body_bytes_total", "counter", "Decoded feed body bytes received.");
  w.Sample("assay_fetch_body_bytes_total", Load(body_bytes_));
  w.Header("assay_parse_errors_total", "counter", "Fetched bodies that did not parse as a feed.");
  w.Sample("assay_parse_errors_total", Load(parse_errors_));
  w.Header("assay_articles_total", "counter", "Articles seen in fetched feeds, by change.");
  w.Sample("assay_articles_total", "change", "new", Load(articles_new_));
  w.Sample("assay_articles_total", "change", "updated", Load(articles_updated_));
  w.Sample("assay_articles_total", "change", "duplicate", Load(articles_duplicate_));
  w.Header("assay_rule_evaluation_seconds_total", "counter", "Time spent tagging articles.");
  w.Sample("assay_rule_evaluation_seconds_total",
           static_cast<double>(rule_evaluation_ns_.load(std::memory_order_relaxed)) / 1e9);
  w.Header("assay_rule_evaluations_total", "counter", "Articles tagged.");
  w.Sample("assay_rule_evaluations_total", Load(rule_evaluations_));
  w.Header("assay_store_errors_total", "counter", "Polls whose results could not be written.");
  w.Sample("assay_store_errors_total", Load(store_errors_));
  w.Header("assay_feeds", "gauge", "Configured feeds.");
  w.Sample("assay_feeds", Load(feeds_));
  w.Header("assay_feeds_failing", "gauge", "Feeds whose last poll failed.");
  w.Sample("assay_feeds_failing", Load(feeds_failing_));
  w.Header("assay_store_size_bytes", "gauge", "Size of the store: table files and memtables.");
  w.Sample("assay_store_size_bytes", Load(store_size_));
  w.Header("assay_outbox_depth", "gauge", "Notifications waiting for delivery.");
  w.Sample("assay_outbox_depth", Load(outbox_depth_));
  w.Header("assay_outbox_oldest_pending_age_seconds", "gauge",
           "How long the oldest undelivered notification has waited.");
  w.Sample("assay_outbox_oldest_pending_age_seconds",
           static_cast<double>(outbox_oldest_age_s_.load(std::memory_order_relaxed)));
  {
    std::lock_guard lock(mu_);
    w.Header("assay_events_total", "counter", "Events written, by tag.");
    for (const auto& [tag, n] : events_by_tag_) {
      w.Sample("assay_events_total", "tag", tag, static_cast<double>(n));
    }
    w.Header("assay_alerts", "gauge", "Alerts, by state.");
    for (const auto& [state, n] : alerts_by_state_) {
      w.Sample("assay_alerts", "state", state, static_cast<double>(n));
    }
  }
  return w.Take();
}

}  // namespace assay::daemon
