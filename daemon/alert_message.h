// What a notification says: the email (RFC 5322, multipart text and HTML)
// and the webhook body (versioned JSON, or Slack-compatible) for one alert
// change, and the Standard Webhooks signature over it. Pure functions: the
// notifiers send these bytes, the tests and fuzzers read them.
//
//   std::string mail = BuildEmail(update, events, {.from = ..., .to = {...}});
//   std::string body = WebhookBody(update, events, notification_id);
//   std::string sig  = SignWebhook(secret, notification_id, unix_seconds, body);
//
// Feed text is hostile: every header value is stripped of CR, LF and other
// controls and RFC 2047-encoded when not plain ASCII, so a title cannot add
// a header; HTML is escaped; bodies are base64, so no line is too long and
// no line starts with a dot.
#ifndef ASSAY_DAEMON_ALERT_MESSAGE_H_
#define ASSAY_DAEMON_ALERT_MESSAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "rules/alerts.h"

namespace assay::daemon {

// One event of an alert, as a message shows it.
struct AlertEventView {
  std::string id;
  std::string time;  // RFC 3339
  std::string title;
  std::string link;
  std::string source;  // feed title or host
  std::vector<std::string> tags, minerals, countries, blocs;
  double score = 0;
  std::string severity;
  std::vector<std::string> evidence;  // matched text, e.g. "export licences"
};

struct EmailOptions {
  std::string from;                    // "assay <assay@example.org>"
  std::vector<std::string> to;         // addresses
  std::string notification_id;         // stable: receivers deduplicate on it
  std::string date;                    // RFC 5322 date; empty: from the alert's time
};

// The subject line: "[assay] HIGH ec-mineral-corroborated: gallium, CN (3
// events)"; resolved and repeated alerts say so.
std::string EmailSubject(const rules::AlertUpdate& alert);
// The whole message, CRLF line ends, ready for SMTP DATA.
std::string BuildEmail(const rules::AlertUpdate& alert,
                       const std::vector<AlertEventView>& events, const EmailOptions& options);

// The JSON body, version 1 (documented in README.md "Webhooks").
std::string WebhookBody(const rules::AlertUpdate& alert,
                        const std::vector<AlertEventView>& events,
                        const std::string& notification_id);
// A Slack-compatible body: {"text": ..., "blocks": [...]}.
std::string SlackBody(const rules::AlertUpdate& alert, const std::vector<AlertEventView>& events);

// "v1,<base64 HMAC-SHA256 of id.timestamp.body>". A secret written
// "whsec_<base64>" is decoded first (Standard Webhooks); any other is used as
// bytes. Fails only on a whsec_ secret that is not base64.
Result<std::string> SignWebhook(std::string_view secret, std::string_view id, int64_t timestamp,
                                std::string_view body);

// A header value made safe: controls (CR and LF included) become spaces,
// runs of spaces one; non-ASCII is RFC 2047 base64-encoded in words short
// enough for 78-character lines.
std::string SafeHeaderValue(std::string_view text);

}  // namespace assay::daemon

#endif  // ASSAY_DAEMON_ALERT_MESSAGE_H_
