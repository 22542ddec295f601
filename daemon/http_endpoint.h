// The daemon's local HTTP endpoint: an HTTP/1.1 server (Boost.Beast) on the
// daemon's io_context.
//
//   GET  /healthz                   200 "ok": answered by the loop itself,
//                                   so an answer proves the loop alive
//   GET  /readyz                    200 "ready", or 503 with the reason
//   GET  /metrics                   Prometheus text format (daemon/metrics.h)
//   GET  /api/v1/events?...         the event log as JSON, with the filters
//                                   of `assay events` (query/event_filter.h)
//   GET  /api/v1/alerts             {"alerts": [...]}           (AlertApi)
//   POST /api/v1/alerts/{id}/ack    acknowledge an alert        (AlertApi)
//   POST /api/v1/silences           create a silence            (AlertApi)
//
// Access: loopback by default. Any other listen address needs a token
// (Start() refuses it otherwise, as config loading does). With a token set,
// every route but /healthz and /readyz requires `Authorization: Bearer
// TOKEN` (401 otherwise); the POST routes always do, so without a token they
// answer 403. Tokens are compared in constant time and never logged.
//
// Each connection carries one request (the response closes it): requests
// over max_request_bytes get 413, a request not read within read_timeout is
// dropped, and connections past max_connections get 503 at once. Work that
// may take long (store queries, rendering metrics, the alert routes) runs on
// the endpoint's own worker thread, never on the loop; the response is
// written from the loop once it is done.
//
// Threads: Start(), Stop() and the destructor run on the io_context's
// thread (or while it is not running); handlers run there too. Stop()
// closes the listener and every open connection, so that io_context::run()
// can return; the destructor also waits for the worker.
#ifndef ASSAY_DAEMON_HTTP_ENDPOINT_H_
#define ASSAY_DAEMON_HTTP_ENDPOINT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/status.h"
#include "daemon/metrics.h"
#include "storage/store.h"

namespace assay::daemon {

// A response, as a handler builds it.
struct HttpReply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Decoded query parameters in request order; a name may repeat.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits "a=1&b=x%20y&a=2" (no leading '?') into decoded pairs; '+' is a
// space. InvalidArgument for a malformed %-escape.
Result<QueryParams> ParseQueryString(std::string_view query);

// The alert routes. The alert engine implements this; until one is given
// the endpoint lists no alerts and answers the POST routes with 501.
// Called on the endpoint's worker thread, one call at a time; the POST
// routes only after the bearer token has been checked.
class AlertApi {
 public:
  virtual ~AlertApi() = default;
  // GET /api/v1/alerts: {"alerts": [...]}, newest first.
  virtual HttpReply ListAlerts(const QueryParams& params) = 0;
  // POST /api/v1/alerts/{id}/ack with the request body (JSON, may be empty).
  virtual HttpReply Acknowledge(std::string_view alert_id, std::string_view body) = 0;
  // POST /api/v1/silences with the request body (JSON).
  virtual HttpReply Silence(std::string_view body) = 0;
};

struct HttpEndpointOptions {
  std::string listen = "127.0.0.1";  // an IP address or "localhost"
  uint16_t port = 0;                 // 0: the kernel picks one (see port())
  std::string token{};               // empty: no token
  // Request line, headers and body together: the API takes small JSON
  // bodies at most.
  size_t max_request_bytes = 64 * 1024;
  // Time to read a whole request, and to write a response: a client that
  // stalls holds a connection slot no longer.
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{30'000};
  // A scraper and a few API clients; more is a misbehaving client.
  size_t max_connections = 32;
};

// Where the endpoint's answers come from. Every pointer must outlive the
// endpoint; `alerts` may be null.
struct HttpSources {
  // Loop thread: Ok when the daemon is ready, else why not (for /readyz).
  std::function<Status()> readiness{};
  // Loop thread, before each scrape: refreshes gauges that only the loop
  // may read (feeds failing).
  std::function<void()> before_scrape{};
  Metrics* metrics = nullptr;
  // Read on the worker (Events, GetArticle, GetFeed: thread-safe readers).
  const storage::Store* store = nullptr;
  // The store's directory: its files' sizes are the store size gauge.
  std::string store_path{};
  AlertApi* alerts = nullptr;
};

class HttpEndpoint {
 public:
  // Binds and starts accepting. InvalidArgument for a non-loopback address
  // without a token or an unparsable address; Unavailable when the address
  // cannot be bound (naming it).
  static Result<std::unique_ptr<HttpEndpoint>> Start(boost::asio::io_context& io,
                                                     HttpEndpointOptions options,
                                                     HttpSources sources);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // The bound port (the chosen one when options.port was 0).
  uint16_t port() const;

  // Stops accepting and closes every connection; idempotent.
  void Stop();

 private:
  class Impl;
  explicit HttpEndpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Constant-time comparison of a presented token with the configured one
// (both hashed first, so that not even the length leaks through timing).
bool TokenMatches(std::string_view presented, std::string_view expected);

}  // namespace assay::daemon

#endif  // ASSAY_DAEMON_HTTP_ENDPOINT_H_
