#include "daemon/service.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <queue>
#include <unordered_map>

#include "daemon/fetcher.h"
#include "daemon/http_endpoint.h"
#include "daemon/metrics.h"
#include "daemon/notify.h"
#include "daemon/pipeline.h"
#include "daemon/scheduler.h"
#include "rules/rule_pack.h"
#include "rules/tagger.h"
#include "storage/store.h"

namespace assay::daemon {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

}  // namespace

std::string PollSummary::ToString() const {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "polled %zu feeds in %.2f s: %zu ok, %zu not modified, %zu failed; "
                "articles: %zu new, %zu updated, %zu duplicate; events: %zu; notifications: %zu",
                feeds_ok + feeds_not_modified + feeds_failed,
                static_cast<double>(elapsed.count()) / 1000.0, feeds_ok, feeds_not_modified,
                feeds_failed, articles_new, articles_updated, articles_duplicate, events,
                notifications);
  std::string out = buf;
  for (const auto& f : failures) out += "\n  failed: " + f;
  return out;
}

class Service::Impl {
 public:
  Impl(config::Config config, const Clock& clock)
      : config_(std::move(config)), clock_(clock), timer_(io_), signals_(io_) {}

  ~Impl() {
    dispatcher_.reset();  // joins its thread, which reads and writes the store
    http_.reset();      // joins its worker, which reads the store
    pipeline_.reset();  // joins its workers before the store closes
    fetcher_.reset();
  }

  Status Open() {
    // The pack is validated on its own thread while the store opens and the
    // first transfers run; nothing is written before it has proved valid
    // (the pipeline's write gate), and an invalid one cancels the pass.
    rules_ = ValidateRules(config_, std::launch::async, [this](bool valid) {
      if (!valid) asio::post(io_, [this] { AbandonPass(); });
    });
    if (!config_.alerts.rule_files.empty()) {
      // Alert rules are checked against the pack before anything is written.
      ASSAY_RETURN_IF_ERROR(WaitForRules());
      Result<AlertingConfig> alerting = MakeAlertingConfig(config_, *rules_.get().value());
      if (!alerting) return alerting.error().WithContext("loading alert rules");
      alerting_ = std::make_unique<Alerting>(std::move(*alerting));
    }
    std::error_code ec;
    if (!std::filesystem::exists(config_.store_path, ec)) {
      // A new store is created only for a valid pack.
      ASSAY_RETURN_IF_ERROR(WaitForRules());
    }
    std::filesystem::create_directories(std::filesystem::path(config_.store_path).parent_path(), ec);
    if (ec) return IOError("cannot create the directory of store " + config_.store_path + ": " + ec.message());
    Result<std::unique_ptr<storage::Store>> store = storage::Store::Open(config_.store_path, {});
    if (!store) return store.error();
    store_ = std::move(*store);
    std::vector<FeedState> unwritten;
    ASSAY_RETURN_IF_ERROR(RegisterFeeds(config_, &unwritten));
    fetcher_ = std::make_unique<Fetcher>(io_, config_.fetch);
    pipeline_ = std::make_unique<Pipeline>(io_, *fetcher_, *store_, clock_, config_.fetch,
                                           CompileWhenNeeded(rules_), /*parse_threads=*/0,
                                           WriteGate(rules_), &metrics_);
    pipeline_->AsyncWriteFeeds(std::move(unwritten));
    if (alerting_ != nullptr) {
      dispatcher_ = std::make_unique<Dispatcher>(*store_, alerting_->config(), clock_);
      pipeline_->SetAlerting(alerting_.get(), [d = dispatcher_.get()] { d->Wake(); });
      dispatcher_->SetMetrics(&metrics_);
      alert_api_ = MakeAlertApi(*store_, clock_, [p = pipeline_.get()](std::function<Status()> fn) {
        return p->RunOnStoreThread(std::move(fn));
      });
      spdlog::info("alerts rules={} targets={}", alerting_->config().rules.size(),
                   alerting_->config().targets.size());
    }
    spdlog::info("store={} feeds={} opened", config_.store_path, feeds_.size());
    return Status::Ok();
  }

  Status WaitForRules() {
    if (!rules_.valid()) return FailedPrecondition("the service is not open");
    const Result<std::shared_ptr<const rules::RulePack>>& pack = rules_.get();
    if (!pack) return pack.error();
    if (pack_version_.empty()) {
      pack_version_ = (*pack)->version_string;
      spdlog::info("rules={} loaded", pack_version_);
    }
    return Status::Ok();
  }

