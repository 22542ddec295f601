// Service start-up: the rule pack is validated while the store opens and the
// first polls run, and an invalid pack still writes nothing.
#include "daemon/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"
#include "core/time.h"
#include "storage/store.h"

namespace assay::daemon {
namespace {

namespace fs = std::filesystem;

constexpr char kFeed[] = R"(<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Ministry notices</title><link>https://example.org/</link>
<item><title>Export licences required for gallium and germanium</title>
<link>https://example.org/notice/1</link><guid>notice-1</guid>
<description>The ministry of commerce announced export controls on gallium.</description>
<pubDate>Tue, 01 Sep 2026 10:00:00 GMT</pubDate></item>
<item><title>Quarterly report on port traffic</title>
<link>https://example.org/notice/2</link><guid>notice-2</guid>
<description>Container volumes rose.</description>
<pubDate>Tue, 01 Sep 2026 11:00:00 GMT</pubDate></item>
</channel></rss>
)";

// A pack with a pattern RE2 rejects: only compiling it finds the problem.
constexpr char kBrokenPack[] = R"(pack: broken
version: 1
tags:
  - id: export_control
rules:
  - id: ec.broken
    tag: export_control
    any: ["export (controls"]
)";

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("assay-service-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Write(dir_ / "feed.xml", kFeed);
    Write(dir_ / "broken.yaml", kBrokenPack);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void Write(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }

  // A config with one file: feed; `rules` is its rules section, if any.
  config::Config MakeConfig(const std::string& rules) const {
    const std::string text = "store: {path: " + store_path().string() + "}\n" +
                             "logging: {level: error}\n" + rules + "feeds:\n  - file:feed.xml\n";
    Result<config::Config> cfg = config::ParseConfig(text, (dir_ / "assay.yaml").string());
    EXPECT_TRUE(cfg) << cfg.error().ToString();
    return cfg ? *cfg : config::Config{};
  }

  fs::path store_path() const { return dir_ / "store"; }

  // Opens the store after the service is gone and reads what it holds.
  storage::StoreCounts StoredCounts() const {
    storage::StoreOptions options;
    options.create_if_missing = false;
    Result<std::unique_ptr<storage::Store>> store =
        storage::Store::Open(store_path().string(), options);
    EXPECT_TRUE(store) << store.error().ToString();
    return store ? (*store)->Counts() : storage::StoreCounts{};
  }

  fs::path dir_;
};

TEST_F(ServiceTest, OncePassWithTheDefaultPackStoresTheFeedAndItsArticles) {
  {
    Service service(MakeConfig(""), SystemClock::Get());
    ASSERT_TRUE(service.Open().ok());
    Result<PollSummary> summary = service.RunOnce();
    ASSERT_TRUE(summary) << summary.error().ToString();
    EXPECT_EQ(summary->feeds_ok, 1u) << summary->ToString();
    EXPECT_EQ(summary->articles_new, 2u);
    EXPECT_TRUE(service.WaitForRules().ok());
  }
  const storage::StoreCounts counts = StoredCounts();
  EXPECT_EQ(counts.feeds, 1u);
  EXPECT_EQ(counts.articles, 2u);
}

TEST_F(ServiceTest, InvalidPackCreatesNoStore) {
  Service service(MakeConfig("rules: {packs: [broken.yaml]}\n"), SystemClock::Get());
  const Status s = service.Open();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("ec.broken"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(store_path()));
}

TEST_F(ServiceTest, InvalidPackFailsTheOncePassAndWritesNothingToAnExistingStore) {
  {
    // An existing store with nothing in it yet.
    Result<std::unique_ptr<storage::Store>> store = storage::Store::Open(store_path().string(), {});
    ASSERT_TRUE(store) << store.error().ToString();
  }
  {
    Service service(MakeConfig("rules: {packs: [broken.yaml]}\n"), SystemClock::Get());
    ASSERT_TRUE(service.Open().ok());
    Result<PollSummary> summary = service.RunOnce();
    ASSERT_FALSE(summary);
    EXPECT_NE(summary.error().message().find("ec.broken"), std::string::npos)
        << summary.error().message();
    const Status rules = service.WaitForRules();
    EXPECT_FALSE(rules.ok());
  }
  const storage::StoreCounts counts = StoredCounts();
  EXPECT_EQ(counts.feeds, 0u);
  EXPECT_EQ(counts.articles, 0u);
  EXPECT_EQ(counts.events, 0u);
}

TEST_F(ServiceTest, RunFailsWithAnInvalidPackBeforeWritingAnything) {
  {
    Result<std::unique_ptr<storage::Store>> store = storage::Store::Open(store_path().string(), {});
    ASSERT_TRUE(store) << store.error().ToString();
  }
  {
    Service service(MakeConfig("rules: {packs: [broken.yaml]}\n"), SystemClock::Get());
    ASSERT_TRUE(service.Open().ok());
    const Status s = service.Run();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("ec.broken"), std::string::npos) << s.message();
  }
  EXPECT_EQ(StoredCounts().feeds, 0u);
}

}  // namespace
}  // namespace assay::daemon
