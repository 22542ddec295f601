// Tests daemon/notifier.h against real receivers on 127.0.0.1: an SMTP
// server (aiosmtpd) that records messages and scripts its replies, and an
// HTTP receiver that verifies Standard Webhooks signatures. Each outcome is
// classified as the dispatcher needs: delivered, temporary (retry) or
// permanent (give up, keep the server's reply).
#include "daemon/notifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/alert_message.h"
#include "tests/integration/receivers.h"
#include "tests/testing/child_process.h"
#include "tests/testing/temp_dir.h"

namespace assay::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using testing::Receiver;

NetAccess Loopback() {
  NetAccess net;
  net.allow_private_networks = true;
  return net;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<nlohmann::json> Requests(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::string Message() {
  rules::AlertUpdate a;
  a.alert_id = "00112233aabbccdd";
  a.rule = "ec";
  a.group = {{"mineral", "gallium"}};
  a.severity = rules::Severity::kHigh;
  a.events = {"e1"};
  AlertEventView e;
  e.title = "China curbs gallium exports\r\nBcc: someone@example.org";
  e.link = "https://news.example/1";
  return BuildEmail(a, {e},
                    {.from = "assay <assay@example.org>", .to = {"ops@example.org"},
                     .notification_id = "n-1", .date = ""});
}

SmtpTarget Smtp(const Receiver& r) {
  SmtpTarget t;
  t.url = "smtp://127.0.0.1:" + r.port();
  t.tls = SmtpTls::kNone;
  t.from = "assay@example.org";
  t.to = {"ops@example.org"};
  t.timeout = std::chrono::seconds(20);
  return t;
}

TEST(NotifierTest, EmailIsDeliveredWithOneSubjectHeader) {
  testing::TempDir dir;
  Receiver smtp("smtp_server.py", {"--out", dir.path()});
  ASSERT_TRUE(smtp.ok());
  DeliveryResult r = SendEmail(Smtp(smtp), Message(), Loopback());
  EXPECT_EQ(r.outcome, DeliveryOutcome::kDelivered) << r.detail;
  EXPECT_EQ(r.code, 250);
  const std::string mail = Slurp(dir.path() + "/1.eml");
  ASSERT_FALSE(mail.empty());
  EXPECT_THAT(mail, HasSubstr("X-Envelope-To: ops@example.org"));
  EXPECT_THAT(mail, HasSubstr("X-Assay-Notification-Id: n-1"));
  size_t subjects = 0;
  for (size_t at = 0; (at = mail.find("\nSubject:", at)) != std::string::npos; ++at) ++subjects;
  EXPECT_EQ(subjects, 1u);
  EXPECT_THAT(mail, Not(HasSubstr("\nBcc:")));
}

TEST(NotifierTest, SmtpFourHundredsAreTemporaryUntilTheServerAccepts) {
  testing::TempDir dir;
  Receiver smtp("smtp_server.py", {"--out", dir.path(), "--script", "421,451,250"});
  ASSERT_TRUE(smtp.ok());
  const SmtpTarget t = Smtp(smtp);
  DeliveryResult first = SendEmail(t, Message(), Loopback());
  EXPECT_EQ(first.outcome, DeliveryOutcome::kTemporary) << first.detail;
  EXPECT_EQ(first.code, 421);
  DeliveryResult second = SendEmail(t, Message(), Loopback());
  EXPECT_EQ(second.outcome, DeliveryOutcome::kTemporary) << second.detail;
  EXPECT_EQ(second.code, 451);
  EXPECT_THAT(second.detail, HasSubstr("451 scripted reply 2"));
  DeliveryResult third = SendEmail(t, Message(), Loopback());
  EXPECT_EQ(third.outcome, DeliveryOutcome::kDelivered) << third.detail;
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/3.eml"));
}

TEST(NotifierTest, SmtpFiveHundredIsPermanentWithTheServersReply) {
  testing::TempDir dir;
  Receiver smtp("smtp_server.py", {"--out", dir.path(), "--script", "550"});
  ASSERT_TRUE(smtp.ok());
  DeliveryResult r = SendEmail(Smtp(smtp), Message(), Loopback());
  EXPECT_EQ(r.outcome, DeliveryOutcome::kPermanent);
  EXPECT_EQ(r.code, 550);
  EXPECT_THAT(r.detail, HasSubstr("550 scripted reply 1"));
}

TEST(NotifierTest, SmtpAuthUsesThePasswordAndNeverReportsIt) {
  testing::TempDir dir;
  Receiver smtp("smtp_server.py",
                {"--out", dir.path(), "--user", "assay", "--password", "s3cret-Pa55"});
  ASSERT_TRUE(smtp.ok());
  SmtpTarget t = Smtp(smtp);
  t.username = "assay";
  t.password = "wrong-Pa55";
  DeliveryResult denied = SendEmail(t, Message(), Loopback());
  EXPECT_EQ(denied.outcome, DeliveryOutcome::kPermanent) << denied.detail;
  EXPECT_THAT(denied.detail, Not(HasSubstr("wrong-Pa55")));
  t.password = "s3cret-Pa55";
  DeliveryResult ok = SendEmail(t, Message(), Loopback());
  EXPECT_EQ(ok.outcome, DeliveryOutcome::kDelivered) << ok.detail;
  EXPECT_THAT(ok.detail, Not(HasSubstr("s3cret")));
}

TEST(NotifierTest, TargetsOnPrivateAddressesAreRefusedByDefault) {
  testing::TempDir dir;
  Receiver smtp("smtp_server.py", {"--out", dir.path()});
  Receiver hook("webhook_receiver.py", {"--out", dir.path() + "/hook.jsonl"});
  ASSERT_TRUE(smtp.ok() && hook.ok());
  DeliveryResult mail = SendEmail(Smtp(smtp), Message(), NetAccess{});
  EXPECT_EQ(mail.outcome, DeliveryOutcome::kPermanent);
  EXPECT_THAT(mail.detail, HasSubstr("refused to connect to non-public address 127.0.0.1"));
  WebhookTarget w{.url = "http://127.0.0.1:" + hook.port() + "/hook", .secret = "",
                  .ca_file = "", .timeout = std::chrono::seconds(10)};
  DeliveryResult post = PostWebhook(w, "{}", "n-1", 1700000000, NetAccess{}, "assay-test");
  EXPECT_EQ(post.outcome, DeliveryOutcome::kPermanent);
  EXPECT_THAT(post.detail, HasSubstr("non-public address"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/1.eml"));
  EXPECT_TRUE(Requests(dir.path() + "/hook.jsonl").empty());
}

TEST(NotifierTest, WebhooksAreSignedAndClassified) {
  testing::TempDir dir;
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string log = dir.path() + "/hook.jsonl";
  Receiver hook("webhook_receiver.py",
                {"--out", log, "--secret", secret, "--script", "500,429:7,400,200"});
  ASSERT_TRUE(hook.ok());
  WebhookTarget w{.url = "http://127.0.0.1:" + hook.port() + "/hook", .secret = secret,
                  .ca_file = "", .timeout = std::chrono::seconds(10)};
  const std::string body = R"({"version":1,"type":"alert.fired"})";
  DeliveryResult r500 = PostWebhook(w, body, "n-7", 1700000000, Loopback(), "assay-test");
  EXPECT_EQ(r500.outcome, DeliveryOutcome::kTemporary);
  EXPECT_EQ(r500.code, 500);
  DeliveryResult r429 = PostWebhook(w, body, "n-7", 1700000001, Loopback(), "assay-test");
  EXPECT_EQ(r429.outcome, DeliveryOutcome::kTemporary);
  EXPECT_EQ(r429.retry_after, std::chrono::seconds(7));
  DeliveryResult r400 = PostWebhook(w, body, "n-7", 1700000002, Loopback(), "assay-test");
  EXPECT_EQ(r400.outcome, DeliveryOutcome::kPermanent);
  EXPECT_THAT(r400.detail, HasSubstr("HTTP 400: scripted 400"));
  DeliveryResult r200 = PostWebhook(w, body, "n-7", 1700000003, Loopback(), "assay-test");
  EXPECT_EQ(r200.outcome, DeliveryOutcome::kDelivered);

  const std::vector<nlohmann::json> seen = Requests(log);
  ASSERT_EQ(seen.size(), 4u);
  for (const nlohmann::json& req : seen) {
    EXPECT_EQ(req["id"], "n-7");
    EXPECT_TRUE(req["signature_ok"].get<bool>()) << req.dump();
    EXPECT_EQ(req["body"], body);
  }
}

TEST(NotifierTest, AReceiverThatIsDownIsTemporary) {
  // A port nothing listens on: bind one, learn its number, close it.
  testing::TempDir dir;
  std::string port;
  {
    Receiver hook("webhook_receiver.py", {"--out", dir.path() + "/x.jsonl"});
    ASSERT_TRUE(hook.ok());
    port = hook.port();
  }
  WebhookTarget w{.url = "http://127.0.0.1:" + port + "/hook", .secret = "",
                  .ca_file = "", .timeout = std::chrono::seconds(5)};
  DeliveryResult r = PostWebhook(w, "{}", "n-1", 1, Loopback(), "assay-test");
  EXPECT_EQ(r.outcome, DeliveryOutcome::kTemporary) << r.detail;
}

}  // namespace
}  // namespace assay::daemon
