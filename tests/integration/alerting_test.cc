// Tests daemon/alerting.h with a real store and real receivers on
// 127.0.0.1: alerts and notifications are written with the events that
// cause them, the dispatcher delivers each notification once (retrying
// through 500s with the same id, giving up on a 400 or an SMTP 550), and an
// engine rebuilt after a restart repeats no alert.
#include "daemon/alerting.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/receivers.h"
#include "tests/testing/child_process.h"
#include "tests/testing/temp_dir.h"

namespace assay::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using std::chrono::minutes;
using std::chrono::seconds;

const UnixMicros kT0{std::chrono::seconds(1'790'000'000)};

using testing::Receiver;

std::vector<nlohmann::json> Requests(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

rules::AlertRule CorroboratedRule() {
  auto rules = rules::LoadAlertRulesFromSources({{"alerts.yaml", R"(
alerts:
  - id: ec-corroborated
    when: {tags: [export_controls], minerals: any}
    fire: threshold
    count: 2
    distinct: sources
    window: 24h
    group_by: [mineral]
)"}});
  EXPECT_TRUE(rules.has_value()) << rules.status().ToString();
  return rules ? (*rules)[0] : rules::AlertRule{};
}

class AlertingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::Store::Open(dir_.path() + "/store", {});
    ASSERT_TRUE(store.has_value()) << store.status().ToString();
    store_ = std::move(*store);
  }

  AlertingConfig Config(const std::string& hook_port, const std::string& script_secret = "") {
    AlertingConfig c;
    c.rules = {CorroboratedRule()};
    AlertTarget hook;
    hook.name = "hook";
    hook.kind = AlertTarget::Kind::kWebhook;
    hook.webhook.url = "http://127.0.0.1:" + hook_port + "/hook";
    hook.webhook.secret = script_secret;
    hook.webhook.timeout = seconds(10);
    c.targets = {hook};
    c.net.allow_private_networks = true;
    c.delivery.initial_backoff = seconds(30);
    c.delivery.max_backoff = seconds(600);
    c.delivery.give_up_after = std::chrono::hours(6);
    return c;
  }

  // Ingests one article (and its event) from `feed`, evaluating alerts.
  void Ingest(Alerting& alerting, const std::string& id, const std::string& feed,
              const std::string& story, UnixMicros at) {
    FeedState f;
    f.url = f.current_url = feed;
    Article a;
    a.id = id;
    a.feed_url = feed;
    a.link = "https://news.example/" + id;
    a.title = "Beijing tightens gallium export controls (" + id + ")";
    a.story_id = story;
    a.fetched = std::chrono::floor<std::chrono::seconds>(at);
    Result<storage::IngestPlan> plan = store_->Plan(f, {a});
    ASSERT_TRUE(plan.has_value());
    Event e;
    e.time = at;
    e.tags = {"critical_minerals", "export_controls"};
    e.minerals = {"gallium"};
    e.countries = {"CN"};
    e.score = 4;
    e.severity = "high";
    e.matches = {EventMatch{"ec.named-measure", "title", 0, 10, "export controls"}};
    plan->items[0].event = e;
    ASSERT_TRUE(alerting.Evaluate(&*plan, *store_, at).ok());
    ASSERT_TRUE(store_->Apply(*plan).ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(AlertingTest, TwoSourcesFireOneAlertDeliveredOnceThroughServerErrors) {
  const std::string log = dir_.path() + "/hook.jsonl";
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  Receiver hook("webhook_receiver.py", {"--out", log, "--secret", secret, "--script", "500,500,500,200"});
  ASSERT_TRUE(hook.ok());
  const AlertingConfig config = Config(hook.port(), secret);
  Alerting alerting(config);

  // One wire story in two outlets: one source, no alert.
  Ingest(alerting, "u:1", "https://feeds.reuters.com/markets", "story-1", kT0);
  Ingest(alerting, "u:2", "https://www.mining.com/feed", "story-1", kT0 + minutes(5));
  EXPECT_TRUE(store_->ListAlerts()->empty());
  // An independent story from a second source: the alert fires.
  Ingest(alerting, "u:3", "https://asia.nikkei.com/rss", "story-2", kT0 + minutes(10));
  auto alerts = store_->ListAlerts();
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].state, "firing");
  EXPECT_THAT((*alerts)[0].events, ElementsAre("u:1", "u:2", "u:3"));
  auto pending = store_->ListNotifications((*alerts)[0].id);
  ASSERT_EQ(pending->size(), 1u);
  const std::string id = (*pending)[0].id;

  FakeClock clock(kT0 + minutes(10));
  Dispatcher dispatcher(*store_, config, clock);
  // Three 500s, each retried after its backoff, then a 200.
  for (int attempt = 1; attempt <= 4; ++attempt) {
    auto due = store_->DueNotifications(UnixMicros::max(), 10);
    ASSERT_EQ(due->size(), 1u) << attempt;
    clock.Set((*due)[0].next_attempt);
    EXPECT_EQ(*dispatcher.RunOnce(clock.Now()), 1u);
  }
  auto done = store_->ListNotifications((*alerts)[0].id);
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].state, "delivered");
  EXPECT_EQ((*done)[0].attempts, 4u);
  EXPECT_THAT((*done)[0].log[0], HasSubstr("temporary 500"));
  EXPECT_TRUE(store_->DueNotifications(UnixMicros::max(), 10)->empty());

  const std::vector<nlohmann::json> seen = Requests(log);
  ASSERT_EQ(seen.size(), 4u);
  for (const nlohmann::json& r : seen) {
    EXPECT_EQ(r["id"], id);
    EXPECT_TRUE(r["signature_ok"].get<bool>());
  }
  const nlohmann::json body = nlohmann::json::parse(seen.back()["body"].get<std::string>());
  EXPECT_EQ(body["alert"]["rule"], "ec-corroborated");
  EXPECT_EQ(body["alert"]["group"]["mineral"], "gallium");
  ASSERT_EQ(body["events"].size(), 3u);
  EXPECT_THAT(body["events"][2]["title"].get<std::string>(), HasSubstr("u:3"));
  EXPECT_EQ(body["events"][2]["evidence"][0], "export controls");
}

TEST_F(AlertingTest, ABadRequestFailsAtOnceAndAnSmtp550KeepsTheReply) {
  const std::string log = dir_.path() + "/hook.jsonl";
  Receiver hook("webhook_receiver.py", {"--out", log, "--script", "400"});
  Receiver smtp("smtp_server.py", {"--out", dir_.path(), "--script", "550"});
  ASSERT_TRUE(hook.ok() && smtp.ok());
  AlertingConfig config = Config(hook.port());
  AlertTarget mail;
  mail.name = "mail";
  mail.kind = AlertTarget::Kind::kEmail;
  mail.smtp.url = "smtp://127.0.0.1:" + smtp.port();
  mail.smtp.tls = SmtpTls::kNone;
  mail.smtp.from = "assay@example.org";
  mail.smtp.to = {"ops@example.org"};
  config.targets.push_back(mail);
  Alerting alerting(config);
  Ingest(alerting, "u:1", "https://feeds.reuters.com/markets", "s1", kT0);
  Ingest(alerting, "u:2", "https://asia.nikkei.com/rss", "s2", kT0 + minutes(1));

  FakeClock clock(kT0 + minutes(2));
  Dispatcher dispatcher(*store_, config, clock);
  EXPECT_EQ(*dispatcher.RunOnce(clock.Now()), 2u);
  auto all = store_->ListNotifications();
  ASSERT_EQ(all->size(), 2u);
  for (const Notification& n : *all) {
    EXPECT_EQ(n.state, "failed") << n.target;
    EXPECT_EQ(n.attempts, 1u);
    if (n.target == "mail") {
      EXPECT_THAT(n.last_error, HasSubstr("550 scripted reply"));
    } else {
      EXPECT_THAT(n.last_error, HasSubstr("HTTP 400"));
    }
  }
  EXPECT_TRUE(store_->DueNotifications(UnixMicros::max(), 10)->empty());
  EXPECT_EQ(Requests(log).size(), 1u);
}

TEST_F(AlertingTest, ARebuiltEngineAfterARestartRepeatsNoAlert) {
  const std::string log = dir_.path() + "/hook.jsonl";
  Receiver hook("webhook_receiver.py", {"--out", log});
  ASSERT_TRUE(hook.ok());
  const AlertingConfig config = Config(hook.port());
  {
    Alerting alerting(config);
    Ingest(alerting, "u:1", "https://feeds.reuters.com/markets", "s1", kT0);
    Ingest(alerting, "u:2", "https://asia.nikkei.com/rss", "s2", kT0 + minutes(1));
  }
  ASSERT_EQ(store_->ListAlerts()->size(), 1u);
  ASSERT_EQ(store_->ListNotifications()->size(), 1u);

  // The daemon restarts: the engine comes back from the store.
  Alerting restarted(config);
  ASSERT_TRUE(restarted.Rebuild(*store_, kT0 + minutes(30)).ok());
  EXPECT_EQ(restarted.open_alerts(), 1u);
  // A third source corroborates further: the same alert, updated, no new
  // notification.
  Ingest(restarted, "u:3", "https://www.ft.com/rss", "s3", kT0 + minutes(40));
  auto alerts = store_->ListAlerts();
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].last_change, "updated");
  EXPECT_EQ((*alerts)[0].value, 3);
  EXPECT_EQ(store_->ListNotifications()->size(), 1u);
}

