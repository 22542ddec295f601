#include "daemon/pipeline.h"

#include <future>

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <deque>
#include <mutex>
#include <random>
#include <unordered_map>
#include <thread>

#include "daemon/scheduler.h"
#include "parsers/feed.h"
#include "parsers/normalize.h"
#include "parsers/story.h"
#include "parsers/story_index.h"

namespace assay::daemon {
namespace {

namespace asio = boost::asio;

std::string HttpError(long status) {
  switch (status) {
    case 304: return "HTTP 304 Not Modified";
    case 400: return "HTTP 400 Bad Request";
    case 401: return "HTTP 401 Unauthorized";
    case 403: return "HTTP 403 Forbidden";
    case 404: return "HTTP 404 Not Found";
    case 410: return "HTTP 410 Gone";
    case 429: return "HTTP 429 Too Many Requests";
    case 500: return "HTTP 500 Internal Server Error";
    case 502: return "HTTP 502 Bad Gateway";
    case 503: return "HTTP 503 Service Unavailable";
    case 504: return "HTTP 504 Gateway Timeout";
    default: return "HTTP " + std::to_string(status);
  }
}

void MarkFailed(FeedState* state, std::string error) {
  state->outcome = FetchOutcome::kFailed;
  state->last_error = std::move(error);
  ++state->consecutive_failures;
}

}  // namespace

class Pipeline::Impl {
 public:
  Impl(asio::io_context& io, Fetcher& fetcher, storage::Store& store, const Clock& clock,
       const config::FetchConfig& fetch,
       std::shared_future<Result<std::shared_ptr<const rules::Tagger>>> tagger,
       unsigned parse_threads, std::shared_future<Status> write_gate, Metrics* metrics)
      : fetch_(fetch),
        pending_tagger_(std::move(tagger)),
        write_gate_(std::move(write_gate)),
        rng_(std::random_device{}()),
        io_(io),
        fetcher_(fetcher),
        store_(store),
        clock_(clock),
        metrics_(metrics),
        parse_pool_(parse_threads ? parse_threads : std::max(1u, std::thread::hardware_concurrency())),
        store_thread_(1) {}

  ~Impl() { Drain(); }

  void Drain() {
    parse_pool_.join();
    store_thread_.join();
  }

  void SetTagger(std::shared_future<Result<std::shared_ptr<const rules::Tagger>>> tagger) {
    std::lock_guard lock(tagger_mu_);
    tagger_ = nullptr;
    pending_tagger_ = std::move(tagger);
  }

  void SetAlerting(Alerting* alerting, std::function<void()> on_notify) {
    alerting_ = alerting;
    on_notify_ = std::move(on_notify);
  }

  std::future<Status> RunOnStoreThread(std::function<Status()> fn) {
    auto task = std::make_shared<std::packaged_task<Status()>>(std::move(fn));
    std::future<Status> result = task->get_future();
    asio::post(store_thread_, [task] { (*task)(); });
    return result;
  }

  void AsyncAlertTick() {
    if (alerting_ == nullptr) return;
    asio::post(store_thread_, [this] {
      if (Status gate = WaitForWriteGate(); !gate.ok()) return;
      if (!ReadyAlerts()) return;
      const UnixMicros now = clock_.Now();
      if (Status st = alerting_->Advance(store_, now); !st.ok()) {
        spdlog::error("alerts: cannot record resolutions error=\"{}\"", st.message());
        alerts_ready_ = false;
        return;
      }
      if (on_notify_) on_notify_();
    });
  }

  void AsyncWriteFeeds(std::vector<FeedState> feeds) {
    if (feeds.empty()) return;
    asio::post(store_thread_, [this, feeds = std::move(feeds)] {
      if (Status gate = WaitForWriteGate(); !gate.ok()) return;
      if (Status s = store_.PutFeeds(feeds); !s.ok()) {
        spdlog::error("cannot register {} feeds: {}", feeds.size(), s.message());
      }
    });
  }

