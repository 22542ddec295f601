// assayd as a long-running process: polls on its schedule, can be read by
// the CLI while it runs, and stops cleanly on SIGTERM and SIGINT.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>

#include "tests/integration/feed_server.h"
#include "tests/integration/fixtures.h"
#include "tests/testing/child_process.h"
#include "tests/testing/run_command.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace assay {
namespace {

using testing::Assay;
using testing::Assayd;
using testing::RssItem;
using testing::WriteRssFeed;

using namespace std::chrono_literals;


// Waits for `pid` to exit within `timeout`; returns its exit code or -1.
int WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  int status = 0;
  const bool exited = testing::Eventually([&] { return waitpid(pid, &status, WNOHANG) == pid; }, timeout);
  if (!exited) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class DaemonRunTest : public ::testing::TestWithParam<int> {};

TEST_P(DaemonRunTest, PollsReadsBesideTheCliAndStopsCleanlyOnSignal) {
  testing::TempDir dir;
  testing::FeedServer server;
  ASSERT_TRUE(server.ok());
  std::ofstream(dir / "assay.yaml") << "store: {path: " << (dir / "store") << "}\n"
                                    << "fetch: {allow_private_networks: true}\n"
                                    << "logging: {level: warn}\nfeeds:\n"
                                    << "  - " << server.Url("/feed.xml?items=4") << "\n"
                                    << "  - " << server.Url("/status/503") << "\n";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(Assayd().c_str(), "assayd", "--config", (dir / "assay.yaml").c_str(), nullptr);
    _exit(127);
  }
  // The CLI reads the store while the daemon holds it.
  const std::string feeds = Assay() + " feeds --format json --config " + (dir / "assay.yaml") + " 2>&1";
  std::string last;
  const bool polled = testing::Eventually(
      [&] {
        testing::CommandResult r = testing::RunCommand(feeds);
        last = r.output;
        return r.exit_code == 0 && r.output.find("\"articles\": 4") != std::string::npos &&
               r.output.find("HTTP 503") != std::string::npos;
      },
      30s);
  EXPECT_TRUE(polled) << last;
  ASSERT_EQ(kill(pid, GetParam()), 0);
  const int code = WaitExit(pid, 5s);
  if (code == -1) kill(pid, SIGKILL);
  EXPECT_EQ(code, 0) << "assayd must exit 0 within 5 s of the signal";
  // Nothing lost: the store opens and holds what was reported.
  testing::CommandResult after = testing::RunCommand(feeds);
  EXPECT_EQ(after.exit_code, 0) << after.output;
  EXPECT_NE(after.output.find("\"articles\": 4"), std::string::npos) << after.output;
}

INSTANTIATE_TEST_SUITE_P(Signals, DaemonRunTest, ::testing::Values(SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& p) { return p.param == SIGTERM ? "SIGTERM" : "SIGINT"; });

}  // namespace
}  // namespace assay
