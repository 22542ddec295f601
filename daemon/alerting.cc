#include "daemon/alerting.h"

#include "query/alert_json.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <random>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace assay::daemon {

namespace {

rules::Severity SeverityFrom(std::string_view s) {
  return rules::ParseSeverity(s).value_or(rules::Severity::kInfo);
}

rules::AlertChange ChangeFrom(std::string_view s) {
  for (rules::AlertChange c : {rules::AlertChange::kFired, rules::AlertChange::kUpdated,
                               rules::AlertChange::kRepeated, rules::AlertChange::kResolved}) {
    if (rules::AlertChangeName(c) == s) return c;
  }
  return rules::AlertChange::kUpdated;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<AlertingConfig> MakeAlertingConfig(const config::Config& config,
                                          const rules::RulePack& pack) {
  AlertingConfig out;
  Result<std::vector<rules::AlertRule>> loaded = rules::LoadAlertRules(config.alerts.rule_files);
  if (!loaded) return loaded.error();
  out.rules = std::move(*loaded);
  std::vector<std::string> problems;
  for (const rules::PackProblem& p : rules::CheckAlertRules(out.rules, pack)) {
    problems.push_back(p.ToString());
  }
  for (const rules::AlertRule& r : out.rules) {
    for (const std::string& t : r.targets) {
      const bool known = std::any_of(config.alerts.targets.begin(), config.alerts.targets.end(),
                                     [&](const config::AlertTargetConfig& c) { return c.name == t; });
      if (!known) {
        problems.push_back(r.loc.file + ":" + std::to_string(r.loc.line) + ": alert rule '" + r.id +
                           "': no target named '" + t + "' in " + config.path);
      }
    }
  }
  if (!problems.empty()) {
    std::string msg;
    for (const std::string& p : problems) msg += (msg.empty() ? "" : "\n") + p;
    return InvalidArgument(msg);
  }
  for (const config::AlertTargetConfig& c : config.alerts.targets) {
    AlertTarget t;
    t.name = c.name;
    t.min_severity = SeverityFrom(c.min_severity);
    if (c.kind == "email") {
      t.kind = AlertTarget::Kind::kEmail;
      t.smtp.url = c.url;
      t.smtp.tls = c.tls == "none" ? SmtpTls::kNone : SmtpTls::kStartTls;
      t.smtp.username = c.username;
      t.smtp.password = c.password;
      t.smtp.from = c.from;
      t.smtp.to = c.to;
      t.smtp.ca_file = c.ca_file;
      t.smtp.timeout = c.timeout;
    } else {
      t.kind = c.kind == "slack" ? AlertTarget::Kind::kSlack : AlertTarget::Kind::kWebhook;
      t.webhook.url = c.url;
      t.webhook.secret = c.secret;
      t.webhook.ca_file = c.ca_file;
      t.webhook.timeout = c.timeout;
    }
    out.targets.push_back(std::move(t));
  }
  out.delivery.initial_backoff = config.alerts.initial_backoff;
  out.delivery.max_backoff = config.alerts.max_backoff;
  out.delivery.give_up_after = config.alerts.give_up_after;
  out.net.allow_private_networks = config.fetch.allow_private_networks;
  out.net.allow_networks = config.fetch.allow_networks;
  out.user_agent = config.fetch.user_agent.empty() ? "assay" : config.fetch.user_agent;
  return out;
}

std::string SourceOf(std::string_view url) {
  size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string host = Lower(url.substr(start, end == std::string_view::npos ? url.npos : end - start));
  if (const size_t at = host.rfind('@'); at != std::string::npos) host.erase(0, at + 1);
  if (const size_t colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos) {
    host.erase(colon);
  }
  // No domain to group by (file://, an address literal, a local server):
  // each feed is its own source.
  if (host.empty() || host.find_first_not_of("0123456789.") == std::string::npos ||
      host.front() == '[') {
    const size_t query = url.find_first_of("?#");
    return std::string(url.substr(0, query));
  }
  std::vector<std::string> labels;
  for (size_t i = 0; i <= host.size();) {
    const size_t dot = host.find('.', i);
    labels.push_back(host.substr(i, dot == std::string::npos ? std::string::npos : dot - i));
    if (dot == std::string::npos) break;
    i = dot + 1;
  }
  if (labels.size() <= 2) return host;
  // "bbc.co.uk", "abc.net.au": a short second-level label under a country
  // code keeps three labels.
  const std::string& tld = labels.back();
  const std::string& sld = labels[labels.size() - 2];
  const bool country_second_level =
      tld.size() == 2 && (sld.size() <= 3 || sld == "gouv" || sld == "govt");
  const size_t keep = country_second_level ? 3 : 2;
  std::string out;
  for (size_t i = labels.size() - keep; i < labels.size(); ++i) {
    if (!out.empty()) out += '.';
    out += labels[i];
  }
  return out;
}

rules::AlertInput ToAlertInput(const Event& e) {
  rules::AlertInput in;
  in.event_id = e.article_id;
  in.time = e.time;
  in.feed = e.feed_url;
  in.source = SourceOf(e.feed_url);
  in.story = e.story_id;
  in.tags = e.tags;
  in.minerals = e.minerals;
  in.countries = e.countries;
  in.blocs = e.blocs;
  in.score = e.score;
  in.severity = SeverityFrom(e.severity);
  return in;
}

AlertRecord ToRecord(const rules::AlertUpdate& u) {
  AlertRecord r;
  r.id = u.alert_id;
  r.rule = u.rule;
  r.state = u.change == rules::AlertChange::kResolved ? "resolved" : "firing";
  r.last_change = std::string(rules::AlertChangeName(u.change));
  r.group = u.group;
  r.labels = u.labels;
  r.opened = u.opened;
  r.updated = u.time;
  r.notified = u.notified;
  r.events = u.events;
  r.value = u.value;
  r.severity = std::string(rules::SeverityName(u.severity));
  r.targets = u.targets;
  return r;
}

rules::AlertUpdate ToUpdate(const AlertRecord& r) {
  rules::AlertUpdate u;
  u.change = ChangeFrom(r.last_change);
  u.alert_id = r.id;
  u.rule = r.rule;
  u.group = r.group;
  u.labels = r.labels;
  u.time = r.updated;
  u.opened = r.opened;
  u.notified = r.notified;
  u.events = r.events;
  u.value = r.value;
  u.severity = SeverityFrom(r.severity);
  u.targets = r.targets;
  return u;
}

std::string NotificationId(const rules::AlertUpdate& u, const std::string& target) {
  return u.alert_id + "." + std::string(rules::AlertChangeName(u.change)) + "." +
         std::to_string(u.time.time_since_epoch().count()) + "." + target;
}

// ---------------------------------------------------------------------------

Alerting::Alerting(AlertingConfig config)
    : config_(std::move(config)), engine_(config_.rules) {}

Status Alerting::Rebuild(const storage::Store& store, UnixMicros now) {
  const auto history = std::chrono::duration_cast<std::chrono::microseconds>(engine_.History());
  Result<std::vector<AlertRecord>> alerts = store.ListAlerts();
  if (!alerts) return alerts.error().WithContext("rebuilding alerts");
  size_t restored = 0;
  for (const AlertRecord& a : *alerts) {
    if (a.state == "firing" || a.updated + history >= now) {
      engine_.Restore(ToUpdate(a));
      ++restored;
    }
  }
  storage::EventQuery q;
  q.since = now - history;
  q.until = now;
  q.limit = 0;
  q.newest_first = false;
  Result<std::vector<Event>> events = store.Events(q);
  if (!events) return events.error().WithContext("rebuilding alert windows");
  for (const Event& e : *events) engine_.Replay(ToAlertInput(e));
  spdlog::info("alerts: rebuilt rules={} alerts_restored={} events_replayed={}",
               config_.rules.size(), restored, events->size());
  return Status::Ok();
}

void Alerting::Collect(const std::vector<rules::AlertUpdate>& updates,
                       const storage::Store& store, UnixMicros now,
                       std::vector<AlertRecord>* records,
                       std::vector<Notification>* notifications) {
  // The latest update of each alert is its record; acknowledgement is the
  // store's, not the engine's.
  std::map<std::string, size_t> latest;
  std::vector<rules::Silence> silences;
  if (Result<std::vector<SilenceRecord>> stored = store.ListSilences(); stored) {
    for (const SilenceRecord& r : *stored) {
      rules::Silence sil;
      sil.id = r.id;
      sil.matchers = r.matchers;
      sil.starts = std::chrono::floor<std::chrono::seconds>(r.starts);
      sil.ends = std::chrono::floor<std::chrono::seconds>(r.ends);
      silences.push_back(std::move(sil));
    }
  } else {
    spdlog::error("alerts: cannot read silences error=\"{}\"", stored.error().message());
  }
  for (const rules::AlertUpdate& u : updates) {
    AlertRecord r = ToRecord(u);
    auto it = latest.find(r.id);
    if (it == latest.end()) {
      Result<std::optional<AlertRecord>> stored = store.GetAlert(r.id);
      if (stored && *stored) {
        r.acked = (*stored)->acked;
        r.acked_by = (*stored)->acked_by;
        r.acked_at = (*stored)->acked_at;
      }
      latest[r.id] = records->size();
      records->push_back(std::move(r));
    } else {
      AlertRecord& existing = (*records)[it->second];
      r.acked = existing.acked;
      r.acked_by = existing.acked_by;
      r.acked_at = existing.acked_at;
      existing = std::move(r);
    }
    if (!u.notify) continue;
    const AlertRecord& snapshot = (*records)[latest[u.alert_id]];
    if (snapshot.acked && u.change == rules::AlertChange::kRepeated) continue;
    for (const AlertTarget& t : config_.targets) {
      if (!u.targets.empty() &&
          std::find(u.targets.begin(), u.targets.end(), t.name) == u.targets.end()) {
        continue;
      }
      if (u.severity < t.min_severity) continue;
      Notification n;
      n.id = NotificationId(u, t.name);
      n.alert_id = u.alert_id;
      n.target = t.name;
      n.change = std::string(rules::AlertChangeName(u.change));
      n.state = "pending";
      n.created = now;
      n.next_attempt = now;
      n.alert = snapshot;
      for (const rules::Silence& sil : silences) {
        if (rules::SilenceMatches(sil, u, std::chrono::floor<std::chrono::seconds>(now))) {
          n.state = "silenced";
          n.finished = now;
          n.log.push_back(FormatRfc3339Micros(now) + " silenced by " + sil.id);
          break;
        }
      }
      notifications->push_back(std::move(n));
    }
  }
}

Status Alerting::Evaluate(storage::IngestPlan* plan, const storage::Store& store,
                          UnixMicros now) {
  std::vector<rules::AlertUpdate> updates;
  for (const storage::IngestItem& item : plan->items) {
    if (item.change != storage::ArticleChange::kNew || !item.event) continue;
    Event e = *item.event;
    e.article_id = item.article.id;
    e.feed_url = item.article.feed_url;
    e.story_id = item.article.story_id.empty() ? item.article.id : item.article.story_id;
    for (rules::AlertUpdate& u : engine_.Observe(ToAlertInput(e))) updates.push_back(std::move(u));
  }
  if (updates.empty()) return Status::Ok();
  Collect(updates, store, now, &plan->alerts, &plan->notifications);
  return Status::Ok();
}

Status Alerting::Advance(storage::Store& store, UnixMicros now) {
  std::vector<rules::AlertUpdate> updates = engine_.Advance(now);
  if (updates.empty()) return Status::Ok();
  std::vector<AlertRecord> records;
  std::vector<Notification> notifications;
  Collect(updates, store, now, &records, &notifications);
  return store.WriteAlerts(records, notifications);
}

// ---------------------------------------------------------------------------

Dispatcher::Dispatcher(storage::Store& store, AlertingConfig config, const Clock& clock)
    : store_(store), config_(std::move(config)), clock_(clock) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Dispatcher::Loop() {
  bool changed = true;  // the store may have changed: refresh the gauges
  auto last_metrics = std::chrono::steady_clock::now();
  for (;;) {
    const UnixMicros now = clock_.Now();
    Result<size_t> done = RunOnce(now);
    if (!done) spdlog::error("alerts: dispatcher error=\"{}\"", done.error().message());
    // The gauges read the whole alerts family and outbox: after a change,
    // and otherwise once a minute (resolutions, ages), not on every idle pass.
    const auto t = std::chrono::steady_clock::now();
    if (changed || (done && *done > 0) || t - last_metrics > std::chrono::minutes(1)) {
      UpdateMetrics(now);
      last_metrics = t;
    }
    std::unique_lock lock(mu_);
    if (stop_) return;
    // Poll at least every few seconds: retries come due without a wake-up.
    cv_.wait_for(lock, std::chrono::seconds(2), [this] { return stop_ || woken_; });
    changed = woken_;
    woken_ = false;
    if (stop_) return;
  }
}

std::chrono::seconds Dispatcher::Backoff(const Notification& n) const {
  const DeliveryOptions& d = config_.delivery;
  const int shift = static_cast<int>(std::min<uint32_t>(n.attempts > 0 ? n.attempts - 1 : 0, 20));
  const int64_t base = std::min<int64_t>(d.max_backoff.count(),
                                         d.initial_backoff.count() * (int64_t{1} << shift));
  // Equal jitter, seeded by the notification so that a retry schedule is
  // reproducible: half fixed, half random.
  std::seed_seq seed(n.id.begin(), n.id.end());
  std::mt19937 rng(seed);
  rng.discard(n.attempts);
  const int64_t half = std::max<int64_t>(1, base / 2);
  return std::chrono::seconds(half + std::uniform_int_distribution<int64_t>(0, half)(rng));
}

std::vector<AlertEventView> Dispatcher::EventViews(const AlertRecord& alert) const {
  std::vector<AlertEventView> out;
  for (const std::string& id : alert.events) {
    if (out.size() >= 10) break;
    AlertEventView v;
    v.id = id;
    Result<std::optional<Article>> a = store_.GetArticle(id);
    if (a && *a) {
      v.title = (*a)->title;
      v.link = (*a)->link;
      v.source = SourceOf((*a)->feed_url);
    }
    Result<std::optional<Event>> e = store_.GetEventForArticle(id);
    if (e && *e) {
      v.time = FormatRfc3339Micros((*e)->time);
      v.tags = (*e)->tags;
      v.minerals = (*e)->minerals;
      v.countries = (*e)->countries;
      v.blocs = (*e)->blocs;
      v.score = (*e)->score;
      v.severity = (*e)->severity;
      for (const EventMatch& m : (*e)->matches) {
        if (v.evidence.size() >= 5) break;
        if (std::find(v.evidence.begin(), v.evidence.end(), m.text) == v.evidence.end()) {
          v.evidence.push_back(m.text);
        }
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

namespace {

class StoreAlertApi final : public AlertApi {
 public:
  StoreAlertApi(storage::Store& store, const Clock& clock,
                std::function<std::future<Status>(std::function<Status()>)> on_store_thread)
      : store_(store), clock_(clock), on_store_thread_(std::move(on_store_thread)) {}

  HttpReply ListAlerts(const QueryParams& params) override {
    std::string state;
    for (const auto& [k, v] : params) {
      if (k == "state") state = v;
      else return Error(400, "unknown parameter '" + k + "' (expected state)");
    }
    if (!state.empty() && state != "firing" && state != "resolved") {
      return Error(400, "state must be firing or resolved");
    }
    Result<std::vector<AlertRecord>> alerts = store_.ListAlerts();
    if (!alerts) return Error(500, alerts.error().message());
    nlohmann::json out = nlohmann::json::array();
    for (const AlertRecord& a : *alerts) {
      if (!state.empty() && a.state != state) continue;
      out.push_back(Json(a));
    }
    return Reply(200, {{"alerts", out}});
  }

  HttpReply Acknowledge(std::string_view alert_id, std::string_view body) override {
    std::string by = "api";
    if (!body.empty()) {
      nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
      if (j.is_discarded() || !j.is_object()) return Error(400, "body must be a JSON object");
      if (j.contains("by")) {
        if (!j["by"].is_string()) return Error(400, "'by' must be a string");
        by = j["by"].get<std::string>().substr(0, 200);
      }
    }
    const std::string id(alert_id);
    std::optional<AlertRecord> acked;
    Status s = on_store_thread_([&]() -> Status {
                 Result<std::optional<AlertRecord>> a = store_.GetAlert(id);
                 if (!a) return a.error();
                 if (!*a) return NotFound("no alert " + id);
                 AlertRecord r = **a;
                 r.acked = true;
                 r.acked_by = by;
                 r.acked_at = clock_.Now();
                 ASSAY_RETURN_IF_ERROR(store_.WriteAlerts(std::vector<AlertRecord>{r}, {}));
                 acked = std::move(r);
                 return Status::Ok();
               }).get();
    if (!s.ok()) return Error(s.code() == StatusCode::kNotFound ? 404 : 500, s.message());
    return Reply(200, {{"alert", Json(*acked)}});
  }

  // {"matchers": ["mineral=graphite", ...], "for": "48h" (or "ends": RFC 3339),
  //  "comment": "...", "author": "..."}
  HttpReply Silence(std::string_view body) override {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error(400, "body must be a JSON object");
    for (const auto& [key, value] : j.items()) {
      if (key != "matchers" && key != "for" && key != "ends" && key != "comment" && key != "author") {
        return Error(400, "unknown key '" + key + "' (expected matchers, for, ends, comment, author)");
      }
    }
    if (!j.contains("matchers") || !j["matchers"].is_array() || j["matchers"].empty()) {
      return Error(400, "'matchers' must be a non-empty list such as [\"mineral=graphite\"]");
    }
    SilenceRecord r;
    for (const auto& m : j["matchers"]) {
      if (!m.is_string()) return Error(400, "each matcher must be a string label=value");
      Result<std::pair<std::string, std::string>> parsed = rules::ParseSilenceMatcher(m.get<std::string>());
      if (!parsed) return Error(400, parsed.error().message());
      r.matchers.push_back(std::move(*parsed));
    }
    r.starts = clock_.Now();
    if (j.contains("for") == j.contains("ends")) return Error(400, "give one of 'for' or 'ends'");
    if (j.contains("for")) {
      if (!j["for"].is_string()) return Error(400, "'for' must be a duration such as 48h");
      Result<std::chrono::seconds> d = ParseDuration(j["for"].get<std::string>());
      if (!d || d->count() <= 0) return Error(400, d ? "'for' must be positive" : d.error().message());
      r.ends = r.starts + std::chrono::duration_cast<std::chrono::microseconds>(*d);
    } else {
      std::optional<UnixSeconds> ends =
          j["ends"].is_string() ? ParseRfc3339(j["ends"].get<std::string>()) : std::nullopt;
      if (!ends) return Error(400, "'ends' must be an RFC 3339 time");
      r.ends = UnixMicros(*ends);
      if (r.ends <= r.starts) return Error(400, "'ends' is in the past");
    }
    for (const char* key : {"comment", "author"}) {
      if (!j.contains(key)) continue;
      if (!j[key].is_string()) return Error(400, std::string("'") + key + "' must be a string");
      (std::string_view(key) == "comment" ? r.comment : r.author) = j[key].get<std::string>().substr(0, 500);
    }
    char id[32];
    std::snprintf(id, sizeof id, "s%016llx",
                  static_cast<unsigned long long>(r.starts.time_since_epoch().count()));
    r.id = id;
    Status s = on_store_thread_([&]() -> Status { return store_.PutSilence(r); }).get();
    if (!s.ok()) return Error(500, s.message());
    nlohmann::json matchers = nlohmann::json::array();
    for (const auto& [k, v] : r.matchers) matchers.push_back(k + "=" + v);
    return Reply(201, {{"silence",
                        {{"id", r.id},
                         {"matchers", matchers},
                         {"starts", FormatRfc3339Micros(r.starts)},
                         {"ends", FormatRfc3339Micros(r.ends)},
                         {"comment", r.comment},
                         {"author", r.author}}}});
  }

 private:
  static nlohmann::json Json(const AlertRecord& a) { return query::AlertJson(a); }
  static HttpReply Reply(unsigned status, const nlohmann::json& j) {
    return HttpReply{status, "application/json",
                     j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
  }
  static HttpReply Error(unsigned status, const std::string& message) {
    return Reply(status, {{"error", message}});
  }

  storage::Store& store_;
  const Clock& clock_;
  std::function<std::future<Status>(std::function<Status()>)> on_store_thread_;
};

}  // namespace

std::unique_ptr<AlertApi> MakeAlertApi(
    storage::Store& store, const Clock& clock,
    std::function<std::future<Status>(std::function<Status()>)> on_store_thread) {
  return std::make_unique<StoreAlertApi>(store, clock, std::move(on_store_thread));
}

void Dispatcher::UpdateMetrics(UnixMicros now) {
  if (metrics_ == nullptr) return;
  Result<std::vector<AlertRecord>> alerts = store_.ListAlerts();
  if (alerts) {
    uint64_t firing = 0;
    uint64_t resolved = 0;
    for (const AlertRecord& a : *alerts) (a.state == "firing" ? firing : resolved) += 1;
    metrics_->SetAlertCount("firing", firing);
    metrics_->SetAlertCount("resolved", resolved);
  }
  Result<std::vector<Notification>> pending = store_.DueNotifications(UnixMicros::max(), 100000);
  if (pending) {
    UnixMicros oldest = now;
    for (const Notification& p : *pending) oldest = std::min(oldest, p.created);
    metrics_->SetOutbox(pending->size(), std::chrono::duration_cast<std::chrono::seconds>(now - oldest));
  }
}

Result<size_t> Dispatcher::RunOnce(UnixMicros now) {
  Result<std::vector<Notification>> due = store_.DueNotifications(now, 64);
  if (!due) return due.error();
  size_t attempted = 0;
  for (Notification& n : *due) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    const UnixMicros previous = n.next_attempt;
    const AlertTarget* target = nullptr;
    for (const AlertTarget& t : config_.targets) {
      if (t.name == n.target) target = &t;
    }
    DeliveryResult r;
    if (target == nullptr) {
      r.outcome = DeliveryOutcome::kPermanent;
      r.detail = "no target named '" + n.target + "' in the configuration";
    } else {
      const rules::AlertUpdate u = ToUpdate(n.alert);
      const std::vector<AlertEventView> views = EventViews(n.alert);
      const int64_t ts = std::chrono::duration_cast<std::chrono::seconds>(
                             clock_.Now().time_since_epoch()).count();
      switch (target->kind) {
        case AlertTarget::Kind::kEmail: {
          EmailOptions o;
          o.from = target->smtp.from;
          o.to = target->smtp.to;
          o.notification_id = n.id;
          r = SendEmail(target->smtp, BuildEmail(u, views, o), config_.net);
          break;
        }
        case AlertTarget::Kind::kWebhook:
          r = PostWebhook(target->webhook, WebhookBody(u, views, n.id), n.id, ts, config_.net,
                          config_.user_agent);
          break;
        case AlertTarget::Kind::kSlack:
          r = PostWebhook(target->webhook, SlackBody(u, views), n.id, ts, config_.net,
                          config_.user_agent);
          break;
      }
    }
    ++attempted;
    ++n.attempts;
    const UnixMicros at = clock_.Now();
    std::string line = FormatRfc3339Micros(at) + " " + std::string(DeliveryOutcomeName(r.outcome));
    if (r.code != 0) line += " " + std::to_string(r.code);
    if (!r.detail.empty()) line += " " + r.detail;
    n.log.push_back(line.substr(0, 300));
    if (n.log.size() > 20) n.log.erase(n.log.begin());
    if (r.outcome == DeliveryOutcome::kDelivered) {
      n.state = "delivered";
      n.finished = at;
      n.last_error.clear();
    } else {
      n.last_error = r.detail;
      const auto give_up = std::chrono::duration_cast<std::chrono::microseconds>(
          config_.delivery.give_up_after);
      std::chrono::seconds wait = Backoff(n);
      if (r.retry_after) wait = std::max(wait, std::min(*r.retry_after, config_.delivery.max_backoff));
      if (r.outcome == DeliveryOutcome::kPermanent || at + wait > n.created + give_up) {
        n.state = "failed";
        n.finished = at;
      } else {
        n.next_attempt = at + std::chrono::duration_cast<std::chrono::microseconds>(wait);
      }
    }
    spdlog::log(n.state == "failed" ? spdlog::level::err
                : n.state == "delivered" ? spdlog::level::info
                                         : spdlog::level::warn,
                "alerts: notification={} target={} outcome={} attempts={} state={}{}", n.id,
                n.target, DeliveryOutcomeName(r.outcome), n.attempts, n.state,
                n.last_error.empty() ? "" : " error=\"" + n.last_error + "\"");
    ASSAY_RETURN_IF_ERROR(store_.UpdateNotification(n, previous));
  }
  return attempted;
}

}  // namespace assay::daemon