  Result<PollSummary> RunOnce() {
    const auto start = std::chrono::steady_clock::now();
    PollSummary summary;
    size_t outstanding = feeds_.size();
    for (auto& [url, feed] : feeds_) {
      pipeline_->AsyncPoll(feed.config, feed.state, [this, &summary, &outstanding](PollReport r) {
        Record(r, &summary);
        if (--outstanding == 0) io_.stop();
      });
    }
    if (outstanding > 0) {
      WatchSignals();
      io_.run();
    }
    signals_.cancel();
    summary.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    ASSAY_RETURN_IF_ERROR(WaitForRules());
    if (stopping_) return Unavailable("interrupted");
    if (dispatcher_ != nullptr) {
      // One delivery pass: what this poll's alerts owe goes out now;
      // retries wait for the daemon.
      Result<size_t> sent = dispatcher_->RunOnce(clock_.Now());
      if (!sent) return sent.error().WithContext("delivering notifications");
      summary.notifications = *sent;
    }
    return summary;
  }

  Status Run() {
    ASSAY_RETURN_IF_ERROR(WaitForRules());
    running_ = true;
    WatchSignals();
    if (std::optional<std::chrono::microseconds> wd = Notifier::WatchdogInterval()) {
      // Pinged from the loop itself: a wedged loop stops the pings and
      // systemd restarts the daemon.
      watchdog_interval_ = *wd / 2;
      ArmWatchdog();
    }
    const UnixSeconds now = clock_.NowSeconds();
    for (auto& [url, feed] : feeds_) {
      // A restart keeps each feed's schedule; due and new feeds go now.
      const UnixSeconds when =
          feed.state.next_attempt && *feed.state.next_attempt > now ? *feed.state.next_attempt : now;
      due_.push({when, url});
    }
    ArmTimer();
    ASSAY_RETURN_IF_ERROR(StartHttp());
    if (dispatcher_ != nullptr) {
      dispatcher_->Start();
      pipeline_->AsyncAlertTick();  // rebuilds the engine and resolves what went quiet
      ArmAlertTick();
    }
    notifier_.Ready(StatusLine());
    io_.run();
    return Status::Ok();
  }

  uint16_t http_port() const { return http_port_.load(); }

  void Stop() {
    asio::post(io_, [this] { BeginStop(); });
  }

 private:
  struct Feed {
    config::FeedConfig config;
    FeedState state;
    bool in_flight = false;
  };
  using Due = std::pair<UnixSeconds, std::string>;

  using TaggerFuture = std::shared_future<Result<std::shared_ptr<const rules::Tagger>>>;
  using PackFuture = std::shared_future<Result<std::shared_ptr<const rules::RulePack>>>;

  // Loads and validates the config's rule pack (every pattern is compiled
  // once to check it, ~50 ms for the default pack): on its own thread at
  // start-up, inline (std::launch::deferred, then get()) on reload.
  // `validated`, when set, is called on that thread with the outcome.
  static PackFuture ValidateRules(const config::Config& config, std::launch policy,
                                  std::function<void(bool)> validated = {}) {
    std::vector<std::string> packs =
        config.rules.packs.empty() ? rules::DefaultPackPaths() : config.rules.packs;
    return std::async(policy,
                      [packs = std::move(packs), validated = std::move(validated)]()
                          -> Result<std::shared_ptr<const rules::RulePack>> {
                        Result<rules::RulePack> pack = rules::LoadRulePack(packs);
                        if (validated) validated(pack.has_value());
                        if (!pack) return pack.error().WithContext("loading rule packs");
                        return std::make_shared<const rules::RulePack>(std::move(*pack));
                      })
        .share();
  }

  // The matchers are compiled by the first poll that has something to tag,
  // so a pass that only sees 304s never pays for them.
  static TaggerFuture CompileWhenNeeded(PackFuture pack) {
    return std::async(std::launch::deferred,
                      [pack = std::move(pack)]() -> Result<std::shared_ptr<const rules::Tagger>> {
                        const Result<std::shared_ptr<const rules::RulePack>>& p = pack.get();
                        if (!p) return p.error();
                        return rules::Tagger::Compile(**p);
                      })
        .share();
  }

  // What the storage thread waits for before its first write.
  static std::shared_future<Status> WriteGate(PackFuture pack) {
    return std::async(std::launch::deferred,
                      [pack = std::move(pack)]() -> Status {
                        const Result<std::shared_ptr<const rules::RulePack>>& p = pack.get();
                        return p ? Status::Ok() : p.error();
                      })
        .share();
  }

