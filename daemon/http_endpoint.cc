#include "daemon/http_endpoint.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "config/config.h"
#include "core/time.h"
#include "query/event_filter.h"

namespace assay::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

HttpReply Text(unsigned status, std::string body) {
  return HttpReply{status, "text/plain; charset=utf-8", std::move(body)};
}

HttpReply JsonError(unsigned status, const std::string& message) {
  return HttpReply{status, "application/json",
                   nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                           nlohmann::json::error_handler_t::replace) +
                       "\n"};
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      const int hi = i + 2 < s.size() ? HexDigit(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? HexDigit(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return InvalidArgument("bad %-escape in the query string at offset " + std::to_string(i));
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The size of the store: every file under its directory (table files, the
// WAL that holds the memtables' contents, the manifest). Worker thread.
uint64_t DirectorySize(const std::string& path) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const uintmax_t n = it->file_size(size_ec);
      if (!size_ec) total += n;
    }
  }
  return total;
}

// The filters of `assay events`, from URL parameters of the same names
// (without the dashes of the flags): since, until, tag, any-tag, mineral,
// country, bloc, feed, story, min-severity, min-score, limit, oldest-first,
// grep.
Result<query::EventFilter> EventFilterFromParams(const QueryParams& params) {
  query::EventFilter f;
  for (const auto& [name, value] : params) {
    if (name == "since") {
      f.since = value;
    } else if (name == "until") {
      f.until = value;
    } else if (name == "tag") {
      f.tags.push_back(value);
    } else if (name == "any-tag") {
      f.any_tags.push_back(value);
    } else if (name == "mineral") {
      f.minerals.push_back(value);
    } else if (name == "country") {
      f.countries.push_back(value);
    } else if (name == "bloc") {
      f.blocs.push_back(value);
    } else if (name == "feed") {
      f.feed = value;
    } else if (name == "story") {
      f.story = value;
    } else if (name == "min-severity") {
      f.min_severity = value;
    } else if (name == "min-score") {
      f.min_score = value;
    } else if (name == "limit") {
      f.limit = value;
    } else if (name == "oldest-first") {
      if (value != "" && value != "true" && value != "false") {
        return InvalidArgument("oldest-first: '" + value + "' is not true or false");
      }
      f.oldest_first = value != "false";
    } else if (name == "grep") {
      f.grep = value;
    } else {
      return InvalidArgument("unknown parameter '" + name +
                             "' (since, until, tag, any-tag, mineral, country, bloc, feed, "
                             "story, min-severity, min-score, limit, oldest-first, grep)");
    }
  }
  return f;
}

