// The daemon's main job: opens the store, registers the configured feeds,
// schedules and runs polls on one io_context, and stops cleanly.
//
// Threads: Run()/RunOnce() run the io_context on the calling thread; Stop()
// may be called from any thread (it posts to the loop).
#ifndef ASSAY_DAEMON_SERVICE_H_
#define ASSAY_DAEMON_SERVICE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "core/time.h"

namespace assay::daemon {

// What a pass over the feeds did; `assayd --once` prints it.
struct PollSummary {
  size_t feeds_ok = 0;
  size_t feeds_not_modified = 0;
  size_t feeds_failed = 0;
  size_t articles_new = 0;
  size_t articles_updated = 0;
  size_t articles_duplicate = 0;
  size_t events = 0;
  size_t body_bytes = 0;
  size_t notifications = 0;  // delivery attempts of the pass's final outbox run
  std::chrono::milliseconds elapsed{0};
  std::vector<std::string> failures;  // "URL: error", one per failed feed

  std::string ToString() const;
};

class Service {
 public:
  // `clock` must outlive the Service.
  Service(config::Config config, const Clock& clock);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Opens the store and registers the configured feeds, while the rule
  // pack is validated on another thread (see WaitForRules()). Fails
  // (writing nothing) when the store cannot be opened. A store that does not
  // exist yet is created only once the pack has proved valid, so a broken
  // pack never leaves an empty store behind.
  Status Open();

  // Waits for the rule pack's validation: Ok, or every problem found.
  // Idempotent; any thread.
  Status WaitForRules();

  // Polls every configured feed once, whatever its schedule, waits for all
  // and returns what happened. Polling starts before the rule pack has been
  // validated (a 304 needs no rules), but nothing is written until it has:
  // with an invalid pack the transfers are cancelled, nothing of the pass is
  // written, and the pack's problems are returned.
  Result<PollSummary> RunOnce();

  // Waits for the rule pack (an invalid one fails here, writing nothing),
  // then polls feeds on their schedules until Stop() or SIGTERM/SIGINT:
  // then stops scheduling, cancels transfers, finishes writes and returns.
  // READY=1 goes out once the store is open and the rules are loaded.
  Status Run();

  // Thread-safe; idempotent.
  void Stop();

  // The port of the local HTTP endpoint (config `http:`) once Run() has
  // started it; 0 before, or without one. Thread-safe.
  uint16_t http_port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace assay::daemon

#endif  // ASSAY_DAEMON_SERVICE_H_
