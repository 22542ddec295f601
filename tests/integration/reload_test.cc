// SIGHUP: a valid new config (feeds, rule pack) takes effect for the next
// polls without losing state; a broken one is rejected and the old kept.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <optional>

#include "storage/store.h"
#include "tests/integration/feed_server.h"
#include "tests/integration/notify_socket.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace assay {
namespace {

using namespace std::chrono_literals;

void WritePack(const std::string& path, const std::string& name, const std::string& tag) {
  std::ofstream(path) << "pack: " << name << "\nversion: \"1\"\nrules:\n"
                      << "  - id: " << name << ".lithium\n    tag: " << tag
                      << "\n    any: ['lithium']\n";
}

void WriteConfig(const testing::TempDir& dir, const std::string& pack,
                 const std::vector<std::string>& feeds) {
  std::ofstream out(dir / "assay.yaml.tmp");
  out << "store: {path: " << (dir / "store") << "}\n"
      << "fetch: {allow_private_networks: true}\n"
      << "logging: {level: warn}\n"
      << "rules: {packs: [" << pack << "]}\nfeeds:\n";
  for (const auto& f : feeds) out << "  - " << f << "\n";
  out.close();
  std::filesystem::rename(dir / "assay.yaml.tmp", dir / "assay.yaml");
}

// The tags of the event of the article with `link`, read through a
// secondary instance beside the running daemon; nullopt while absent.
std::optional<std::vector<std::string>> TagsOf(const testing::TempDir& dir,
                                               const std::string& link) {
  auto store = storage::Store::OpenSecondary(dir / "store", dir / "secondary");
  if (!store) return std::nullopt;
  auto e = (*store)->GetEventForArticle("u:" + link);
  if (!e || !e->has_value()) return std::nullopt;
  return (*e)->tags;
}

using testing::Eventually;

TEST(ReloadTest, SighupAppliesANewRulePackAndFeedsAndRejectsABrokenConfig) {
  testing::TempDir dir;
  testing::FeedServer server;
  ASSERT_TRUE(server.ok());
  testing::NotifySocket notify(dir / "notify.sock");
  ASSERT_TRUE(notify.ok());
  WritePack(dir / "a.yaml", "pack-a", "alpha_tag");
  WritePack(dir / "b.yaml", "pack-b", "beta_tag");
  WriteConfig(dir, dir / "a.yaml", {server.Url("/feed.xml?items=2")});

  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("NOTIFY_SOCKET", (dir / "notify.sock").c_str(), 1);
    const std::string assayd = std::string(ASSAY_BINARY_DIR) + "/daemon/assayd";
    execl(assayd.c_str(), "assayd", "--config", (dir / "assay.yaml").c_str(), nullptr);
    _exit(127);
  }
  std::vector<std::string> seen;
  ASSERT_TRUE(notify.WaitFor("READY=1", 20s, &seen));
  const std::string item0 = "https://feeds.example/items/0";
  const std::string item3 = "https://feeds.example/items/3";
  ASSERT_TRUE(Eventually([&] { return TagsOf(dir, item0).has_value(); }, 20s));
  EXPECT_EQ(TagsOf(dir, item0), std::vector<std::string>{"alpha_tag"});

  // Pack B and a second feed that also carries items 2..4.
  WriteConfig(dir, dir / "b.yaml", {server.Url("/feed.xml?items=2"), server.Url("/gzip.xml?items=5")});
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  EXPECT_TRUE(notify.WaitFor("RELOADING=1", 10s, &seen));
  EXPECT_TRUE(notify.WaitFor("READY=1", 10s, &seen));
  EXPECT_NE(seen.back().find("STATUS=feeds 2"), std::string::npos) << seen.back();
  ASSERT_TRUE(Eventually([&] { return TagsOf(dir, item3).has_value(); }, 20s))
      << "the new feed was not polled after the reload";
  EXPECT_EQ(TagsOf(dir, item3), std::vector<std::string>{"beta_tag"}) << "new articles use pack B";
  EXPECT_EQ(TagsOf(dir, item0), std::vector<std::string>{"alpha_tag"}) << "stored events stay";

  // A broken config is rejected; the daemon keeps running with pack B.
  std::ofstream(dir / "assay.yaml") << "feeds: [gopher://nowhere.example/]\nbogus: 1\n";
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  EXPECT_TRUE(notify.WaitFor("RELOADING=1", 10s, &seen));
  EXPECT_TRUE(notify.WaitFor("READY=1", 10s, &seen));
  EXPECT_NE(seen.back().find("reload failed, old config kept"), std::string::npos) << seen.back();
  EXPECT_NE(seen.back().find("STATUS=feeds 2"), std::string::npos) << seen.back();
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), 0) << "assayd must survive a broken reload";

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_TRUE(notify.WaitFor("STOPPING=1", 5s, &seen));
  int status = 0;
  EXPECT_TRUE(Eventually([&] { return waitpid(pid, &status, WNOHANG) == pid; }, 5s));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace assay
