#include "daemon/fetcher.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <cstring>
#include <list>
#include <unordered_map>
#include <vector>

#include "daemon/net_policy.h"

namespace assay::daemon {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// The host of an http(s) URL, lower-cased: what the per-host limit counts.
// Plain URLs are split here (a poll of thousands of feeds asks once per
// transfer); anything unusual goes to libcurl's parser.
std::string HostOf(const std::string& url) {
  std::string_view rest(url);
  for (std::string_view scheme : {"http://", "https://"}) {
    if (rest.size() > scheme.size() &&
        Lower(rest.substr(0, scheme.size())) == scheme) {
      rest.remove_prefix(scheme.size());
      const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
      // Userinfo, IPv6 literals and percent-escapes: libcurl's parser.
      if (authority.find_first_of("@[%") != std::string_view::npos || authority.empty()) break;
      return Lower(authority.substr(0, authority.find(':')));
    }
  }
  CURLU* h = curl_url();
  std::string host;
  if (curl_url_set(h, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* part = nullptr;
    if (curl_url_get(h, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
      host = Lower(part);
      curl_free(part);
    }
  }
  curl_url_cleanup(h);
  return host;
}

// Retry-After is delta-seconds or an HTTP-date. Absurd values are clamped by
// the scheduler, not here.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view v) {
  v = Trim(v);
  if (v.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(v.front()))) {
    int64_t n = 0;
    for (char c : v) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      n = n * 10 + (c - '0');
      if (n > 100LL * 365 * 86400) return std::chrono::seconds(n);
    }
    return std::chrono::seconds(n);
  }
  const std::string date(v);
  const time_t t = curl_getdate(date.c_str(), nullptr);
  if (t < 0) return std::nullopt;
  const time_t now = time(nullptr);
  return std::chrono::seconds(t > now ? t - now : 0);
}

std::optional<std::chrono::seconds> ParseMaxAge(std::string_view v) {
  const std::string lower = Lower(v);
  const size_t pos = lower.find("max-age=");
  if (pos == std::string::npos) return std::nullopt;
  int64_t n = 0;
  bool any = false;
  for (size_t i = pos + 8; i < lower.size() && std::isdigit(static_cast<unsigned char>(lower[i])); ++i) {
    n = n * 10 + (lower[i] - '0');
    any = true;
    if (n > 10LL * 365 * 86400) break;
  }
  if (!any) return std::nullopt;
  return std::chrono::seconds(n);
}

}  // namespace

std::string DefaultUserAgent() {
  return std::string("assay/0.1.0 (critical-minerals feed monitor; ") + curl_version() + ")";
}