  // Polls past the in-flight limit wait here, so that bodies fetched faster
  // than they can be parsed and stored do not pile up in memory: a poll
  // with a body holds its slot from the start of its transfer until its
  // result is stored; one without (304, failure) until its response is in.
  void AsyncPoll(const config::FeedConfig& feed, FeedState state,
                 std::function<void(PollReport)> done) {
    if (in_flight_ >= max_in_flight_) {
      waiting_.push_back(Waiting{feed, std::move(state), std::move(done)});
      return;
    }
    ++in_flight_;
    auto guard = asio::make_work_guard(io_);
    auto slot = std::make_shared<bool>(true);  // io thread only: the slot is held
    done = [this, slot, done = std::move(done)](PollReport r) {
      const bool held = *slot;
      *slot = false;
      if (held) --in_flight_;
      done(std::move(r));
      if (held) StartWaiting();
    };
    FetchRequest request{.url = state.current_url.empty() ? state.url : state.current_url,
                         .etag = state.etag,
                         .last_modified = state.last_modified};
    fetcher_.AsyncFetch(std::move(request), [this, feed, state = std::move(state), slot,
                                             done = std::move(done), guard](FetchResult r) mutable {
      OnFetched(feed, std::move(state), std::move(r), std::move(done), std::move(guard), slot);
    });
  }

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  struct Waiting {
    config::FeedConfig feed;
    FeedState state;
    std::function<void(PollReport)> done;
  };
  using Events = std::unordered_map<std::string, Event>;  // by article id

  // io thread: starts the polls waiting for a slot, as far as slots are free.
  void StartWaiting() {
    while (!waiting_.empty() && in_flight_ < max_in_flight_) {
      Waiting w = std::move(waiting_.front());
      waiting_.pop_front();
      AsyncPoll(w.feed, std::move(w.state), std::move(w.done));
    }
  }

  // On the io thread: decide what the response means for the feed.
  void OnFetched(const config::FeedConfig& feed, FeedState state, FetchResult r,
                 std::function<void(PollReport)> done, Guard guard,
                 const std::shared_ptr<bool>& slot) {
    PollReport report;
    if (r.error == FetchError::kCancelled) {
      report.cancelled = true;
      report.state = std::move(state);
      done(std::move(report));
      return;
    }
    if (metrics_ != nullptr) metrics_->CountFetch(r);
    const UnixSeconds now = clock_.NowSeconds();
    state.last_fetch = now;
    state.http_status = r.http_status;
    state.hint_seconds = 0;
    if (!r.permanent_url.empty() && r.permanent_url != state.current_url) {
      spdlog::info("feed={} moved permanently to url={}", state.url, r.permanent_url);
      state.current_url = r.permanent_url;
    }
    const bool is_file = r.http_status == 0 && r.ok();
    if (!r.ok()) {
      MarkFailed(&state, r.error_message);
    } else if (r.http_status == 304) {
      state.outcome = FetchOutcome::kNotModified;
      state.last_error.clear();
      state.consecutive_failures = 0;
      state.last_success = now;
      if (r.max_age) state.hint_seconds = r.max_age->count();
    } else if (!is_file && (r.http_status < 200 || r.http_status >= 300)) {
      MarkFailed(&state, HttpError(r.http_status));
      if ((r.http_status == 429 || r.http_status == 503) && r.retry_after) {
        state.hint_seconds = r.retry_after->count();
      }
    } else {
      // A body to parse: off the io thread.
      report.body_bytes = r.body.size();
      asio::post(parse_pool_, [this, feed, state = std::move(state), r = std::move(r), now,
                               done = std::move(done), guard = std::move(guard),
                               report = std::move(report)]() mutable {
        Parse(feed, std::move(state), std::move(r), now, std::move(done), std::move(guard),
              std::move(report));
      });
      return;
    }
    // No body: what waits to be written is a feed state of a few hundred
    // bytes, so the poll gives its slot back now rather than when the
    // state is written. Otherwise the 304s of a warm start would stop at
    // the in-flight limit until the write gate opens (the rule pack is
    // still being validated) and the transfers would idle meanwhile. Its
    // handler still runs only once the state is written.
    if (*slot) {
      *slot = false;
      --in_flight_;
      asio::post(io_, [this] { StartWaiting(); });
    }
    Store(feed, std::move(state), {}, {}, std::move(done), std::move(guard), std::move(report));
  }

