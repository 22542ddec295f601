// The fetcher: HTTP(S) transfers on libcurl's multi interface, driven by the
// daemon's Boost.Asio io_context. One thread holds thousands of transfers;
// nothing blocks the loop.
//
// Each transfer: conditional GET (If-None-Match / If-Modified-Since),
// compressed transfer (gzip, deflate, br, zstd), at most N redirects over
// http/https only (file:// only when the request's own URL is file://),
// connect / total / low-speed timeouts, a cap on *decoded* body bytes
// counted as they arrive (a gzip bomb or an unannounced huge body is cut
// off), refusal of private/loopback addresses at connect time for every hop
// unless allowed, and global and per-host concurrency limits (requests over
// a limit wait in a queue).
//
// Threads: every member must be called on the io_context's thread, and
// handlers run there. The io_context must outlive the Fetcher; destroying
// or Shutdown() completes every outstanding request with kCancelled.
#ifndef ASSAY_DAEMON_FETCHER_H_
#define ASSAY_DAEMON_FETCHER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "config/config.h"
#include "core/status.h"

namespace assay::daemon {

struct FetchRequest {
  std::string url;
  std::string etag;           // sent as If-None-Match when non-empty
  std::string last_modified;  // sent as If-Modified-Since when non-empty
};

enum class FetchError : uint8_t {
  kNone = 0,       // the HTTP exchange completed; see http_status
  kTooLarge,       // decoded body over the cap
  kTimeout,        // connect, total or low-speed timeout
  kForbiddenAddress,  // a hop resolved to a private/loopback address
  kBadRedirect,    // too many redirects or a disallowed scheme
  kNetwork,        // DNS, connect, TLS, reset...
  kCancelled,      // shutdown
};

struct FetchResult {
  FetchError error = FetchError::kNone;
  std::string error_message;  // human-readable, for the feed's last_error
  long http_status = 0;       // of the final hop; 0 for file:// and errors
  std::string body;           // decoded
  std::string content_type;
  std::string etag;           // from the final response
  std::string last_modified;  // from the final response
  std::string effective_url;  // after redirects
  // Set when the request was redirected and every hop was permanent (301 or
  // 308): the feed's stored URL should become this.
  std::string permanent_url;
  std::optional<std::chrono::seconds> retry_after;  // 429/503 hint
  std::optional<std::chrono::seconds> max_age;      // Cache-Control hint
  int redirects = 0;
  std::chrono::milliseconds elapsed{0};

  bool ok() const { return error == FetchError::kNone; }
};

class Fetcher {
 public:
  using Handler = std::function<void(FetchResult)>;

  Fetcher(boost::asio::io_context& io, const config::FetchConfig& options);
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Starts (or queues) a transfer; `handler` runs exactly once, on the
  // io_context, never from inside this call (after Shutdown(), at once
  // with kCancelled).
  void AsyncFetch(FetchRequest request, Handler handler);

  // Completes every queued and running transfer with kCancelled.
  void Shutdown();

  // Replaces the options for transfers started from now on.
  void SetOptions(const config::FetchConfig& options);

  size_t running() const;
  size_t queued() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// "assay/0.1.0 (critical-minerals feed monitor; libcurl/7.88.1)".
std::string DefaultUserAgent();

}  // namespace assay::daemon

#endif  // ASSAY_DAEMON_FETCHER_H_
