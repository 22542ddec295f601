// Alerts in the daemon: evaluating alert rules over the events of each
// ingest (on the storage thread, between Plan() and Apply(), so that alert
// records and their notifications are written in the events' batch), and a
// dispatcher thread that delivers the outbox with retries.
//
//   Alerting alerting(config);
//   alerting.Rebuild(store, now);          // after opening the store
//   ... per fetched feed, on the storage thread:
//   plan = store.Plan(...); tag ...; alerting.Evaluate(&plan, store, now); store.Apply(plan);
//   ... now and then: alerting.Advance(store, now);   // quiet alerts resolve
//
//   Dispatcher dispatcher(store, config, clock);
//   dispatcher.Start();   // delivers what is due; Wake() after new notifications
//
// Delivery is at least once: a notification is marked delivered only after
// the target accepted it, so a crash in between sends it again with the same
// notification id, which receivers deduplicate on.
#ifndef ASSAY_DAEMON_ALERTING_H_
#define ASSAY_DAEMON_ALERTING_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/alert.h"
#include "core/status.h"
#include "core/time.h"
#include "daemon/alert_message.h"
#include "daemon/http_endpoint.h"
#include "daemon/metrics.h"
#include "daemon/notifier.h"
#include "rules/alerts.h"
#include "storage/store.h"

namespace assay::daemon {

struct AlertTarget {
  enum class Kind : uint8_t { kEmail, kWebhook, kSlack };
  std::string name;
  Kind kind = Kind::kEmail;
  SmtpTarget smtp;        // kEmail
  WebhookTarget webhook;  // kWebhook, kSlack
  // Only alerts at least this severe reach the target.
  rules::Severity min_severity = rules::Severity::kInfo;
};

struct DeliveryOptions {
  std::chrono::seconds initial_backoff{30};
  std::chrono::seconds max_backoff{std::chrono::hours(1)};
  // A notification still undelivered this long after it was created fails.
  std::chrono::seconds give_up_after{std::chrono::hours(24)};
};

struct AlertingConfig {
  std::vector<rules::AlertRule> rules;
  std::vector<AlertTarget> targets;
  DeliveryOptions delivery;
  NetAccess net;
  std::string user_agent = "assay";
};

// The alerting of `config`: its alert rule files loaded and checked against
// `pack` (tags and entities it knows, targets the config names), its
// targets as the notifiers take them. InvalidArgument listing every problem
// with file:line.
Result<AlertingConfig> MakeAlertingConfig(const config::Config& config,
                                          const rules::RulePack& pack);

// The publisher of a feed, for corroboration: the feed host without "www."
// and similar prefixes, reduced to its registrable part
// ("feeds.reuters.com" and "www.reuters.com" are both "reuters.com";
// "news.bbc.co.uk" is "bbc.co.uk"). A feed without a domain (file://, an
// address literal) is its own source: its URL.
std::string SourceOf(std::string_view feed_url);

// What alert evaluation sees of a stored event.
rules::AlertInput ToAlertInput(const Event& e);
// Conversions between the engine's updates and the stored records.
AlertRecord ToRecord(const rules::AlertUpdate& u);
rules::AlertUpdate ToUpdate(const AlertRecord& r);
// "<alert id>.<change>.<time in µs>.<target>": the same update and target
// always give the same id.
std::string NotificationId(const rules::AlertUpdate& u, const std::string& target);

// Evaluation on the storage thread. Not thread-safe: one owner.
class Alerting {
 public:
  explicit Alerting(AlertingConfig config);

  // Restores the stored alerts and replays the events of the engine's
  // history before `now`.
  Status Rebuild(const storage::Store& store, UnixMicros now);
  // Evaluates the plan's new events; adds the alert records they change and
  // the notifications owed to `plan`. Updated articles' events are not
  // evaluated again.
  Status Evaluate(storage::IngestPlan* plan, const storage::Store& store, UnixMicros now);
  // Resolves quiet alerts as of `now` and writes them (with their
  // notifications) directly.
  Status Advance(storage::Store& store, UnixMicros now);

  size_t open_alerts() const { return engine_.open_alerts(); }
  const AlertingConfig& config() const { return config_; }

 private:
  // Records and notifications for `updates`; keeps stored acknowledgements.
  void Collect(const std::vector<rules::AlertUpdate>& updates, const storage::Store& store,
               UnixMicros now, std::vector<AlertRecord>* records,
               std::vector<Notification>* notifications);

  AlertingConfig config_;
  rules::AlertEngine engine_;
};

// The endpoint's alert routes over the store: GET lists stored alerts
// (?state=firing|resolved); ack records who acknowledged an alert (an
// acknowledged alert is not notified again when it repeats). Writes run
// through `on_store_thread`, so that they never interleave with alert
// evaluation. POST /api/v1/silences records a silence: notifications of
// alerts it matches are then recorded as silenced instead of sent.
std::unique_ptr<AlertApi> MakeAlertApi(
    storage::Store& store, const Clock& clock,
    std::function<std::future<Status>(std::function<Status()>)> on_store_thread);

// Delivers the outbox. Its thread reads what is due, sends it and records
// the outcome: delivered; failed (permanent error, or too old); or retried
// after an exponential backoff with jitter (honouring Retry-After).
class Dispatcher {
 public:
  Dispatcher(storage::Store& store, AlertingConfig config, const Clock& clock);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Start();
  // Stops after the delivery in progress; joins the thread.
  void Stop();
  // New notifications may be due: look now rather than at the next timer.
  void Wake();
  // Alerts by state and the outbox's depth are set on `metrics` after a
  // pass that changed something, and once a minute. Call before Start().
  void SetMetrics(Metrics* metrics) { metrics_ = metrics; }

  // One pass over what is due at `now` (what the thread does each time it
  // wakes). Returns the number of notifications attempted.
  Result<size_t> RunOnce(UnixMicros now);

  // The message bodies a notification sends, from the store's events.
  std::vector<AlertEventView> EventViews(const AlertRecord& alert) const;

 private:
  void Loop();
  // Alerts by state and the outbox's depth and oldest age, on metrics_.
  void UpdateMetrics(UnixMicros now);
  std::chrono::seconds Backoff(const Notification& n) const;

  storage::Store& store_;
  AlertingConfig config_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
  Metrics* metrics_ = nullptr;
};

}  // namespace assay::daemon

#endif  // ASSAY_DAEMON_ALERTING_H_
