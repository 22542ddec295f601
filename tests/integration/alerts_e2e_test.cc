// End to end: assayd --once over the news corpus served on 127.0.0.1, with
// the default pack and an alert rule for export controls on critical
// minerals corroborated by two sources, delivers its alerts by email
// (aiosmtpd) and by signed webhook, one message per alert and target.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "storage/store.h"
#include "tests/integration/feed_server.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/receivers.h"
#include "tests/testing/child_process.h"
#include "tests/testing/run_command.h"
#include "tests/testing/temp_dir.h"

namespace assay {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kFeedsDir = std::string(ASSAY_SHARED_DIR) + "/corpus/news/feeds";

using testing::Receiver;

TEST(AlertsEndToEndTest, CorroboratedExportControlsAlertByEmailAndWebhook) {
  if (!fs::is_directory(kFeedsDir)) GTEST_SKIP() << kFeedsDir << " is absent (../shared not beside the checkout)";
  testing::TempDir dir;
  testing::FeedServer server(kFeedsDir);
  const std::string mail_dir = dir / "mail";
  fs::create_directories(mail_dir);
  const std::string hook_log = dir / "hook.jsonl";
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  Receiver smtp("smtp_server.py", {"--out", mail_dir});
  Receiver hook("webhook_receiver.py", {"--out", hook_log, "--secret", secret});
  ASSERT_TRUE(server.ok() && smtp.ok() && hook.ok());

  std::ofstream(dir / "hook-secret") << secret << "\n";
  std::ofstream(dir / "alerts.yaml") << R"(alerts:
  - id: ec-minerals-corroborated
    description: Export controls on a critical mineral, reported by two sources
    when: {tags: [export_controls, critical_minerals], minerals: any}
    fire: threshold
    count: 2
    distinct: sources
    window: 7d
    group_by: [mineral]
)";
  std::ofstream cfg(dir / "assay.yaml");
  cfg << "store: {path: " << (dir / "store") << "}\nfetch: {allow_private_networks: true}\n"
      << "alerts:\n  rules: [alerts.yaml]\n  targets:\n"
      << "    - name: mail\n      email: {url: 'smtp://127.0.0.1:" << smtp.port()
      << "', tls: none, from: assay@example.org, to: analysts@example.org}\n"
      << "    - name: hook\n      webhook: {url: 'http://127.0.0.1:" << hook.port()
      << "/hook', secret_file: hook-secret}\nfeeds:\n";
  for (const auto& e : fs::directory_iterator(kFeedsDir)) {
    if (e.path().extension() == ".xml") {
      cfg << "  - " << server.Url("/files/" + e.path().filename().string()) << "\n";
    }
  }
  cfg.close();

  testing::CommandResult run = testing::RunCommand(
      testing::Assayd() + " --once --log-level warn --config " + (dir / "assay.yaml") + " 2>&1");
  ASSERT_EQ(run.exit_code, 0) << run.output;

  // What should have fired, from the stored events alone: per mineral, the
  // feeds that carried events with both tags, each story counted once.
  // Which copy of a story counts first depends on the order feeds arrive,
  // so the expectation is a range: minerals that reach two sources however
  // the copies fall (certain), and those that can (possible).
  auto store = storage::Store::Open(dir / "store", {.create_if_missing = false});
  ASSERT_TRUE(store) << store.error().ToString();
  storage::EventQuery q;
  q.all_tags = {"critical_minerals", "export_controls"};
  q.limit = 0;
  auto events = (*store)->Events(q);
  ASSERT_TRUE(events) << events.error().ToString();
  std::map<std::string, std::map<std::string, std::set<std::string>>> feeds_of_story;  // mineral -> story -> feeds
  for (const Event& e : *events) {
    for (const std::string& m : e.minerals) feeds_of_story[m][e.story_id].insert(e.feed_url);
  }
  std::set<std::string> certain, possible;
  for (const auto& [mineral, stories] : feeds_of_story) {
    std::set<std::string> single, any;
    for (const auto& [story, feeds] : stories) {
      if (feeds.size() == 1) single.insert(*feeds.begin());
      any.insert(feeds.begin(), feeds.end());
    }
    if (single.size() >= 2) certain.insert(mineral);
    if (any.size() >= 2 && stories.size() >= 2) possible.insert(mineral);
  }
  ASSERT_FALSE(certain.empty()) << "the corpus should corroborate some mineral";