// Worker thread: GET /api/v1/events.
HttpReply EventsReply(const storage::Store& store, const QueryParams& params) {
  Result<query::EventFilter> filter = EventFilterFromParams(params);
  if (!filter) return JsonError(400, filter.error().message());
  Result<storage::EventQuery> q = query::BuildEventQuery(*filter, SystemClock::Get().Now(), "");
  if (!q) return JsonError(400, q.error().message());
  Result<std::vector<Event>> events = store.Events(*q);
  if (!events) return JsonError(500, events.error().message());
  Result<std::vector<query::EventRow>> rows = query::LoadEventRows(store, std::move(*events));
  if (!rows) return JsonError(500, rows.error().message());
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const query::EventRow& r : *rows) out.push_back(query::EventRowJson(r));
  nlohmann::ordered_json doc = {{"events", std::move(out)}};
  // Stored text is UTF-8 but not checked here; replace rather than throw.
  return HttpReply{200, "application/json",
                   doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

// Until an alert engine is attached.
class NoAlerts final : public AlertApi {
 public:
  HttpReply ListAlerts(const QueryParams&) override {
    return HttpReply{200, "application/json", "{\"alerts\":[]}\n"};
  }
  HttpReply Acknowledge(std::string_view, std::string_view) override {
    return JsonError(501, "alerts are not enabled in this daemon");
  }
  HttpReply Silence(std::string_view) override {
    return JsonError(501, "alerts are not enabled in this daemon");
  }
};

// What the endpoint and its connections share. Connections hold it, so
// that a connection destroyed after the endpoint (its pending handler
// dropped with the io_context) touches nothing freed.
struct Shared {
  HttpEndpointOptions options;
  HttpSources sources;
  NoAlerts no_alerts;
  asio::thread_pool* worker = nullptr;  // null once stopped
  size_t connections = 0;               // loop thread only
  std::unordered_map<void*, std::function<void()>> closers;  // loop thread only
  bool stopped = false;

  AlertApi& alerts() { return sources.alerts != nullptr ? *sources.alerts : no_alerts; }
};

// One connection, one request. Keeps itself alive with shared_from_this()
// while an operation or worker job is pending.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    ++shared_->connections;
  }
  ~Session() {
    --shared_->connections;
    shared_->closers.erase(this);
  }

  void Start() {
    std::weak_ptr<Session> weak = shared_from_this();
    shared_->closers[this] = [weak] {
      if (auto self = weak.lock()) self->Close();
    };
    if (shared_->connections > shared_->options.max_connections) {
      Reply(Text(503, "too many connections\n"));
      return;
    }
    parser_.emplace();
    const size_t cap = shared_->options.max_request_bytes;
    parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(cap, UINT32_MAX)));
    parser_->body_limit(cap);
    stream_.expires_after(shared_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, size_t) { self->OnRead(ec); });
  }

  void Close() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void OnRead(error_code ec) {
    if (ec == asio::error::operation_aborted || shared_->stopped) return;
    if (ec == http::error::header_limit || ec == http::error::body_limit ||
        ec == http::error::buffer_overflow) {
      Reply(Text(413, "request too large\n"));
      return;
    }
    if (ec == beast::error::timeout || ec == http::error::end_of_stream) {
      Close();
      return;
    }
    if (ec) {
      Reply(Text(400, "bad request\n"));
      return;
    }
    Dispatch(parser_->release());
  }

  bool Authorized(const http::request<http::string_body>& req) const {
    const std::string& token = shared_->options.token;
    if (token.empty()) return false;
    auto it = req.find(http::field::authorization);
    if (it == req.end()) return false;
    const std::string_view value(it->value().data(), it->value().size());
    constexpr std::string_view kBearer = "Bearer ";
    if (value.size() <= kBearer.size() || !beast::iequals(value.substr(0, kBearer.size()), kBearer)) {
      return false;
    }
    return TokenMatches(value.substr(kBearer.size()), token);
  }

  void Dispatch(http::request<http::string_body> req) {
    const std::string_view target(req.target().data(), req.target().size());
    const size_t q = target.find('?');
    const std::string path(target.substr(0, q));
    Result<QueryParams> params =
        q == std::string_view::npos ? QueryParams{} : ParseQueryString(target.substr(q + 1));
    if (!params) return Reply(JsonError(400, params.error().message()));
    const bool get = req.method() == http::verb::get;
    const bool post = req.method() == http::verb::post;

    // Probes answer without a token: they reveal nothing but liveness.
    if (path == "/healthz" || path == "/readyz") {
      if (!get) return Reply(Text(405, "use GET\n"));
      if (path == "/healthz") return Reply(Text(200, "ok\n"));
      Status ready = shared_->sources.readiness ? shared_->sources.readiness() : Status::Ok();
      if (ready.ok()) return Reply(Text(200, "ready\n"));
      return Reply(Text(503, "not ready: " + ready.message() + "\n"));
    }
    const bool token_set = !shared_->options.token.empty();
    if ((token_set || post) && !Authorized(req)) {
      if (!token_set) {
        return Reply(JsonError(403, "this route needs a token: set http.token in the config"));
      }
      HttpReply r = JsonError(401, "missing or wrong bearer token");
      challenge_ = true;
      return Reply(std::move(r));
    }
    std::shared_ptr<Shared> shared = shared_;
    if (path == "/metrics") {
      if (!get) return Reply(Text(405, "use GET\n"));
      if (shared->sources.before_scrape) shared->sources.before_scrape();
      return OnWorker([shared] {
        Metrics* m = shared->sources.metrics;
        if (m == nullptr) return Text(404, "no metrics\n");
        if (!shared->sources.store_path.empty()) {
          m->SetStoreSize(DirectorySize(shared->sources.store_path));
        }
        return HttpReply{200, "text/plain; version=0.0.4; charset=utf-8", m->Render()};
      });
    }
    if (path == "/api/v1/events") {
      if (!get) return Reply(JsonError(405, "use GET"));
      if (shared->sources.store == nullptr) return Reply(JsonError(503, "the store is not open"));
      return OnWorker([shared, p = std::move(*params)] {
        return EventsReply(*shared->sources.store, p);
      });
    }
    if (path == "/api/v1/alerts") {
      if (!get) return Reply(JsonError(405, "use GET"));
      return OnWorker([shared, p = std::move(*params)] { return shared->alerts().ListAlerts(p); });
    }
    if (path == "/api/v1/silences") {
      if (!post) return Reply(JsonError(405, "use POST"));
      return OnWorker([shared, body = std::move(req.body())] {
        return shared->alerts().Silence(body);
      });
    }
    constexpr std::string_view kAlerts = "/api/v1/alerts/";
    constexpr std::string_view kAck = "/ack";
    if (path.starts_with(kAlerts) && path.ends_with(kAck) &&
        path.size() > kAlerts.size() + kAck.size()) {
      if (!post) return Reply(JsonError(405, "use POST"));
      Result<std::string> id =
          PercentDecode(std::string_view(path).substr(kAlerts.size(),
                                                      path.size() - kAlerts.size() - kAck.size()));
      if (!id || id->find('/') != std::string::npos) return Reply(JsonError(404, "no such route"));
      return OnWorker([shared, id = std::move(*id), body = std::move(req.body())] {
        return shared->alerts().Acknowledge(id, body);
      });
    }
    return Reply(JsonError(404, "no such route"));
  }

  // Runs `job` on the worker and replies with its result on the loop.
  template <typename Job>
  void OnWorker(Job job) {
    if (shared_->worker == nullptr) return Reply(Text(503, "stopping\n"));
    asio::post(*shared_->worker, [self = shared_from_this(), job = std::move(job)]() mutable {
      HttpReply reply = job();
      // The loop's handler takes this thread's reference, so that the
      // session is never destroyed here, off the loop.
      auto executor = self->stream_.get_executor();
      asio::post(executor, [self = std::move(self), reply = std::move(reply)]() mutable {
        if (!self->shared_->stopped) self->Reply(std::move(reply));
      });
    });
  }

  void Reply(HttpReply r) {
    res_.result(r.status);
    res_.version(11);
    res_.set(http::field::server, "assayd");
    res_.set(http::field::content_type, r.content_type);
    res_.set(http::field::cache_control, "no-store");
    if (challenge_) res_.set(http::field::www_authenticate, "Bearer");
    res_.keep_alive(false);
    res_.body() = std::move(r.body);
    res_.prepare_payload();
    stream_.expires_after(shared_->options.write_timeout);
    http::async_write(stream_, res_, [self = shared_from_this()](error_code ec, size_t) {
      if (ec) return self->Close();
      self->Linger();
    });
  }

  // A lingering close: the response is sent, but the client may still be
  // sending (a body over the cap). Closing with unread bytes makes the
  // kernel send a reset, which can destroy the response before the client
  // reads it, so the rest is read and dropped until the client closes, for
  // a bounded time and size.
  void Linger() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    DrainSome();
  }
  void DrainSome() {
    stream_.async_read_some(asio::buffer(drain_), [self = shared_from_this()](error_code ec, size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kMaxDrainBytes || self->shared_->stopped) return self->Close();
      self->DrainSome();
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{8192};
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::shared_ptr<Shared> shared_;
  bool challenge_ = false;
  static constexpr std::chrono::seconds kLingerTime{2};
  static constexpr size_t kMaxDrainBytes = 1 << 20;
  std::array<char, 4096> drain_{};
  size_t drained_ = 0;
};

}  // namespace