  // On the parse pool: bytes → articles.
  void Parse(const config::FeedConfig& feed, FeedState state, FetchResult r, UnixSeconds now,
             std::function<void(PollReport)> done, Guard guard, PollReport report) {
    parsers::FetchInfo info{.url = r.effective_url.empty() ? state.current_url : r.effective_url,
                            .content_type = r.content_type};
    Result<parsers::Feed> parsed = parsers::ParseFeed(r.body, info);
    std::vector<Article> articles;
    if (!parsed) {
      if (metrics_ != nullptr) metrics_->CountParseError();
      MarkFailed(&state, "parse error: " + parsed.error().message());
    } else {
      state.outcome = FetchOutcome::kOk;
      state.last_error.clear();
      state.consecutive_failures = 0;
      state.last_success = now;
      state.etag = r.etag;
      state.last_modified = r.last_modified;
      if (parsed->title) state.title = *parsed->title;
      state.warning_count = static_cast<uint32_t>(parsed->warnings.size());
      state.last_warning = parsed->warnings.empty() ? "" : parsed->warnings.front();
      int64_t hint = parsed->ttl_seconds;
      if (r.max_age) hint = std::max<int64_t>(hint, r.max_age->count());
      state.hint_seconds = hint;
      articles = parsers::Normalise(*parsed, state.url, now);
      for (Article& a : articles) {
        for (const std::string& t : feed.tags) a.categories.push_back(t);
      }
    }
    // Tagging is pure and the costliest stage after parsing, so it runs here
    // on the CPU pool rather than on the single storage thread. Re-polled
    // duplicates are tagged too and their results dropped by Store(); a
    // conditional GET makes those rare.
    Events events;
    if (!articles.empty()) {
      Result<std::shared_ptr<const rules::Tagger>> tagger = CurrentTagger();
      if (!tagger) {
        MarkFailed(&state, "rules: " + tagger.error().message());
        state.etag.clear();
        state.last_modified.clear();
        articles.clear();
      } else {
        const auto start = std::chrono::steady_clock::now();
        for (const Article& a : articles) {
          rules::TagResult t = (*tagger)->Tag(a);
          if (t.tags.empty()) continue;
          events.emplace(a.id, rules::ToEvent(std::move(t), (*tagger)->pack_version()));
        }
        if (metrics_ != nullptr) {
          metrics_->CountRuleEvaluation(std::chrono::steady_clock::now() - start, articles.size());
        }
      }
    }
    Store(feed, std::move(state), std::move(articles), std::move(events), std::move(done),
          std::move(guard), std::move(report));
  }

  // Store thread: a new article joins the story of the most similar recent
  // article (including earlier ones of this batch); an updated one keeps its
  // story but is re-indexed with its new signature.
  void AssignStories(storage::IngestPlan* plan) {
    if (plan->new_count() + plan->updated_count() == 0) return;
    if (!stories_loaded_) {
      // The first new article of the process loads the index, so that a
      // poll that only sees 304s never pays for it.
      Status s = LoadStories();
      if (!s.ok()) spdlog::error("stories: cannot load the story index: {}", s.message());
      stories_loaded_ = true;
    }
    stories_.Expire(clock_.NowSeconds());
    for (storage::IngestItem& item : plan->items) {
      if (item.change == storage::ArticleChange::kDuplicate) continue;
      Article& a = item.article;
      const parsers::StorySignature sig =
          parsers::DecodeStorySignature(a.story_signature).value_or(parsers::StorySignature{});
      if (item.change == storage::ArticleChange::kNew) {
        a.story_id = stories_.Find(sig).value_or(a.id);
      }
      stories_.Add(a.id, a.story_id, sig, a.fetched);
    }
  }