  // On the loop: the pack is invalid, so nothing of this pass may be
  // written; stop fetching (polls past the fetch stage fail at the write
  // gate) and let RunOnce() report the pack's problems.
  void AbandonPass() {
    if (fetcher_ != nullptr && !running_) fetcher_->Shutdown();
  }

  // Above this many feeds to look up, one scan of the stored feed records
  // is cheaper than a point read per feed.
  static constexpr size_t kScanFeedsAbove = 64;

  // Makes feeds_ the feeds of `config`: new ones are registered in the store
  // (or taken from it, with their state), changed ones keep their state,
  // removed ones are no longer polled (their records stay). The records to
  // write (new and renamed feeds) go to `*unwritten` when it is given, for
  // the caller to write; otherwise they are written here.
  Status RegisterFeeds(const config::Config& config, std::vector<FeedState>* unwritten) {
    size_t unknown = 0;
    for (const config::FeedConfig& f : config.feeds) unknown += !feeds_.contains(f.url);
    std::unordered_map<std::string, FeedState> stored;
    const bool scanned = unknown > kScanFeedsAbove;
    if (scanned) {
      Result<std::vector<FeedState>> all = store_->ListFeeds();
      if (!all) return all.error();
      stored.reserve(all->size());
      for (FeedState& s : *all) {
        std::string url = s.url;
        stored.emplace(std::move(url), std::move(s));
      }
    }
    std::map<std::string, Feed> next;
    std::vector<FeedState> writes;
    for (const config::FeedConfig& f : config.feeds) {
      if (auto it = feeds_.find(f.url); it != feeds_.end()) {
        Feed kept = std::move(it->second);
        kept.config = f;
        kept.state.name = f.name;
        next.emplace(f.url, std::move(kept));
        continue;
      }
      std::optional<FeedState> found;
      if (scanned) {
        if (auto it = stored.find(f.url); it != stored.end()) found = std::move(it->second);
      } else {
        Result<std::optional<FeedState>> one = store_->GetFeed(f.url);
        if (!one) return one.error();
        found = std::move(*one);
      }
      FeedState state;
      if (found) {
        state = std::move(*found);
      } else {
        state.url = f.url;
        state.current_url = f.url;
      }
      const bool changed = !found || state.name != f.name;
      state.name = f.name;
      if (changed) writes.push_back(state);
      next.emplace_hint(next.end(), f.url, Feed{f, std::move(state)});
    }
    if (unwritten != nullptr) {
      *unwritten = std::move(writes);
    } else {
      for (const FeedState& w : writes) ASSAY_RETURN_IF_ERROR(store_->PutFeed(w));
    }
    feeds_ = std::move(next);
    return Status::Ok();
  }

  // SIGHUP: a valid new config takes effect for the next polls (feeds,
  // fetch settings, rules, log level) without losing state or in-flight
  // work; an invalid one is logged and the old one kept. The store path
  // cannot change without a restart. Runs on the loop: reading the config
  // and validating the pack take a fraction of a second. Fetch limits apply
  // to transfers started from now on; the scheduling limits (intervals,
  // backoff cap) on restart.
  void Reload() {
    notifier_.Reloading();
    Result<config::Config> next = config::LoadConfig(config_.path);
    Status s = next ? Status::Ok() : next.error();
    PackFuture rules;
    if (s.ok()) {
      rules = ValidateRules(*next, std::launch::deferred);
      if (const auto& pack = rules.get(); !pack) s = pack.error();
    }
    if (s.ok() && next->store_path != config_.store_path) {
      spdlog::warn("reload: store.path changed to {}; it takes effect on restart", next->store_path);
      next->store_path = config_.store_path;
    }
    if (s.ok()) s = RegisterFeeds(*next, nullptr);
    if (!s.ok()) {
      spdlog::error("reload failed, keeping the running config: {}", s.message());
      reload_error_ = s.message();
      notifier_.Ready(StatusLine());
      return;
    }
    config_ = std::move(*next);
    reload_error_.clear();
    fetcher_->SetOptions(config_.fetch);
    pipeline_->SetTagger(CompileWhenNeeded(rules));
    pack_version_ = rules.get().value()->version_string;
    spdlog::set_level(spdlog::level::from_str(config_.logging.level));
    // New feeds are due now; the others keep their schedule.
    const UnixSeconds now = clock_.NowSeconds();
    for (auto& [url, feed] : feeds_) {
      if (!feed.state.last_fetch && !feed.in_flight) due_.push({now, url});
    }
    ArmTimer();
    spdlog::info("reloaded config={} feeds={} rules={}", config_.path, feeds_.size(), pack_version_);
    notifier_.Ready(StatusLine());
  }