class Fetcher::Impl {
 public:
  Impl(asio::io_context& io, const config::FetchConfig& options)
      : io_(io), timer_(io), options_(options), user_agent_(UserAgentOf(options)) {
    static const bool curl_ready = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
    (void)curl_ready;
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Impl::SocketCallback);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Impl::TimerCallback);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  }

  ~Impl() {
    Shutdown();
    curl_multi_cleanup(multi_);
  }

  void AsyncFetch(FetchRequest request, Handler handler) {
    auto t = std::make_unique<Transfer>();
    t->request = std::move(request);
    t->handler = std::move(handler);
    t->host = HostOf(t->request.url);
    t->impl = this;
    if (shutting_down_) {
      t->result.error = FetchError::kCancelled;
      t->result.error_message = "cancelled: shutting down";
      Finish(std::move(t));
      return;
    }
    queue_.push_back(std::move(t));
    StartQueued();
  }

  void Shutdown() {
    shutting_down_ = true;
    timer_.cancel();
    for (auto& [easy, t] : running_) {
      curl_multi_remove_handle(multi_, easy);
      t->result.error = FetchError::kCancelled;
      t->result.error_message = "cancelled: shutting down";
      Finish(std::move(t));
    }
    running_.clear();
    for (auto& t : queue_) {
      t->result.error = FetchError::kCancelled;
      t->result.error_message = "cancelled: shutting down";
      Finish(std::move(t));
    }
    queue_.clear();
    for (auto& [fd, w] : watches_) {
      error_code ignored;
      w.stream->cancel(ignored);
      w.stream->release();
    }
    watches_.clear();
    per_host_.clear();
  }

  void SetOptions(const config::FetchConfig& options) {
    options_ = options;
    user_agent_ = UserAgentOf(options);
  }

  size_t running() const { return running_.size(); }
  size_t queued() const { return queue_.size(); }

 private:
  static std::string UserAgentOf(const config::FetchConfig& options) {
    return options.user_agent.empty() ? DefaultUserAgent() : options.user_agent;
  }

  struct Transfer {
    Impl* impl = nullptr;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    FetchRequest request;
    Handler handler;
    std::string host;
    FetchResult result;
    std::vector<long> hop_statuses;
    bool too_large = false;
    std::string forbidden_address;
    char error_buffer[CURL_ERROR_SIZE] = {};
    std::chrono::steady_clock::time_point started;

    ~Transfer() {
      if (easy != nullptr) curl_easy_cleanup(easy);
      if (headers != nullptr) curl_slist_free_all(headers);
    }
  };

  // One socket curl asked us to watch. `gen` tells a handler armed for an
  // earlier socket on a reused fd number from the current one.
  struct Watch {
    std::unique_ptr<asio::posix::stream_descriptor> stream;
    int what = CURL_POLL_NONE;
    bool read_pending = false;
    bool write_pending = false;
    uint64_t gen = 0;
  };

  void StartQueued() {
    if (shutting_down_) return;
    for (auto it = queue_.begin(); it != queue_.end() &&
                                   static_cast<int>(running_.size()) < options_.concurrency;) {
      if (per_host_[(*it)->host] >= options_.per_host_concurrency) {
        ++it;
        continue;
      }
      std::unique_ptr<Transfer> t = std::move(*it);
      it = queue_.erase(it);
      Start(std::move(t));
    }
  }

  void Start(std::unique_ptr<Transfer> t) {
    CURL* e = curl_easy_init();
    t->easy = e;
    t->started = std::chrono::steady_clock::now();
    const bool is_file = Lower(t->request.url.substr(0, 7)) == "file://";
    curl_easy_setopt(e, CURLOPT_URL, t->request.url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_buffer);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::WriteCallback);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::HeaderCallback);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, is_file ? "file" : "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, static_cast<long>(options_.max_redirects));
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl decodes
    curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent_.c_str());  // curl copies it
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(options_.low_speed_bytes));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count()));
    // MAXFILESIZE stops an announced oversize body before it is read; the
    // write callback stops everything else.
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_body_bytes));
    if (!options_.allow_private_networks) {
      curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Impl::OpenSocketCallback);
      curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get());
    }
    if (!t->request.etag.empty()) {
      t->headers = curl_slist_append(t->headers, ("If-None-Match: " + t->request.etag).c_str());
    }
    if (!t->request.last_modified.empty()) {
      t->headers =
          curl_slist_append(t->headers, ("If-Modified-Since: " + t->request.last_modified).c_str());
    }
    t->headers = curl_slist_append(
        t->headers,
        "Accept: application/rss+xml, application/atom+xml, application/feed+json, "
        "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);

    ++per_host_[t->host];
    Transfer* raw = t.get();
    running_.emplace(e, std::move(t));
    const CURLMcode rc = curl_multi_add_handle(multi_, e);
    if (rc != CURLM_OK) {
      auto node = running_.extract(e);
      raw->result.error = FetchError::kNetwork;
      raw->result.error_message = std::string("cannot start transfer: ") + curl_multi_strerror(rc);
      ReleaseHostSlot(raw->host);
      Finish(std::move(node.mapped()));
    }
  }

  void ReleaseHostSlot(const std::string& host) {
    auto it = per_host_.find(host);
    if (it != per_host_.end() && --it->second <= 0) per_host_.erase(it);
  }

  // Posts the handler so that it never runs inside a curl callback or inside
  // AsyncFetch.
  void Finish(std::unique_ptr<Transfer> t) {
    Handler handler = std::move(t->handler);
    FetchResult result = std::move(t->result);
    t.reset();
    asio::post(io_, [handler = std::move(handler), result = std::move(result)]() mutable {
      handler(std::move(result));
    });
  }

  static size_t WriteCallback(char* data, size_t size, size_t n, void* userp) {
    auto* t = static_cast<Transfer*>(userp);
    const size_t bytes = size * n;
    if (static_cast<int64_t>(t->result.body.size() + bytes) > t->impl->options_.max_body_bytes) {
      t->too_large = true;
      return CURL_WRITEFUNC_ERROR;  // aborts with CURLE_WRITE_ERROR
    }
    t->result.body.append(data, bytes);
    return bytes;
  }

  static size_t HeaderCallback(char* data, size_t size, size_t n, void* userp) {
    auto* t = static_cast<Transfer*>(userp);
    const size_t bytes = size * n;
    std::string_view line(data, bytes);
    if (line.starts_with("HTTP/")) {
      // A new response: a redirect hop or the final one. Per-hop headers
      // start over.
      const size_t sp = line.find(' ');
      long status = 0;
      if (sp != std::string_view::npos) status = std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
      if (status >= 200 || status == 0) t->hop_statuses.push_back(status);
      t->result.etag.clear();
      t->result.last_modified.clear();
      t->result.retry_after.reset();
      t->result.max_age.reset();
      return bytes;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return bytes;
    const std::string name = Lower(Trim(line.substr(0, colon)));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (name == "etag") {
      t->result.etag = std::string(value);
    } else if (name == "last-modified") {
      t->result.last_modified = std::string(value);
    } else if (name == "retry-after") {
      t->result.retry_after = ParseRetryAfter(value);
    } else if (name == "cache-control") {
      t->result.max_age = ParseMaxAge(value);
    }
    return bytes;
  }

  static curl_socket_t OpenSocketCallback(void* clientp, curlsocktype purpose, curl_sockaddr* address) {
    auto* t = static_cast<Transfer*>(clientp);
    if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
    if (IsForbiddenAddress(&address->addr) &&
        !IsInRanges(&address->addr, t->impl->options_.allow_networks)) {
      t->forbidden_address = AddressToString(&address->addr);
      return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  }

  static int SocketCallback(CURL*, curl_socket_t fd, int what, void* userp, void*) {
    static_cast<Impl*>(userp)->OnSocket(fd, what);
    return 0;
  }

  static int TimerCallback(CURLM*, long timeout_ms, void* userp) {
    static_cast<Impl*>(userp)->OnTimer(timeout_ms);
    return 0;
  }

  void OnSocket(curl_socket_t fd, int what) {
    if (what == CURL_POLL_REMOVE) {
      auto it = watches_.find(fd);
      if (it != watches_.end()) {
        error_code ignored;
        it->second.stream->cancel(ignored);
        // curl owns the fd and closes it itself.
        it->second.stream->release();
        watches_.erase(it);
      }
      return;
    }
    auto it = watches_.find(fd);
    if (it == watches_.end()) {
      Watch w;
      w.stream = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
      w.gen = ++next_gen_;
      it = watches_.emplace(fd, std::move(w)).first;
    }
    it->second.what = what;
    Arm(fd);
  }

  // Arms a wait for each direction curl wants and none is pending for.
  void Arm(curl_socket_t fd) {
    Watch& w = watches_.at(fd);
    const uint64_t gen = w.gen;
    if ((w.what & CURL_POLL_IN) && !w.read_pending) {
      w.read_pending = true;
      w.stream->async_wait(asio::posix::descriptor_base::wait_read, [this, fd, gen](error_code ec) {
        OnReady(fd, gen, CURL_CSELECT_IN, ec);
      });
    }
    if ((w.what & CURL_POLL_OUT) && !w.write_pending) {
      w.write_pending = true;
      w.stream->async_wait(asio::posix::descriptor_base::wait_write, [this, fd, gen](error_code ec) {
        OnReady(fd, gen, CURL_CSELECT_OUT, ec);
      });
    }
  }

  void OnReady(curl_socket_t fd, uint64_t gen, int direction, error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    auto it = watches_.find(fd);
    if (it == watches_.end() || it->second.gen != gen) return;  // socket gone or reused
    Watch& w = it->second;
    (direction == CURL_CSELECT_IN ? w.read_pending : w.write_pending) = false;
    const int wanted = direction == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT;
    if (!(w.what & wanted)) return;  // curl no longer wants this direction
    int running = 0;
    curl_multi_socket_action(multi_, fd, ec ? direction | CURL_CSELECT_ERR : direction, &running);
    CheckDone();
    // curl may have removed the socket or changed what it wants: look again.
    it = watches_.find(fd);
    if (it != watches_.end() && it->second.gen == gen) Arm(fd);
  }

  // curl keeps one timeout and replaces it at each call. "0: now" comes with
  // every transfer added: it is posted rather than armed on the timer,
  // sparing two timerfd updates per transfer, and one posted run serves
  // every such call made before it runs.
  void OnTimer(long timeout_ms) {
    ++timer_generation_;
    timer_.cancel();
    if (timeout_ms < 0 || shutting_down_) return;
    if (timeout_ms == 0) {
      posted_generation_ = timer_generation_;
      if (timeout_posted_) return;
      timeout_posted_ = true;
      asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
        if (alive.expired()) return;  // the Fetcher is gone
        timeout_posted_ = false;
        // A later call replaced this timeout with another (or none).
        if (posted_generation_ != timer_generation_ || shutting_down_) return;
        OnTimeout();
      });
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([this](error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      OnTimeout();
    });
  }

  void OnTimeout() {
    int running = 0;
    curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
    CheckDone();
  }

  void CheckDone() {
    int pending = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &pending)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* e = msg->easy_handle;
      const CURLcode code = msg->data.result;
      curl_multi_remove_handle(multi_, e);
      auto node = running_.extract(e);
      if (node.empty()) continue;
      std::unique_ptr<Transfer> t = std::move(node.mapped());
      Complete(*t, code);
      ReleaseHostSlot(t->host);
      Finish(std::move(t));
    }
    StartQueued();
  }

  void Complete(Transfer& t, CURLcode code) {
    FetchResult& r = t.result;
    r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t.started);
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &r.http_status);
    char* effective = nullptr;
    if (curl_easy_getinfo(t.easy, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective) {
      r.effective_url = effective;
    }
    char* ctype = nullptr;
    if (curl_easy_getinfo(t.easy, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype) {
      r.content_type = ctype;
    }
    long redirects = 0;
    curl_easy_getinfo(t.easy, CURLINFO_REDIRECT_COUNT, &redirects);
    r.redirects = static_cast<int>(redirects);
    if (code == CURLE_OK) {
      if (r.redirects > 0 && t.hop_statuses.size() > 1) {
        bool all_permanent = true;
        for (size_t i = 0; i + 1 < t.hop_statuses.size(); ++i) {
          all_permanent &= t.hop_statuses[i] == 301 || t.hop_statuses[i] == 308;
        }
        if (all_permanent) r.permanent_url = r.effective_url;
      }
      return;
    }
    const std::string detail = t.error_buffer[0] ? t.error_buffer : curl_easy_strerror(code);
    r.body.clear();
    if (t.too_large || code == CURLE_FILESIZE_EXCEEDED) {
      r.error = FetchError::kTooLarge;
      r.error_message = "body larger than " + std::to_string(options_.max_body_bytes) +
                        " bytes (fetch.max_body); transfer aborted";
    } else if (!t.forbidden_address.empty()) {
      r.error = FetchError::kForbiddenAddress;
      r.error_message = "refused to connect to " + t.forbidden_address +
                        ": private, loopback or link-local address (fetch.allow_private_networks is off"
                        " and fetch.allow_networks does not list it)";
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
      r.error = FetchError::kTimeout;
      r.error_message = "timeout: " + detail;
    } else if (code == CURLE_TOO_MANY_REDIRECTS || code == CURLE_UNSUPPORTED_PROTOCOL) {
      r.error = FetchError::kBadRedirect;
      r.error_message = "redirect refused: " + detail;
    } else {
      r.error = FetchError::kNetwork;
      r.error_message = detail;
    }
  }

  asio::io_context& io_;
  asio::steady_timer timer_;
  config::FetchConfig options_;
  CURLM* multi_ = nullptr;
  std::string user_agent_;
  bool shutting_down_ = false;
  // The timeout curl asked for last: a posted "now" run checks that no
  // later call replaced it.
  uint64_t timer_generation_ = 0;
  uint64_t posted_generation_ = 0;
  bool timeout_posted_ = false;
  // Expires with the Fetcher: a posted run finds it gone.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  std::list<std::unique_ptr<Transfer>> queue_;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> running_;
  std::unordered_map<std::string, int> per_host_;
  std::unordered_map<curl_socket_t, Watch> watches_;
  uint64_t next_gen_ = 0;
};

Fetcher::Fetcher(asio::io_context& io, const config::FetchConfig& options)
    : impl_(std::make_unique<Impl>(io, options)) {}
Fetcher::~Fetcher() = default;
void Fetcher::AsyncFetch(FetchRequest request, Handler handler) {
  impl_->AsyncFetch(std::move(request), std::move(handler));
}
void Fetcher::Shutdown() { impl_->Shutdown(); }
void Fetcher::SetOptions(const config::FetchConfig& options) { impl_->SetOptions(options); }
size_t Fetcher::running() const { return impl_->running(); }
size_t Fetcher::queued() const { return impl_->queued(); }

}  // namespace assay::daemon
