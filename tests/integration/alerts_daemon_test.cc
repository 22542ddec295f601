// assayd with alerts as a long-running process: a notification whose
// receiver is down stays pending across a SIGKILL and is delivered once,
// with its original id, after the restart and once the receiver is up.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "storage/store.h"
#include "tests/integration/feed_server.h"
#include "tests/integration/fixtures.h"
#include "tests/testing/child_process.h"
#include "tests/testing/run_command.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace assay {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<testing::ChildProcess> StartReceiver(const std::string& log, const std::string& port,
                                                     std::string* bound) {
  auto child = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
      "/usr/bin/python3", std::string(ASSAY_SOURCE_DIR) + "/tests/integration/webhook_receiver.py",
      "--out", log, "--port", port});
  *bound = child->FirstLine();
  return child;
}

pid_t StartDaemon(const std::string& config) {
  const pid_t pid = fork();
  if (pid == 0) {
    execl(testing::Assayd().c_str(), "assayd", "--config", config.c_str(), nullptr);
    _exit(127);
  }
  return pid;
}

// The store's notifications as a reader beside the daemon sees them.
std::vector<Notification> Notifications(const std::string& store, const std::string& scratch) {
  auto s = storage::Store::OpenSecondary(store, scratch);
  if (!s) return {};
  auto n = (*s)->ListNotifications();
  return n ? *n : std::vector<Notification>{};
}

size_t Lines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

TEST(AlertsDaemonTest, APendingNotificationSurvivesSigkillAndIsDeliveredOnceAfterRestart) {
  testing::TempDir dir;
  testing::FeedServer server;
  ASSERT_TRUE(server.ok());
  const std::string log = dir / "hook.jsonl";
  // A port with no receiver behind it yet, and one for the HTTP endpoint.
  std::string port, http_port;
  StartReceiver(dir / "probe.jsonl", "0", &port).reset();
  StartReceiver(dir / "probe2.jsonl", "0", &http_port).reset();
  ASSERT_FALSE(port.empty() || http_port.empty());

  std::ofstream(dir / "alerts.yaml")
      << "alerts:\n  - {id: ec-any, when: {tags: [export_controls]}}\n";
  std::ofstream(dir / "assay.yaml")
      << "store: {path: " << (dir / "store") << "}\n"
      << "fetch: {allow_private_networks: true}\nlogging: {level: warn}\n"
      << "feeds:\n  - " << server.Url("/feed.xml?items=3") << "\n"
      << "alerts:\n  rules: [alerts.yaml]\n"
      << "  targets:\n    - name: hook\n      webhook: {url: 'http://127.0.0.1:" << port
      << "/hook', timeout: 5s}\n"
      << "  delivery: {initial_backoff: 1s, max_backoff: 2s, give_up_after: 1h}\n"
      << "http: {port: " << http_port << ", token: t0ken}\n";

  // First run: the alert fires, its delivery fails (nobody listens) and is
  // retried; then the daemon dies without warning.
  pid_t pid = StartDaemon(dir / "assay.yaml");
  ASSERT_GT(pid, 0);
  std::vector<Notification> seen;
  const bool attempted = testing::Eventually(
      [&] {
        seen = Notifications(dir / "store", dir / "reader");
        return seen.size() == 1 && seen[0].attempts >= 1 && seen[0].state == "pending";
      },
      30s);
  ASSERT_TRUE(attempted) << (seen.empty() ? "no notification" : seen[0].state);
  const std::string id = seen[0].id;
  EXPECT_THAT(seen[0].last_error, ::testing::HasSubstr("onnect"));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);

  // The receiver comes up; the daemon restarts and delivers.
  std::string bound;
  auto receiver = StartReceiver(log, port, &bound);
  ASSERT_EQ(bound, port);
  pid = StartDaemon(dir / "assay.yaml");
  ASSERT_GT(pid, 0);
  const bool delivered = testing::Eventually(
      [&] {
        seen = Notifications(dir / "store", dir / "reader");
        return seen.size() == 1 && seen[0].state == "delivered";
      },
      30s);
  // The alert through the endpoint: listed, then acknowledged (token only).
  const std::string api = "http://127.0.0.1:" + http_port + "/api/v1/alerts";
  const std::string auth = " -H 'Authorization: Bearer t0ken' ";
  testing::CommandResult listed = testing::RunCommand("curl -s" + auth + api);
  testing::CommandResult anonymous =
      testing::RunCommand("curl -s -o /dev/null -w '%{http_code}' -X POST " + api + "/" +
                          (seen.empty() ? "x" : seen[0].alert_id) + "/ack");
  testing::CommandResult acked = testing::RunCommand(
      "curl -s" + auth + "-X POST -d '{\"by\": \"analyst\"}' " + api + "/" +
      (seen.empty() ? "x" : seen[0].alert_id) + "/ack");
  testing::CommandResult missing =
      testing::RunCommand("curl -s -o /dev/null -w '%{http_code}'" + auth + "-X POST " + api + "/nosuch/ack");
  const std::string silences = "http://127.0.0.1:" + http_port + "/api/v1/silences";
  testing::CommandResult silenced = testing::RunCommand(
      "curl -s -w ' %{http_code}'" + auth + "-X POST -d '{\"matchers\": [\"mineral=graphite\"], "
      "\"for\": \"48h\", \"comment\": \"known\"}' " + silences);
  testing::CommandResult bad_silence = testing::RunCommand(
      "curl -s -w ' %{http_code}'" + auth + "-X POST -d '{\"matchers\": [\"planet=mars\"], "
      "\"for\": \"1h\"}' " + silences);
  kill(pid, SIGTERM);
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const nlohmann::json list = nlohmann::json::parse(listed.output, nullptr, false);
  ASSERT_FALSE(list.is_discarded()) << listed.output;
  ASSERT_EQ(list["alerts"].size(), 1u) << listed.output;
  EXPECT_EQ(list["alerts"][0]["rule"], "ec-any");
  EXPECT_EQ(anonymous.output, "401");
  const nlohmann::json ack = nlohmann::json::parse(acked.output, nullptr, false);
  ASSERT_FALSE(ack.is_discarded()) << acked.output;
  EXPECT_TRUE(ack["alert"]["acked"].get<bool>()) << acked.output;
  EXPECT_EQ(ack["alert"]["acked_by"], "analyst");
  EXPECT_EQ(missing.output, "404");
  EXPECT_THAT(silenced.output, ::testing::EndsWith(" 201"));
  EXPECT_THAT(silenced.output, ::testing::HasSubstr("\"mineral=graphite\""));
  EXPECT_THAT(bad_silence.output, ::testing::HasSubstr("unknown label 'planet'"));
  EXPECT_THAT(bad_silence.output, ::testing::EndsWith(" 400"));
  testing::CommandResult listed_silences = testing::RunCommand(
      testing::Assay() + " alerts silences --store " + (dir / "store") + " 2>&1");
  EXPECT_EQ(listed_silences.exit_code, 0) << listed_silences.output;
  EXPECT_THAT(listed_silences.output, ::testing::HasSubstr("mineral=graphite"));
  EXPECT_THAT(listed_silences.output, ::testing::HasSubstr("active"));
  ASSERT_TRUE(delivered) << (seen.empty() ? "no notification" : seen[0].state + " " + seen[0].last_error);

  // Once, with the id it was given before the kill.
  ASSERT_EQ(Lines(log), 1u);
  std::ifstream in(log);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(nlohmann::json::parse(line)["id"], id);
  EXPECT_EQ(seen[0].id, id);
  EXPECT_GE(seen[0].attempts, 2u);
}

}  // namespace
}  // namespace assay
