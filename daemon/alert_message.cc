#include "daemon/alert_message.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace assay::daemon {

namespace {

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return InvalidArgument("not base64");
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return InvalidArgument("not base64");
  size_t pad = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// Base64 in lines of 76 characters, as MIME wants.
std::string MimeBase64(std::string_view bytes) {
  const std::string flat = Base64(bytes);
  std::string out;
  for (size_t i = 0; i < flat.size(); i += 76) {
    out += flat.substr(i, 76);
    out += "\r\n";
  }
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Text for one line of a plain-text body: no controls.
std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return out;
}

// Only http(s) links become anchors; anything else is shown as text.
bool SafeLink(std::string_view link) {
  return link.starts_with("https://") || link.starts_with("http://");
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "gallium, CN" from the group, else the alert's own labels.
std::string GroupText(const rules::AlertUpdate& a) {
  std::vector<std::string> parts;
  for (const auto& [label, value] : a.group) parts.push_back(value);
  if (parts.empty()) {
    for (const auto& [label, value] : a.labels) {
      if (label != "feed" && parts.size() < 4) parts.push_back(value);
    }
  }
  return Join(parts, ", ");
}

std::string Rfc5322Date(UnixMicros t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string Headline(const rules::AlertUpdate& a) {
  switch (a.change) {
    case rules::AlertChange::kResolved:
      return "resolved";
    case rules::AlertChange::kRepeated:
      return "still firing";
    default:
      return "firing";
  }
}

}  // namespace

std::string SafeHeaderValue(std::string_view text) {
  std::string flat;
  bool ascii = true;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      c = ' ';
    } else if (u >= 0x80) {
      ascii = false;
    }
    if (c == ' ' && (flat.empty() || flat.back() == ' ')) continue;
    flat += c;
  }
  while (!flat.empty() && flat.back() == ' ') flat.pop_back();
  if (ascii) return flat;
  // RFC 2047 encoded words of at most 45 input bytes (60 encoded), split on
  // UTF-8 character boundaries, folded onto continuation lines.
  std::string out;
  size_t i = 0;
  while (i < flat.size()) {
    size_t end = std::min(flat.size(), i + 45);
    while (end < flat.size() && end > i &&
           (static_cast<unsigned char>(flat[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (end == i) end = std::min(flat.size(), i + 45);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(std::string_view(flat).substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string EmailSubject(const rules::AlertUpdate& a) {
  std::string s = "[assay] " + Upper(rules::SeverityName(a.severity)) + " " + a.rule;
  const std::string group = GroupText(a);
  if (!group.empty()) s += ": " + group;
  s += " (" + std::to_string(a.events.size()) + (a.events.size() == 1 ? " event" : " events") + ")";
  if (a.change == rules::AlertChange::kResolved) s += " resolved";
  if (a.change == rules::AlertChange::kRepeated) s += " still firing";
  return s;
}

std::string BuildEmail(const rules::AlertUpdate& a, const std::vector<AlertEventView>& events,
                       const EmailOptions& o) {
  // Plain text.
  std::string text = "Alert " + a.alert_id + " (" + a.rule + ") is " + Headline(a) + ".\n";
  text += "Severity: " + std::string(rules::SeverityName(a.severity)) + "\n";
  if (!a.group.empty()) {
    std::vector<std::string> g;
    for (const auto& [label, value] : a.group) g.push_back(label + "=" + value);
    text += "Group: " + OneLine(Join(g, ", ")) + "\n";
  }
  text += "Opened: " + FormatRfc3339Micros(a.opened) + "\n\n";
  for (const AlertEventView& e : events) {
    text += "- " + OneLine(e.title) + "\n";
    text += "  " + OneLine(e.source) + ", " + OneLine(e.time) + "\n";
    if (!e.link.empty()) text += "  " + OneLine(e.link) + "\n";
    if (!e.tags.empty()) text += "  tags: " + OneLine(Join(e.tags, ", ")) + "\n";
    std::vector<std::string> ents = e.minerals;
    ents.insert(ents.end(), e.countries.begin(), e.countries.end());
    ents.insert(ents.end(), e.blocs.begin(), e.blocs.end());
    if (!ents.empty()) text += "  entities: " + OneLine(Join(ents, ", ")) + "\n";
    for (const std::string& m : e.evidence) text += "  matched: \"" + OneLine(m) + "\"\n";
    text += "\n";
  }
  text += "Notification " + o.notification_id + "\n";

  // HTML.
  std::string html =
      "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">"
      "<h2>" + HtmlEscape(EmailSubject(a)) + "</h2><p>Alert <code>" + HtmlEscape(a.alert_id) +
      "</code> (" + HtmlEscape(a.rule) + ") is " + Headline(a) + ".</p><ul>";
  for (const AlertEventView& e : events) {
    html += "<li><p>";
    if (SafeLink(e.link)) {
      html += "<a href=\"" + HtmlEscape(e.link) + "\">" + HtmlEscape(e.title) + "</a>";
    } else {
      html += HtmlEscape(e.title);
    }
    html += "<br><small>" + HtmlEscape(e.source) + ", " + HtmlEscape(e.time) + " &middot; " +
            HtmlEscape(Join(e.tags, ", ")) + "</small>";
    for (const std::string& m : e.evidence) html += "<br>matched: <mark>" + HtmlEscape(m) + "</mark>";
    html += "</p></li>";
  }
  html += "</ul><p><small>Notification " + HtmlEscape(o.notification_id) +
          "</small></p></body></html>";

  // The boundary cannot occur in base64 bodies ('_' and '=' runs are not
  // base64 line content).
  const std::string boundary = "=_assay_" + o.notification_id + "_=";
  std::string m;
  m += "From: " + SafeHeaderValue(o.from) + "\r\n";
  std::vector<std::string> to;
  for (const std::string& t : o.to) to.push_back(SafeHeaderValue(t));
  m += "To: " + Join(to, ", ") + "\r\n";
  m += "Subject: " + SafeHeaderValue(EmailSubject(a)) + "\r\n";
  m += "Date: " + (o.date.empty() ? Rfc5322Date(a.time) : SafeHeaderValue(o.date)) + "\r\n";
  m += "Message-ID: <" + SafeHeaderValue(o.notification_id) + "@assay>\r\n";
  m += "X-Assay-Notification-Id: " + SafeHeaderValue(o.notification_id) + "\r\n";
  m += "X-Assay-Alert-Id: " + SafeHeaderValue(a.alert_id) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  m += MimeBase64(text);
  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  m += MimeBase64(html);
  m += "--" + boundary + "--\r\n";
  return m;
}

namespace {

nlohmann::json EventsJson(const std::vector<AlertEventView>& events) {
  nlohmann::json out = nlohmann::json::array();
  for (const AlertEventView& e : events) {
    out.push_back({{"id", e.id},
                   {"time", e.time},
                   {"title", e.title},
                   {"link", e.link},
                   {"source", e.source},
                   {"tags", e.tags},
                   {"minerals", e.minerals},
                   {"countries", e.countries},
                   {"blocs", e.blocs},
                   {"score", e.score},
                   {"severity", e.severity},
                   {"evidence", e.evidence}});
  }
  return out;
}

}  // namespace

std::string WebhookBody(const rules::AlertUpdate& a, const std::vector<AlertEventView>& events,
                        const std::string& notification_id) {
  nlohmann::json group = nlohmann::json::object();
  for (const auto& [label, value] : a.group) group[label] = value;
  nlohmann::json body = {
      {"version", 1},
      {"type", "alert." + std::string(rules::AlertChangeName(a.change))},
      {"notification_id", notification_id},
      {"alert",
       {{"id", a.alert_id},
        {"rule", a.rule},
        {"group", group},
        {"severity", std::string(rules::SeverityName(a.severity))},
        {"opened", FormatRfc3339Micros(a.opened)},
        {"time", FormatRfc3339Micros(a.time)},
        {"value", a.value},
        {"event_ids", a.events}}},
      {"events", EventsJson(events)}};
  // Invalid UTF-8 from a hostile feed is replaced, not thrown.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string SlackBody(const rules::AlertUpdate& a, const std::vector<AlertEventView>& events) {
  // Slack's mrkdwn needs &, < and > escaped; links are <url|text>.
  const auto esc = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == '&') out += "&amp;";
      else if (c == '<') out += "&lt;";
      else if (c == '>') out += "&gt;";
      else out += c;
    }
    return out;
  };
  std::string text = "*" + esc(EmailSubject(a)) + "*";
  for (const AlertEventView& e : events) {
    text += "\n• ";
    if (SafeLink(e.link) && e.link.find_first_of("|<> ") == std::string::npos) {
      text += "<" + esc(e.link) + "|" + esc(OneLine(e.title)) + ">";
    } else {
      text += esc(OneLine(e.title));
    }
    text += " (" + esc(OneLine(e.source)) + ")";
  }
  nlohmann::json body = {{"text", text}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::string> SignWebhook(std::string_view secret, std::string_view id, int64_t timestamp,
                                std::string_view body) {
  std::string key(secret);
  if (secret.starts_with("whsec_")) {
    Result<std::string> decoded = Unbase64(secret.substr(6));
    if (!decoded) return InvalidArgument("webhook secret: whsec_ is not followed by base64");
    key = *decoded;
  }
  std::string signed_content;
  signed_content.reserve(id.size() + body.size() + 24);
  signed_content.append(id);
  signed_content += '.';
  signed_content += std::to_string(timestamp);
  signed_content += '.';
  signed_content.append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(signed_content.data()), signed_content.size(),
           mac, &len) == nullptr) {
    return Internal("HMAC-SHA256 failed");
  }
  return "v1," + Base64(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace assay::daemon
