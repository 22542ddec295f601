// The spine, wired: fetch → parse → normalise → (tag) → store for one feed.
// Reading pipeline.cc shows the whole flow; the stages themselves know
// nothing of each other.
//
// Threads: AsyncPoll() is called on the io_context thread and its handler
// runs there. Transfers run on the io_context (Fetcher); parsing and
// normalising run on a small CPU pool; Plan/Apply run on one dedicated
// storage thread (the store's single writer). Each poll holds a work guard
// on the io_context until its handler has run, so io_context::run() does
// not return while a poll is still being written.
#ifndef ASSAY_DAEMON_PIPELINE_H_
#define ASSAY_DAEMON_PIPELINE_H_

#include <chrono>
#include <functional>
#include <future>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "config/config.h"
#include "core/article.h"
#include "core/time.h"
#include "daemon/alerting.h"
#include "daemon/fetcher.h"
#include "daemon/metrics.h"
#include "rules/tagger.h"
#include "storage/store.h"

namespace assay::daemon {

// What one poll of one feed did.
struct PollReport {
  FeedState state;  // as stored after the poll (outcome, errors, counts)
  size_t new_articles = 0;
  size_t updated_articles = 0;
  size_t duplicate_articles = 0;
  size_t events = 0;  // events written (new or replaced)
  size_t body_bytes = 0;
  bool cancelled = false;  // shutdown: nothing was recorded
};

class Pipeline {
 public:
  // `store`, `fetcher`, `io` and `clock` must outlive the Pipeline.
  // `parse_threads` = 0 picks the number of cores.
  // `fetch` gives the scheduling limits for each feed's next attempt, which
  // is written in the same batch as the poll's result. `tagger` tags every
  // new and updated article; an article with tags gets an event in the
  // same batch. It may still be compiling: the first body to tag waits for
  // it, and a poll whose tagger failed records the failure and stores
  // nothing (so nothing is stored untagged). Polls that end in a 304 never
  // wait for it.
  // `write_gate`, when valid, is waited for on the storage thread before its
  // first write: the daemon validates its rule pack while the first polls
  // run. A gate that yields an error writes nothing, ever: every poll then
  // fails with that error (and AsyncWriteFeeds writes nothing).
  // `metrics`, when set, counts fetches, tagging, articles and events; it
  // must outlive the Pipeline.
  Pipeline(boost::asio::io_context& io, Fetcher& fetcher, storage::Store& store,
           const Clock& clock, const config::FetchConfig& fetch,
           std::shared_future<Result<std::shared_ptr<const rules::Tagger>>> tagger,
           unsigned parse_threads = 0, std::shared_future<Status> write_gate = {},
           Metrics* metrics = nullptr);
  ~Pipeline();  // finishes queued parse and store work, then joins
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Polls `feed` once, starting from its stored `state`, records the result
  // (articles and feed state, in one batch on success), and calls `done`.
  // The feed states of polls that store no article (304s, failures) are
  // written together with those of the other such polls queued at the
  // time, in one batch; `done` runs only after the poll's state is written
  // (or its write failed). The handler always runs, with cancelled = true
  // on shutdown.
  void AsyncPoll(const config::FeedConfig& feed, FeedState state,
                 std::function<void(PollReport)> done);

  // Writes these feed records (feeds new to the store, renamed ones) on the
  // storage thread, behind the write gate, before the result of any poll
  // started after this call. A failed write is logged: the feed's next poll
  // writes its record anyway.
  void AsyncWriteFeeds(std::vector<FeedState> feeds);


  // Evaluates alert rules on the storage thread: each poll's new events go
  // through `alerting` between Plan() and Apply(), so that the alerts and
  // notifications they cause are written in the same batch; `on_notify`
  // runs (on the storage thread) after a batch with notifications. The
  // engine is rebuilt from the store before its first use and after a
  // failed write. Call before the first poll; `alerting` must outlive the
  // Pipeline.
  void SetAlerting(Alerting* alerting, std::function<void()> on_notify);
  // Resolves quiet alerts now, on the storage thread.
  void AsyncAlertTick();
  // Runs `fn` on the storage thread (between polls' batches), e.g. a write
  // that must not interleave with alert evaluation; the future holds its
  // result.
  std::future<Status> RunOnStoreThread(std::function<Status()> fn);

  // Bodies parsed from now on are tagged with `tagger` (a rule-pack
  // reload), compiled when first needed. Thread-safe.
  void SetTagger(std::shared_future<Result<std::shared_ptr<const rules::Tagger>>> tagger);

  // Waits for queued parse and store work to finish (used on shutdown,
  // after the fetcher has been shut down).
  void Drain();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace assay::daemon

#endif  // ASSAY_DAEMON_PIPELINE_H_
