// assayd under the systemd notification protocol: a datagram socket owned by
// the test stands in for systemd's NOTIFY_SOCKET.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/feed_server.h"
#include "tests/integration/notify_socket.h"
#include "tests/testing/temp_dir.h"

namespace assay {
namespace {

using namespace std::chrono_literals;

TEST(NotifyTest, ReadyWatchdogAndStoppingAreSentAtTheRightTimes) {
  testing::TempDir dir;
  testing::FeedServer server;
  ASSERT_TRUE(server.ok());
  testing::NotifySocket notify(dir / "notify.sock");
  ASSERT_TRUE(notify.ok());
  std::ofstream(dir / "assay.yaml") << "store: {path: " << (dir / "store") << "}\n"
                                    << "fetch: {allow_private_networks: true}\n"
                                    << "logging: {level: warn}\nfeeds:\n"
                                    << "  - " << server.Url("/feed.xml?items=2") << "\n";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("NOTIFY_SOCKET", (dir / "notify.sock").c_str(), 1);
    setenv("WATCHDOG_USEC", "400000", 1);  // pings expected every 200 ms
    const std::string assayd = std::string(ASSAY_BINARY_DIR) + "/daemon/assayd";
    execl(assayd.c_str(), "assayd", "--config", (dir / "assay.yaml").c_str(), nullptr);
    _exit(127);
  }
  std::vector<std::string> seen;
  EXPECT_TRUE(notify.WaitFor("READY=1", 20s, &seen)) << "no READY=1";
  ASSERT_FALSE(seen.empty());
  EXPECT_NE(seen.back().find("STATUS=feeds 1"), std::string::npos) << seen.back();
  // The store exists once READY=1 is sent.
  EXPECT_TRUE(std::filesystem::exists(dir / "store/CURRENT"));
  // Watchdog pings keep coming from the loop: count those within 2 s.
  int pings = 0;
  const auto until = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < until) {
    std::string m = notify.Receive(500ms);
    pings += m.find("WATCHDOG=1") != std::string::npos;
  }
  EXPECT_GE(pings, 5) << "at half the watchdog interval, ~10 pings fit in 2 s";
  EXPECT_LE(pings, 25);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_TRUE(notify.WaitFor("STOPPING=1", 5s, &seen)) << "no STOPPING=1";
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      FAIL() << "assayd did not exit within 5 s of SIGTERM";
    }
    notify.Receive(50ms);  // waits for the child without sleeping blind
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace assay