  void WatchSignals() {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    if (running_) signals_.add(SIGHUP);
    signals_.async_wait([this](error_code ec, int signo) {
      if (ec == asio::error::operation_aborted) return;
      if (signo == SIGHUP) {
        spdlog::info("signal=SIGHUP reloading");
        Reload();
        WatchSignals();
        return;
      }
      spdlog::info("signal={} stopping", signo == SIGINT ? "SIGINT" : "SIGTERM");
      BeginStop();
    });
  }

  // The local HTTP endpoint, when the config has one. A port that cannot be
  // bound fails the start: the operator asked for the endpoint.
  Status StartHttp() {
    if (!config_.http.enabled) return Status::Ok();
    HttpSources sources{
        .readiness = [this]() -> Status {
          if (stopping_) return Unavailable("stopping");
          if (store_ == nullptr) return Unavailable("the store is not open");
          if (pack_version_.empty()) return Unavailable("the rules are not loaded");
          return Status::Ok();
        },
        .before_scrape = [this] {
          size_t failing = 0;
          for (const auto& [url, feed] : feeds_) failing += feed.state.outcome == FetchOutcome::kFailed;
          metrics_.SetFeeds(feeds_.size(), failing);
        },
        .metrics = &metrics_,
        .store = store_.get(),
        .store_path = config_.store_path,
        .alerts = alert_api_.get(),
    };
    Result<std::unique_ptr<HttpEndpoint>> http = HttpEndpoint::Start(
        io_, {.listen = config_.http.listen, .port = config_.http.port, .token = config_.http.token},
        std::move(sources));
    if (!http) return http.error();
    http_ = std::move(*http);
    http_port_ = http_->port();
    spdlog::info("http={}:{} listening", config_.http.listen, http_->port());
    return Status::Ok();
  }

  // Stops scheduling and cancels transfers; polls being parsed or written
  // finish, and io_context::run() returns once their handlers have run.
  void BeginStop() {
    if (stopping_) return;
    stopping_ = true;
    notifier_.Stopping();
    timer_.cancel();
    watchdog_.cancel();
    alert_timer_.cancel();
    signals_.cancel();
    if (http_ != nullptr) http_->Stop();
    fetcher_->Shutdown();
  }

  void Record(const PollReport& r, PollSummary* summary) {
    if (r.cancelled) return;
    switch (r.state.outcome) {
      case FetchOutcome::kOk: ++summary->feeds_ok; break;
      case FetchOutcome::kNotModified: ++summary->feeds_not_modified; break;
      default:
        ++summary->feeds_failed;
        summary->failures.push_back(r.state.url + ": " + r.state.last_error);
        break;
    }
    summary->articles_new += r.new_articles;
    summary->articles_updated += r.updated_articles;
    summary->articles_duplicate += r.duplicate_articles;
    summary->events += r.events;
    summary->body_bytes += r.body_bytes;
    auto it = feeds_.find(r.state.url);
    if (it != feeds_.end()) it->second.state = r.state;
    Log(r);
  }

  // A feed that keeps failing the same way is logged at its 1st, 2nd, 4th,
  // 8th... failure, not at every poll; a new error is logged at once.
  static bool WorthLogging(const FeedState& s) {
    const uint32_t n = s.consecutive_failures;
    return n <= 1 || (n & (n - 1)) == 0;
  }

  void Log(const PollReport& r) {
    const FeedState& s = r.state;
    if (s.outcome == FetchOutcome::kFailed) {
      std::string& last = logged_errors_[s.url];
      if (last == s.last_error && !WorthLogging(s)) return;
      last = s.last_error;
      spdlog::warn("feed={} url={} status={} error=\"{}\" failures={}", s.url, s.current_url,
                   s.http_status, s.last_error, s.consecutive_failures);
    } else {
      logged_errors_.erase(s.url);
      spdlog::info("feed={} status={} outcome={} new={} updated={} duplicate={}", s.url,
                   s.http_status, FetchOutcomeName(s.outcome), r.new_articles,
                   r.updated_articles, r.duplicate_articles);
    }
  }

