#include "daemon/notifier.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "daemon/alert_message.h"
#include "daemon/net_policy.h"

namespace assay::daemon {

std::string_view DeliveryOutcomeName(DeliveryOutcome o) {
  switch (o) {
    case DeliveryOutcome::kDelivered:
      return "delivered";
    case DeliveryOutcome::kTemporary:
      return "temporary";
    case DeliveryOutcome::kPermanent:
      return "permanent";
  }
  return "?";
}

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Curl = std::unique_ptr<CURL, CurlDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// What one transfer's callbacks see.
struct Call {
  const NetAccess* net = nullptr;
  std::string forbidden;      // the refused address, if any
  std::string_view upload;    // bytes still to send
  std::string response;       // HTTP body (capped)
  std::string last_reply;     // SMTP: the last reply line from the server
};

constexpr size_t kMaxResponse = 1024;

curl_socket_t OpenSocket(void* clientp, curlsocktype purpose, curl_sockaddr* address) {
  auto* call = static_cast<Call*>(clientp);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  if (!call->net->allow_private_networks && IsForbiddenAddress(&address->addr) &&
      !IsInRanges(&address->addr, call->net->allow_networks)) {
    call->forbidden = AddressToString(&address->addr);
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

size_t Read(char* buf, size_t size, size_t n, void* userp) {
  auto* call = static_cast<Call*>(userp);
  const size_t len = std::min(size * n, call->upload.size());
  std::copy_n(call->upload.data(), len, buf);
  call->upload.remove_prefix(len);
  return len;
}

size_t Write(char* data, size_t size, size_t n, void* userp) {
  auto* call = static_cast<Call*>(userp);
  const size_t len = size * n;
  if (call->response.size() < kMaxResponse) {
    call->response.append(data, std::min(len, kMaxResponse - call->response.size()));
  }
  return len;
}

// Keeps the server's last SMTP reply line ("550 5.1.1 No such user"). Only
// incoming lines are looked at: what curl sends (AUTH) is never kept.
int Debug(CURL*, curl_infotype type, char* data, size_t size, void* userp) {
  if (type != CURLINFO_HEADER_IN) return 0;
  auto* call = static_cast<Call*>(userp);
  std::string line(data, std::min<size_t>(size, 512));
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0]))) {
    call->last_reply = line;
  }
  return 0;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return out;
}

void CommonOptions(CURL* c, Call* call, const std::string& ca_file,
                   std::chrono::seconds timeout) {
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &OpenSocket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, call);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, std::max<long>(1, std::min<long>(10, static_cast<long>(timeout.count()))));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(std::max<int64_t>(1, timeout.count())));
  if (!ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
}

}  // namespace

DeliveryResult SendEmail(const SmtpTarget& t, const std::string& message, const NetAccess& net) {
  DeliveryResult r;
  if (!t.url.starts_with("smtp://") && !t.url.starts_with("smtps://")) {
    r.outcome = DeliveryOutcome::kPermanent;
    r.detail = "mail target URL must start with smtp:// or smtps://";
    return r;
  }
  Curl c(curl_easy_init());
  if (!c) {
    r.detail = "cannot create a transfer";
    return r;
  }
  Call call;
  call.net = &net;
  call.upload = message;
  CommonOptions(c.get(), &call, t.ca_file, t.timeout);
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c.get(), CURLOPT_URL, t.url.c_str());
  if (t.url.starts_with("smtp://")) {
    curl_easy_setopt(c.get(), CURLOPT_USE_SSL,
                     t.tls == SmtpTls::kStartTls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
  }
  if (!t.username.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_USERNAME, t.username.c_str());
    curl_easy_setopt(c.get(), CURLOPT_PASSWORD, t.password.c_str());
  }
  const std::string from = "<" + SafeHeaderValue(t.from) + ">";
  curl_easy_setopt(c.get(), CURLOPT_MAIL_FROM, from.c_str());
  Slist rcpt;
  for (const std::string& to : t.to) {
    const std::string addr = "<" + SafeHeaderValue(to) + ">";
    rcpt.reset(curl_slist_append(rcpt.release(), addr.c_str()));
  }
  curl_easy_setopt(c.get(), CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c.get(), CURLOPT_READFUNCTION, &Read);
  curl_easy_setopt(c.get(), CURLOPT_READDATA, &call);
  curl_easy_setopt(c.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c.get(), CURLOPT_DEBUGFUNCTION, &Debug);
  curl_easy_setopt(c.get(), CURLOPT_DEBUGDATA, &call);
  curl_easy_setopt(c.get(), CURLOPT_VERBOSE, 1L);  // feeds Debug; curl prints nothing itself

  const CURLcode rc = curl_easy_perform(c.get());
  long code = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &code);
  r.code = static_cast<int>(code);
  if (rc == CURLE_OK) {
    r.outcome = DeliveryOutcome::kDelivered;
    r.detail = Printable(call.last_reply);
    return r;
  }
  if (!call.forbidden.empty()) {
    r.outcome = DeliveryOutcome::kPermanent;
    r.detail = "refused to connect to non-public address " + call.forbidden;
    return r;
  }
  r.detail = call.last_reply.empty() ? std::string(curl_easy_strerror(rc))
                                     : Printable(call.last_reply);
  if (r.code >= 500 && r.code < 600) {
    r.outcome = DeliveryOutcome::kPermanent;
  } else if (rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED ||
             rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT) {
    // A configuration problem: retrying will not help.
    r.outcome = DeliveryOutcome::kPermanent;
  } else {
    r.outcome = DeliveryOutcome::kTemporary;
  }
  return r;
}