TEST_F(AlertingTest, ASilencedAlertIsRecordedButNotSent) {
  const std::string log = dir_.path() + "/hook.jsonl";
  Receiver hook("webhook_receiver.py", {"--out", log});
  ASSERT_TRUE(hook.ok());
  const AlertingConfig config = Config(hook.port());
  SilenceRecord silence;
  silence.id = "s1";
  silence.matchers = {{"mineral", "gallium"}, {"rule", "ec-corroborated"}};
  silence.starts = kT0 - minutes(1);
  silence.ends = kT0 + std::chrono::hours(48);
  silence.comment = "known; being handled";
  ASSERT_TRUE(store_->PutSilence(silence).ok());
  ASSERT_EQ(store_->ListSilences()->size(), 1u);
  EXPECT_EQ((*store_->ListSilences())[0], silence);

  Alerting alerting(config);
  Ingest(alerting, "u:1", "https://feeds.reuters.com/markets", "s1", kT0);
  Ingest(alerting, "u:2", "https://asia.nikkei.com/rss", "s2", kT0 + minutes(1));
  ASSERT_EQ(store_->ListAlerts()->size(), 1u);  // the alert exists ...
  auto notifications = store_->ListNotifications();
  ASSERT_EQ(notifications->size(), 1u);
  EXPECT_EQ((*notifications)[0].state, "silenced");  // ... and was not sent
  EXPECT_THAT((*notifications)[0].log[0], HasSubstr("silenced by s1"));
  FakeClock clock(kT0 + minutes(2));
  Dispatcher dispatcher(*store_, config, clock);
  EXPECT_EQ(*dispatcher.RunOnce(clock.Now()), 0u);
  EXPECT_TRUE(Requests(log).empty());
}

TEST(SourceOfTest, FeedsOfOnePublisherAreOneSource) {
  EXPECT_EQ(SourceOf("https://feeds.reuters.com/markets"), "reuters.com");
  EXPECT_EQ(SourceOf("https://www.reuters.com/world/rss"), "reuters.com");
  EXPECT_EQ(SourceOf("http://news.bbc.co.uk/rss.xml"), "bbc.co.uk");
  EXPECT_EQ(SourceOf("https://WWW.Mining.com:443/feed"), "mining.com");
  EXPECT_EQ(SourceOf("http://127.0.0.1:8080/a.xml?x=1"), "http://127.0.0.1:8080/a.xml");
  EXPECT_EQ(SourceOf("http://[::1]:8080/b.xml"), "http://[::1]:8080/b.xml");
  EXPECT_EQ(SourceOf("file:///var/feeds/a.xml"), "file:///var/feeds/a.xml");
}

}  // namespace
}  // namespace assay::daemon