 private:
  Status LoadStories() {
    const UnixSeconds since = clock_.NowSeconds() - stories_.window();
    return store_.ScanStories(since, [this](storage::Store::StoryEntry e) {
      std::optional<parsers::StorySignature> sig = parsers::DecodeStorySignature(e.signature);
      if (sig) stories_.Add(e.article_id, e.story_id, *sig, e.fetched);
    });
  }

  // Storage thread: the alert engine rebuilt from the store, once and after
  // any failed write (whose evaluation the store never saw).
  bool ReadyAlerts() {
    if (alerting_ == nullptr) return false;
    if (alerts_ready_) return true;
    Status st = alerting_->Rebuild(store_, clock_.Now());
    if (!st.ok()) {
      spdlog::error("alerts: cannot rebuild from the store error=\"{}\"", st.message());
      return false;
    }
    alerts_ready_ = true;
    return true;
  }

  // Storage thread: Ok once the gate has opened; its error, for good, if it
  // never will.
  Status WaitForWriteGate() {
    if (!gate_checked_) {
      if (write_gate_.valid()) gate_status_ = write_gate_.get();
      gate_checked_ = true;
    }
    return gate_status_;
  }

  // Waits for the first compile to finish, once.
  Result<std::shared_ptr<const rules::Tagger>> CurrentTagger() {
    std::lock_guard lock(tagger_mu_);
    if (!tagger_ && pending_tagger_.valid()) {
      const Result<std::shared_ptr<const rules::Tagger>>& compiled = pending_tagger_.get();
      if (!compiled) return compiled.error();
      tagger_ = *compiled;
    }
    if (!tagger_) return Internal("no rule pack loaded");
    return tagger_;
  }

  // A poll that wrote no article (304, failure), waiting for its feed state
  // to be written.
  struct StateWrite {
    std::chrono::seconds interval;
    FeedState state;
    std::function<void(PollReport)> done;
    Guard guard;
    PollReport report;
  };

  // Queues a feed state for the storage thread, which writes the states
  // queued since its last such write in one batch (Store::PutFeeds) rather
  // than one write per feed. The queue is bounded by the number of feeds
  // (a feed has one poll at a time) and holds no bodies.
  void StoreState(std::chrono::seconds interval, FeedState state,
                  std::function<void(PollReport)> done, Guard guard, PollReport report) {
    bool post = false;
    {
      std::lock_guard lock(state_writes_mu_);
      state_writes_.push_back(StateWrite{interval, std::move(state), std::move(done),
                                         std::move(guard), std::move(report)});
      post = !state_writes_posted_;
      state_writes_posted_ = true;
    }
    if (post) asio::post(store_thread_, [this] { WriteStates(); });
  }