  auto alerts = (*store)->ListAlerts();
  ASSERT_TRUE(alerts) << alerts.error().ToString();
  std::set<std::string> alerted;
  for (const AlertRecord& a : *alerts) {
    EXPECT_EQ(a.rule, "ec-minerals-corroborated");
    EXPECT_EQ(a.state, "firing");
    ASSERT_EQ(a.group.size(), 1u);
    EXPECT_TRUE(alerted.insert(a.group[0].second).second) << "two alerts for " << a.group[0].second;
    EXPECT_GE(a.value, 2);
  }
  for (const std::string& m : certain) EXPECT_TRUE(alerted.count(m)) << m << " should have alerted";
  for (const std::string& m : alerted) EXPECT_TRUE(possible.count(m)) << m << " should not have alerted";

  // Every alert went out once to each target.
  auto notifications = (*store)->ListNotifications();
  ASSERT_TRUE(notifications);
  EXPECT_EQ(notifications->size(), 2 * alerts->size());
  for (const Notification& n : *notifications) {
    EXPECT_EQ(n.state, "delivered") << n.id << " " << n.last_error;
  }
  size_t mails = 0;
  std::set<std::string> mailed;
  for (const auto& e : fs::directory_iterator(mail_dir)) {
    std::ifstream in(e.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ++mails;
    EXPECT_THAT(text, HasSubstr("Subject: [assay] "));
    EXPECT_THAT(text, HasSubstr("ec-minerals-corroborated"));
    for (const std::string& m : alerted) {
      if (text.find("ec-minerals-corroborated: " + m + " ") != std::string::npos) mailed.insert(m);
    }
  }
  EXPECT_EQ(mails, alerts->size());
  EXPECT_EQ(mailed, alerted);

  std::ifstream log(hook_log);
  std::set<std::string> hooked, ids;
  for (std::string line; std::getline(log, line);) {
    const nlohmann::json r = nlohmann::json::parse(line);
    EXPECT_TRUE(r["signature_ok"].get<bool>());
    EXPECT_TRUE(ids.insert(r["id"].get<std::string>()).second) << "delivered twice: " << r["id"];
    const nlohmann::json body = nlohmann::json::parse(r["body"].get<std::string>());
    hooked.insert(body["alert"]["group"]["mineral"].get<std::string>());
    EXPECT_GE(body["events"].size(), 2u);
  }
  EXPECT_EQ(hooked, alerted);

  // What the CLI shows of them.
  testing::CommandResult listed = testing::RunCommand(
      testing::Assay() + " alerts --format json --store " + (dir / "store") + " 2>&1");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  const nlohmann::json rows = nlohmann::json::parse(listed.output);
  ASSERT_EQ(rows.size(), alerts->size());
  std::set<std::string> listed_minerals;
  for (const nlohmann::json& row : rows) {
    listed_minerals.insert(row["group"]["mineral"].get<std::string>());
    EXPECT_EQ(row["deliveries"]["delivered"], 2) << row.dump();
  }
  EXPECT_EQ(listed_minerals, alerted);
  testing::CommandResult shown = testing::RunCommand(testing::Assay() + " alerts show " +
                                                     (*alerts)[0].id + " --store " + (dir / "store") + " 2>&1");
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_THAT(shown.output, HasSubstr("rule      ec-minerals-corroborated"));
  EXPECT_THAT(shown.output, HasSubstr("target hook, fired, delivered after 1 attempt"));
  EXPECT_THAT(shown.output, HasSubstr("target mail, fired, delivered after 1 attempt"));
  testing::CommandResult none = testing::RunCommand(testing::Assay() + " alerts show nosuchalert --store " +
                                                    (dir / "store") + " 2>&1");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.output, HasSubstr("no alert nosuchalert"));
}

}  // namespace
}  // namespace assay