Result<QueryParams> ParseQueryString(std::string_view query) {
  QueryParams out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    Result<std::string> name = PercentDecode(part.substr(0, eq));
    if (!name) return name.error();
    Result<std::string> value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
    if (!value) return value.error();
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

bool TokenMatches(std::string_view presented, std::string_view expected) {
  unsigned char a[SHA256_DIGEST_LENGTH];
  unsigned char b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(presented.data()), presented.size(), a);
  SHA256(reinterpret_cast<const unsigned char*>(expected.data()), expected.size(), b);
  return !expected.empty() && CRYPTO_memcmp(a, b, sizeof a) == 0;
}

class HttpEndpoint::Impl {
 public:
  Impl(asio::io_context& io, std::shared_ptr<Shared> shared)
      : acceptor_(io), shared_(std::move(shared)), worker_(1) {
    shared_->worker = &worker_;
  }
  ~Impl() {
    Stop();
    worker_.join();
  }

  Status Listen() {
    const HttpEndpointOptions& o = shared_->options;
    error_code ec;
    const std::string host = o.listen == "localhost" ? "127.0.0.1" : o.listen;
    const asio::ip::address address = asio::ip::make_address(host, ec);
    if (ec) return InvalidArgument("http: bad listen address '" + o.listen + "'");
    const tcp::endpoint at(address, o.port);
    const std::string where = o.listen + ":" + std::to_string(o.port);
    if (acceptor_.open(at.protocol(), ec); ec) return Unavailable("http: cannot listen on " + where + ": " + ec.message());
    if (acceptor_.set_option(tcp::acceptor::reuse_address(true), ec); ec) {
      return Unavailable("http: cannot listen on " + where + ": " + ec.message());
    }
    if (acceptor_.bind(at, ec); ec) return Unavailable("http: cannot listen on " + where + ": " + ec.message());
    if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
      return Unavailable("http: cannot listen on " + where + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint(ec).port();
    Accept();
    return Status::Ok();
  }

  uint16_t port() const { return port_; }

  void Stop() {
    if (shared_->stopped) return;
    shared_->stopped = true;
    shared_->worker = nullptr;
    error_code ignored;
    acceptor_.close(ignored);
    // Closing a connection may destroy it, which erases it from the map.
    std::vector<std::function<void()>> closers;
    for (auto& [key, close] : shared_->closers) closers.push_back(close);
    for (auto& close : closers) close();
  }

 private:
  void Accept() {
    acceptor_.async_accept([this, shared = shared_](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || shared->stopped) return;
      if (!ec) {
        std::make_shared<Session>(std::move(socket), shared)->Start();
      } else {
        spdlog::warn("http: accept failed: {}", ec.message());
      }
      Accept();
    });
  }

  tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
  asio::thread_pool worker_;
  uint16_t port_ = 0;
};

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(asio::io_context& io,
                                                         HttpEndpointOptions options,
                                                         HttpSources sources) {
  if (!config::IsLoopbackAddress(options.listen) && options.token.empty()) {
    return InvalidArgument("http: listening on " + options.listen +
                           ", which is not a loopback address, requires a token");
  }
  auto shared = std::make_shared<Shared>();
  shared->options = std::move(options);
  shared->sources = std::move(sources);
  auto impl = std::make_unique<Impl>(io, std::move(shared));
  ASSAY_RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<HttpEndpoint>(new HttpEndpoint(std::move(impl)));
}

HttpEndpoint::HttpEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpEndpoint::~HttpEndpoint() = default;
uint16_t HttpEndpoint::port() const { return impl_->port(); }
void HttpEndpoint::Stop() { impl_->Stop(); }

}  // namespace assay::daemon