  // Storage thread: every queued feed state in one batch; each poll's
  // handler runs only after its state is written (or the write failed).
  void WriteStates() {
    std::vector<StateWrite> writes;
    {
      std::lock_guard lock(state_writes_mu_);
      writes.swap(state_writes_);
      state_writes_posted_ = false;
    }
    if (writes.empty()) return;
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    Status s = WaitForWriteGate();
    if (s.ok()) {
      std::vector<FeedState> states;
      states.reserve(writes.size());
      for (StateWrite& w : writes) {
        w.state.next_attempt =
            NextAttempt(w.state, w.interval, clock_.NowSeconds(), fetch_, jitter(rng_));
        states.push_back(w.state);
      }
      s = store_.PutFeeds(states);
    }
    for (StateWrite& w : writes) {
      w.report.state = std::move(w.state);
      if (s.ok()) continue;
      if (!gate_status_.ok()) {
        // Nothing may be written: the poll fails, the feed keeps its
        // stored state.
        FeedState kept = std::move(w.report.state);
        w.report = PollReport{};
        w.report.state = std::move(kept);
        MarkFailed(&w.report.state, s.message());
        continue;
      }
      // Not written; the next poll fetches again, unconditionally.
      if (metrics_ != nullptr) metrics_->CountStoreError();
      MarkFailed(&w.report.state, "store: " + s.message());
      w.report.state.etag.clear();
      w.report.state.last_modified.clear();
      w.report.state.next_attempt =
          NextAttempt(w.report.state, w.interval, clock_.NowSeconds(), fetch_, jitter(rng_));
    }
    asio::post(io_, [writes = std::move(writes)]() mutable {
      for (StateWrite& w : writes) w.done(std::move(w.report));
    });
  }

  // On the storage thread: one atomic batch, then back to the io thread.
  // The next attempt is decided here so that it is written with the rest.
  void Store(const config::FeedConfig& feed, FeedState state, std::vector<Article> articles,
             Events events, std::function<void(PollReport)> done, Guard guard, PollReport report) {
    if (articles.empty()) {
      StoreState(feed.interval, std::move(state), std::move(done), std::move(guard),
                 std::move(report));
      return;
    }
    asio::post(store_thread_, [this, interval = feed.interval, state = std::move(state),
                               articles = std::move(articles), events = std::move(events),
                               done = std::move(done), guard = std::move(guard),
                               report = std::move(report)]() mutable {
      std::uniform_real_distribution<double> jitter(0.0, 1.0);
      if (Status gate = WaitForWriteGate(); !gate.ok()) {
        // Nothing may be written: the poll fails as a whole, and the feed
        // keeps its stored state.
        report = PollReport{};
        report.state = std::move(state);
        MarkFailed(&report.state, gate.message());
        asio::post(io_, [done = std::move(done), report = std::move(report),
                         guard = std::move(guard)]() mutable { done(std::move(report)); });
        return;
      }
      state.next_attempt = NextAttempt(state, interval, clock_.NowSeconds(), fetch_, jitter(rng_));
      Result<storage::IngestPlan> plan = store_.Plan(state, std::move(articles));
      if (plan) AssignStories(&*plan);
      if (plan) {
        const UnixMicros now = clock_.Now();
        for (storage::IngestItem& item : plan->items) {
          if (item.change == storage::ArticleChange::kDuplicate) continue;
          auto e = events.find(item.article.id);
          if (e == events.end()) continue;
          item.event = std::move(e->second);
          item.event->time = now;  // kept from the earlier event on an update
          ++report.events;
        }
      }
      Status s = plan ? Status::Ok() : plan.error();
      if (s.ok() && report.events > 0 && ReadyAlerts()) {
        const UnixMicros now = clock_.Now();
        s = alerting_->Evaluate(&*plan, store_, now);
      }
      if (s.ok()) s = store_.Apply(*plan);
      if (alerting_ != nullptr && !s.ok()) alerts_ready_ = false;
      if (s.ok() && !plan->notifications.empty() && on_notify_) on_notify_();
      if (s.ok()) {
        if (metrics_ != nullptr) CountStored(*plan);
        report.new_articles = plan->new_count();
        report.updated_articles = plan->updated_count();
        report.duplicate_articles = plan->duplicate_count();
        report.state = std::move(plan->feed);
      } else {
        // Nothing of this poll was written; the next poll fetches again
        // (its ETag was not stored either).
        report.state = std::move(state);
        if (metrics_ != nullptr) metrics_->CountStoreError();
        MarkFailed(&report.state, "store: " + s.message());
        report.state.etag.clear();
        report.state.last_modified.clear();
        report.state.next_attempt =
            NextAttempt(report.state, interval, clock_.NowSeconds(), fetch_, jitter(rng_));
      }
      asio::post(io_, [done = std::move(done), report = std::move(report),
                       guard = std::move(guard)]() mutable { done(std::move(report)); });
    });
  }