  // Quiet alerts resolve on time even when no feed brings news.
  void ArmAlertTick() {
    alert_timer_.expires_after(std::chrono::seconds(30));
    alert_timer_.async_wait([this](error_code ec) {
      if (ec || stopping_) return;
      pipeline_->AsyncAlertTick();
      ArmAlertTick();
    });
  }

  void ArmWatchdog() {
    notifier_.Watchdog();
    watchdog_.expires_after(watchdog_interval_);
    watchdog_.async_wait([this](error_code ec) {
      if (ec == asio::error::operation_aborted || stopping_) return;
      ArmWatchdog();
    });
  }

  // "feeds 120 (3 failing), articles 5120, events 310"
  std::string StatusLine() const {
    size_t failing = 0;
    for (const auto& [url, feed] : feeds_) failing += feed.state.outcome == FetchOutcome::kFailed;
    const storage::StoreCounts c = store_->Counts();
    std::string line = "feeds " + std::to_string(feeds_.size()) + " (" + std::to_string(failing) +
                       " failing), articles " + std::to_string(c.articles) + ", events " +
                       std::to_string(c.events);
    if (dispatcher_ != nullptr) {
      line += ", alerts firing " + std::to_string(metrics_.alert_count("firing")) +
              ", notifications pending " + std::to_string(metrics_.outbox_depth());
    }
    if (!reload_error_.empty()) line += "; reload failed, old config kept: " + reload_error_;
    return line;
  }

  void ArmTimer() {
    if (stopping_ || due_.empty()) return;
    const UnixSeconds now = clock_.NowSeconds();
    const auto wait = due_.top().first > now ? due_.top().first - now : std::chrono::seconds(0);
    timer_.expires_after(wait);
    timer_.async_wait([this](error_code ec) {
      if (ec == asio::error::operation_aborted || stopping_) return;
      StartDue();
      ArmTimer();
    });
  }

  void StartDue() {
    const UnixSeconds now = clock_.NowSeconds();
    while (!due_.empty() && due_.top().first <= now) {
      const std::string url = due_.top().second;
      due_.pop();
      auto it = feeds_.find(url);
      if (it == feeds_.end() || it->second.in_flight) continue;
      it->second.in_flight = true;
      pipeline_->AsyncPoll(it->second.config, it->second.state, [this](PollReport r) {
        auto f = feeds_.find(r.state.url);
        if (f == feeds_.end()) return;
        f->second.in_flight = false;
        if (r.cancelled) return;
        PollSummary ignored;
        Record(r, &ignored);
        Schedule(f->second);
        notifier_.Status(StatusLine());
      });
    }
  }

  void Schedule(Feed& feed) {
    const UnixSeconds next = feed.state.next_attempt.value_or(clock_.NowSeconds());
    const bool earliest = due_.empty() || next < due_.top().first;
    due_.push({next, feed.state.url});
    if (earliest) ArmTimer();
  }

  config::Config config_;
  const Clock& clock_;
  asio::io_context io_;
  asio::steady_timer timer_;
  asio::steady_timer watchdog_{io_};
  asio::steady_timer alert_timer_{io_};
  std::unique_ptr<Alerting> alerting_;      // when alert rules are configured
  std::unique_ptr<Dispatcher> dispatcher_;  // with alerting_
  std::unique_ptr<AlertApi> alert_api_;     // with alerting_
  std::chrono::microseconds watchdog_interval_{0};
  Notifier notifier_;
  asio::signal_set signals_;
  Metrics metrics_;  // before the pipeline, which counts into it
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Fetcher> fetcher_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<HttpEndpoint> http_;  // while Run() runs, when configured
  std::atomic<uint16_t> http_port_{0};
  std::map<std::string, Feed> feeds_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  bool stopping_ = false;
  bool running_ = false;  // Run(), not RunOnce(): SIGHUP reloads
  std::string pack_version_;
  std::string reload_error_;  // the last failed reload, until one succeeds
  std::map<std::string, std::string> logged_errors_;  // feed -> error last logged
  // The rule pack being (or having been) validated at start-up. Last: its
  // thread may post to io_, and destroying it waits for that thread.
  PackFuture rules_;
};

Service::Service(config::Config config, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(config), clock)) {}
Service::~Service() = default;
Status Service::Open() { return impl_->Open(); }
Status Service::WaitForRules() { return impl_->WaitForRules(); }
Result<PollSummary> Service::RunOnce() { return impl_->RunOnce(); }
Status Service::Run() { return impl_->Run(); }
void Service::Stop() { impl_->Stop(); }
uint16_t Service::http_port() const { return impl_->http_port(); }

}  // namespace assay::daemon
