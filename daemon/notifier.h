// Delivery of one notification to one target: email through libcurl's SMTP,
// webhooks as signed JSON POSTs. Each call blocks for at most the target's
// timeout and classifies the outcome, so that the outbox dispatcher knows
// whether to retry:
//
//   SMTP 2xx                         delivered
//   SMTP 4xx, no connection, timeout temporary
//   SMTP 5xx                         permanent (the server's reply kept)
//   HTTP 2xx                         delivered
//   HTTP 408, 429, 5xx, no connection, timeout
//                                    temporary (429/503: Retry-After kept)
//   HTTP 3xx (not followed), other 4xx, a refused address
//                                    permanent
//
// Targets obey the feeds' address policy: loopback, private and link-local
// addresses are refused at connect time unless allowed. Secrets (SMTP
// password, webhook secret) are used, never logged or put in `detail`.
//
// Thread safety: the functions keep no state; call them from a dispatcher
// thread, never from the Asio loop.
#ifndef ASSAY_DAEMON_NOTIFIER_H_
#define ASSAY_DAEMON_NOTIFIER_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace assay::daemon {

struct NetAccess {
  bool allow_private_networks = false;
  std::vector<config::NetworkRange> allow_networks;
};

enum class DeliveryOutcome : uint8_t { kDelivered, kTemporary, kPermanent };
std::string_view DeliveryOutcomeName(DeliveryOutcome o);  // "delivered", ...

struct DeliveryResult {
  DeliveryOutcome outcome = DeliveryOutcome::kTemporary;
  int code = 0;        // the last SMTP reply code or HTTP status; 0: none
  std::string detail;  // the server's reply or the transport error
  std::optional<std::chrono::seconds> retry_after;
};

enum class SmtpTls : uint8_t {
  kStartTls,  // smtp://: STARTTLS required (smtps:// is TLS from the start)
  kNone,      // smtp:// in the clear: only for a relay on this host
};

struct SmtpTarget {
  std::string url;  // smtp://host[:port] or smtps://host[:port]
  SmtpTls tls = SmtpTls::kStartTls;
  std::string username;  // empty: no AUTH
  std::string password;
  std::string from;             // envelope sender: an address
  std::vector<std::string> to;  // envelope recipients
  std::string ca_file;          // empty: the system's CAs
  std::chrono::seconds timeout{30};
};

// Sends `message` (a whole RFC 5322 message, CRLF line ends).
DeliveryResult SendEmail(const SmtpTarget& target, const std::string& message,
                         const NetAccess& net);

struct WebhookTarget {
  std::string url;     // http(s)://
  std::string secret;  // signs with HMAC-SHA256 when non-empty
  std::string ca_file;
  std::chrono::seconds timeout{15};
};

// POSTs `body` with the Standard Webhooks headers webhook-id (the
// notification id), webhook-timestamp and webhook-signature.
DeliveryResult PostWebhook(const WebhookTarget& target, std::string_view body,
                           std::string_view notification_id, int64_t timestamp,
                           const NetAccess& net, const std::string& user_agent);

}  // namespace assay::daemon

#endif  // ASSAY_DAEMON_NOTIFIER_H_