  void CountStored(const storage::IngestPlan& plan) {
    metrics_->CountArticles(plan.new_count(), plan.updated_count(), plan.duplicate_count());
    for (const storage::IngestItem& item : plan.items) {
      if (item.change != storage::ArticleChange::kDuplicate && item.event) {
        metrics_->CountEvent(item.event->tags);
      }
    }
  }

  const config::FetchConfig fetch_;
  // io thread only. A quarter above the transfer limit keeps the fetcher
  // busy while earlier bodies are parsed and stored, without letting bodies
  // pile up when storing is the slower side.
  const size_t max_in_flight_ = static_cast<size_t>(std::max(fetch_.concurrency, 1)) * 5 / 4 + 1;
  size_t in_flight_ = 0;
  std::deque<Waiting> waiting_;
  std::mutex tagger_mu_;
  std::shared_ptr<const rules::Tagger> tagger_;  // guarded by tagger_mu_
  std::shared_future<Result<std::shared_ptr<const rules::Tagger>>> pending_tagger_;  // same
  std::shared_future<Status> write_gate_;
  std::mutex state_writes_mu_;
  std::vector<StateWrite> state_writes_;  // guarded by state_writes_mu_
  bool state_writes_posted_ = false;      // same: a WriteStates() is queued
  bool gate_checked_ = false;  // store thread only
  Status gate_status_;         // store thread only
  std::mt19937_64 rng_;  // store thread only
  Alerting* alerting_ = nullptr;  // set before the first poll
  std::function<void()> on_notify_;
  bool alerts_ready_ = false;  // store thread only
  parsers::StoryIndex stories_;  // store thread only
  bool stories_loaded_ = false;  // store thread only
  asio::io_context& io_;
  Fetcher& fetcher_;
  storage::Store& store_;
  const Clock& clock_;
  Metrics* const metrics_;  // may be null
  asio::thread_pool parse_pool_;
  asio::thread_pool store_thread_;
};

Pipeline::Pipeline(asio::io_context& io, Fetcher& fetcher, storage::Store& store,
                   const Clock& clock, const config::FetchConfig& fetch,
                   std::shared_future<Result<std::shared_ptr<const rules::Tagger>>> tagger,
                   unsigned parse_threads, std::shared_future<Status> write_gate,
                   Metrics* metrics)
    : impl_(std::make_unique<Impl>(io, fetcher, store, clock, fetch, std::move(tagger),
                                   parse_threads, std::move(write_gate), metrics)) {}
void Pipeline::SetTagger(std::shared_future<Result<std::shared_ptr<const rules::Tagger>>> tagger) {
  impl_->SetTagger(std::move(tagger));
}
Pipeline::~Pipeline() = default;
void Pipeline::AsyncPoll(const config::FeedConfig& feed, FeedState state,
                         std::function<void(PollReport)> done) {
  impl_->AsyncPoll(feed, std::move(state), std::move(done));
}
void Pipeline::AsyncWriteFeeds(std::vector<FeedState> feeds) {
  impl_->AsyncWriteFeeds(std::move(feeds));
}
void Pipeline::Drain() { impl_->Drain(); }
void Pipeline::SetAlerting(Alerting* alerting, std::function<void()> on_notify) {
  impl_->SetAlerting(alerting, std::move(on_notify));
}
void Pipeline::AsyncAlertTick() { impl_->AsyncAlertTick(); }
std::future<Status> Pipeline::RunOnStoreThread(std::function<Status()> fn) {
  return impl_->RunOnStoreThread(std::move(fn));
}

}  // namespace assay::daemon