DeliveryResult PostWebhook(const WebhookTarget& t, std::string_view body,
                           std::string_view notification_id, int64_t timestamp,
                           const NetAccess& net, const std::string& user_agent) {
  DeliveryResult r;
  if (!t.url.starts_with("http://") && !t.url.starts_with("https://")) {
    r.outcome = DeliveryOutcome::kPermanent;
    r.detail = "webhook URL must start with http:// or https://";
    return r;
  }
  Curl c(curl_easy_init());
  if (!c) {
    r.detail = "cannot create a transfer";
    return r;
  }
  Call call;
  call.net = &net;
  CommonOptions(c.get(), &call, t.ca_file, t.timeout);
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c.get(), CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(c.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, &Write);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &call);

  Slist headers;
  const auto add = [&](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  add("Content-Type: application/json");
  add("webhook-id: " + SafeHeaderValue(notification_id));
  add("webhook-timestamp: " + std::to_string(timestamp));
  if (!t.secret.empty()) {
    Result<std::string> sig = SignWebhook(t.secret, notification_id, timestamp, body);
    if (!sig) {
      r.outcome = DeliveryOutcome::kPermanent;
      r.detail = sig.error().message();
      return r;
    }
    add("webhook-signature: " + *sig);
  }
  add("Expect:");  // no 100-continue round trip
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());

  const CURLcode rc = curl_easy_perform(c.get());
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  r.code = static_cast<int>(status);
  if (rc != CURLE_OK) {
    if (!call.forbidden.empty()) {
      r.outcome = DeliveryOutcome::kPermanent;
      r.detail = "refused to connect to non-public address " + call.forbidden;
    } else {
      r.outcome = (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT)
                      ? DeliveryOutcome::kPermanent
                      : DeliveryOutcome::kTemporary;
      r.detail = curl_easy_strerror(rc);
    }
    return r;
  }
  r.detail = "HTTP " + std::to_string(status);
  if (!call.response.empty()) r.detail += ": " + Printable(call.response.substr(0, 200));
  if (status >= 200 && status < 300) {
    r.outcome = DeliveryOutcome::kDelivered;
  } else if (status == 408 || status == 429 || status >= 500) {
    r.outcome = DeliveryOutcome::kTemporary;
    curl_off_t retry = -1;
    if ((status == 429 || status == 503) &&
        curl_easy_getinfo(c.get(), CURLINFO_RETRY_AFTER, &retry) == CURLE_OK && retry > 0) {
      r.retry_after = std::chrono::seconds(retry);
    }
  } else {
    r.outcome = DeliveryOutcome::kPermanent;
    if (status >= 300 && status < 400) r.detail += " (redirects are not followed)";
  }
  return r;
}

}  // namespace assay::daemon
