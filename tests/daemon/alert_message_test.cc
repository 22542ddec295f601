// Tests daemon/alert_message.h: hostile feed text cannot add mail headers or
// HTML, non-ASCII subjects are encoded, webhook bodies are valid JSON, and
// signatures match the Standard Webhooks reference vector.
#include "daemon/alert_message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace assay::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

rules::AlertUpdate Alert() {
  rules::AlertUpdate a;
  a.alert_id = "0123456789abcdef";
  a.rule = "ec-mineral";
  a.group = {{"mineral", "gallium"}, {"country", "CN"}};
  a.severity = rules::Severity::kHigh;
  a.events = {"e1", "e2"};
  a.opened = a.time = std::chrono::sys_days{std::chrono::year{2026} / 11 / 28};
  return a;
}

AlertEventView Event(std::string title) {
  AlertEventView e;
  e.id = "e1";
  e.time = "2026-11-28T10:00:00Z";
  e.title = std::move(title);
  e.link = "https://news.example/a?x=1&y=2";
  e.source = "Example News";
  e.tags = {"export_controls"};
  e.minerals = {"gallium"};
  e.countries = {"CN"};
  e.evidence = {"export licences"};
  return e;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i; (i = s.find("\r\n", start)) != std::string::npos; start = i + 2) {
    out.push_back(s.substr(start, i - start));
  }
  return out;
}

// The decoded body of the part with `type`.
std::string Part(const std::string& mail, const std::string& type) {
  const size_t at = mail.find("Content-Type: " + type);
  const size_t body = mail.find("\r\n\r\n", at) + 4;
  const size_t end = mail.find("--=_assay_", body);
  std::string b64;
  for (char c : mail.substr(body, end - body)) {
    if (c != '\r' && c != '\n') b64 += c;
  }
  std::string out(b64.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

TEST(AlertMessageTest, SubjectSaysSeverityRuleAndGroup) {
  EXPECT_EQ(EmailSubject(Alert()), "[assay] HIGH ec-mineral: gallium, CN (2 events)");
  rules::AlertUpdate a = Alert();
  a.change = rules::AlertChange::kResolved;
  EXPECT_THAT(EmailSubject(a), HasSubstr("resolved"));
}

TEST(AlertMessageTest, FeedTextCannotAddHeaders) {
  rules::AlertUpdate a = Alert();
  a.group = {{"mineral", "gallium\r\nBcc: victim@example.org"}};
  const std::string mail = BuildEmail(a, {Event("Title\r\nX-Injected: yes")},
                                      {.from = "assay <a@example.org>",
                                       .to = {"ops@example.org\r\nCc: x@example.org"},
                                       .notification_id = "n1",
                                       .date = ""});
  int subjects = 0;
  for (const std::string& line : Lines(mail.substr(0, mail.find("\r\n\r\n") + 2))) {
    EXPECT_FALSE(line.starts_with("Bcc:")) << line;
    EXPECT_FALSE(line.starts_with("Cc:")) << line;
    EXPECT_FALSE(line.starts_with("X-Injected")) << line;
    subjects += line.starts_with("Subject:");
  }
  EXPECT_EQ(subjects, 1);
  EXPECT_THAT(mail, HasSubstr("Subject: [assay] HIGH ec-mineral: gallium Bcc: victim@example.org"));
}

TEST(AlertMessageTest, NonAsciiHeadersAreEncodedWords) {
  EXPECT_EQ(SafeHeaderValue("plain  text\t here"), "plain text here");
  const std::string v = SafeHeaderValue("Métaux stratégiques: graphite");
  EXPECT_TRUE(v.starts_with("=?UTF-8?B?")) << v;
  for (const std::string& line : Lines(v + "\r\n")) EXPECT_LE(line.size(), 78u) << line;
}

TEST(AlertMessageTest, BodiesCarryEventsAndEscapeHtml) {
  const std::string mail = BuildEmail(Alert(), {Event("<script>alert(1)</script> & more")},
                                      {.from = "a@example.org", .to = {"b@example.org"},
                                       .notification_id = "n1", .date = ""});
  for (const std::string& line : Lines(mail)) EXPECT_LE(line.size(), 998u);
  const std::string text = Part(mail, "text/plain");
  EXPECT_THAT(text, HasSubstr("<script>alert(1)</script> & more"));
  EXPECT_THAT(text, HasSubstr("matched: \"export licences\""));
  EXPECT_THAT(text, HasSubstr("https://news.example/a?x=1&y=2"));
  const std::string html = Part(mail, "text/html");
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
  EXPECT_THAT(html, HasSubstr("href=\"https://news.example/a?x=1&amp;y=2\""));
  // A javascript: link is shown, never linked.
  AlertEventView bad = Event("t");
  bad.link = "javascript:alert(1)";
  EXPECT_THAT(Part(BuildEmail(Alert(), {bad}, {.from = "", .to = {}, .notification_id = "n", .date = ""}), "text/html"),
              Not(HasSubstr("href=\"javascript")));
}

TEST(AlertMessageTest, WebhookBodyIsVersionedJsonEvenFromInvalidUtf8) {
  const std::string body = WebhookBody(Alert(), {Event("bad \xff\xfe bytes")}, "n1");
  nlohmann::json j = nlohmann::json::parse(body);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["type"], "alert.fired");
  EXPECT_EQ(j["notification_id"], "n1");
  EXPECT_EQ(j["alert"]["id"], "0123456789abcdef");
  EXPECT_EQ(j["alert"]["group"]["mineral"], "gallium");
  EXPECT_EQ(j["events"][0]["minerals"][0], "gallium");
  const nlohmann::json slack = nlohmann::json::parse(SlackBody(Alert(), {Event("a <b> & c")}));
  EXPECT_THAT(slack["text"].get<std::string>(), HasSubstr("a &lt;b&gt; &amp; c"));
}

TEST(AlertMessageTest, SignaturesMatchTheStandardWebhooksVector) {
  auto sig = SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                         1614265330, "{\"test\": 2432232314}");
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(*sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_EQ(*SignWebhook("plain-secret", "n1", 1700000000, "{}"),
            "v1,Qe+MmOoiK4g0GGbenq+XPB+WxdyRWRO0KwLBHZt5NDY=");
  EXPECT_FALSE(SignWebhook("whsec_not*base64", "n1", 1, "{}").has_value());
}

}  // namespace
}  // namespace assay::daemon
