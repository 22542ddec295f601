#include "config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/testing/temp_dir.h"

namespace assay::config {
namespace {

using namespace std::chrono_literals;

TEST(ConfigTest, LoadsEverySection) {
  testing::TempDir dir;
  std::ofstream(dir / "a.opml") << R"(<?xml version="1.0"?><opml version="2.0"><body>
<outline text="Group"><outline text="One" xmlUrl="https://one.example/feed"/></outline>
<outline title="Two" xmlUrl="http://two.example/rss"/></body></opml>)";
  const std::string text = R"(
store:
  path: /tmp/assay-store
feeds:
  - url: https://news.example/rss
    name: News
    interval: 5m
    tags: [policy]
  - https://other.example/atom
  - url: file:local/feed.xml
opml: [a.opml]
fetch:
  concurrency: 8
  per_host_concurrency: 2
  timeout: 30s
  max_body: 4MiB
  allow_private_networks: true
logging:
  level: debug
)";
  Result<Config> c = ParseConfig(text, dir / "assay.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->store_path, "/tmp/assay-store");
  ASSERT_EQ(c->feeds.size(), 5u);
  EXPECT_EQ(c->feeds[0].url, "https://news.example/rss");
  EXPECT_EQ(c->feeds[0].name, "News");
  EXPECT_EQ(c->feeds[0].interval, 5min);
  EXPECT_EQ(c->feeds[0].tags, std::vector<std::string>{"policy"});
  EXPECT_EQ(c->feeds[1].url, "https://other.example/atom");
  EXPECT_EQ(c->feeds[2].url, "file://" + (dir / "local/feed.xml"));
  EXPECT_EQ(c->feeds[3].url, "https://one.example/feed");
  EXPECT_EQ(c->feeds[3].name, "One");
  EXPECT_EQ(c->feeds[4].name, "Two");
  EXPECT_EQ(c->fetch.concurrency, 8);
  EXPECT_EQ(c->fetch.per_host_concurrency, 2);
  EXPECT_EQ(c->fetch.timeout, 30s);
  EXPECT_EQ(c->fetch.max_body_bytes, 4 << 20);
  EXPECT_TRUE(c->fetch.allow_private_networks);
  EXPECT_EQ(c->logging.level, "debug");
}

TEST(ConfigTest, RelativeStorePathIsUnderTheWorkingDirectory) {
  Result<Config> c = ParseConfig("store: {path: var/x}\n", "/etc/assay/assay.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->store_path, (std::filesystem::current_path() / "var/x").string());
}

TEST(ConfigTest, EveryProblemNamesFileLineAndColumn) {
  struct Case {
    const char* text;
    const char* expected;
  } cases[] = {
      {"feeds:\n  - url: ftp://x.example/f\n", "c.yaml:2:10: 'feeds[0].url': bad URL 'ftp://x.example/f': scheme 'ftp' is not allowed"},
      {"feeds:\n  - url: https://a.example/\n    intervl: 5m\n", "c.yaml:3:5: unknown key 'feeds[0].intervl'"},
      {"fetch:\n  concurrency: lots\n", "c.yaml:2:16: 'fetch.concurrency' must be an integer, got 'lots'"},
      {"fetch:\n  timeout: 5 minutes\n", "c.yaml:2:12: 'fetch.timeout': bad duration"},
      {"fetch:\n  max_body: 5 parsecs\n", "c.yaml:2:13: 'fetch.max_body': bad size unit 'parsecs'"},
      {"fetch:\n  allow_private_networks: maybe\n", "c.yaml:2:27: 'fetch.allow_private_networks' must be true or false"},
      {"opml: [missing.opml]\n", "c.yaml:1:8: cannot read OPML file"},
      {"feeds: [https://a.example/, https://a.example/]\n", "is listed twice"},
      {"stor: {}\n", "c.yaml:1:1: unknown key 'stor'"},
      {"feeds: [\n", "c.yaml:"},
      {"logging: {level: loud}\n", "'logging.level' must be one of"},
      {"feeds:\n  - name: no url\n", "c.yaml:2:5: 'feeds[0].url' is required"},
      {"fetch:\n  allow_networks: [10.0.0.0/33]\n", "c.yaml:2:20: 'fetch.allow_networks': bad prefix length in '10.0.0.0/33'"},
      {"fetch:\n  allow_networks: [intranet]\n", "bad address range 'intranet'"},
  };
  for (const Case& c : cases) {
    Result<Config> r = ParseConfig(c.text, "c.yaml");
    ASSERT_FALSE(r) << c.text;
    EXPECT_NE(r.error().message().find(c.expected), std::string::npos)
        << "config:\n" << c.text << "message: " << r.error().message();
  }
}

TEST(ConfigTest, ReportsAllProblemsAtOnce) {
  Result<Config> r = ParseConfig("feeds: [ftp://a/]\nfetch: {timeout: x, concurrency: 0}\n", "c.yaml");
  ASSERT_FALSE(r);
  const std::string& m = r.error().message();
  EXPECT_NE(m.find("ftp"), std::string::npos);
  EXPECT_NE(m.find("fetch.timeout"), std::string::npos);
  EXPECT_NE(m.find("fetch.concurrency"), std::string::npos);
}

TEST(ConfigTest, UnreadableFileIsAnError) {
  Result<Config> r = LoadConfig("/nonexistent/assay.yaml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("/nonexistent/assay.yaml: cannot read config file"),
            std::string::npos);
}

TEST(ConfigTest, ParsesNetworkRanges) {
  Result<NetworkRange> v4 = ParseNetworkRange("10.20.0.0/16");
  ASSERT_TRUE(v4) << v4.error().message();
  EXPECT_EQ(v4->prefix_length, 16);
  EXPECT_EQ(v4->address[0], 10);
  EXPECT_EQ(v4->address[1], 20);
  Result<NetworkRange> host = ParseNetworkRange("127.0.0.1");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->prefix_length, 32);
  Result<NetworkRange> v6 = ParseNetworkRange("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->prefix_length, 8);
  EXPECT_FALSE(ParseNetworkRange("fd00::/129"));
  EXPECT_FALSE(ParseNetworkRange("10.0.0.0/"));
}

TEST(ConfigTest, ParsesDurationsAndSizes) {
  EXPECT_EQ(*ParseDuration("90s"), 90s);
  EXPECT_EQ(*ParseDuration("1h30m"), 90min);
  EXPECT_EQ(*ParseDuration("7d"), 7 * 24h);
  EXPECT_FALSE(ParseDuration("10"));
  EXPECT_FALSE(ParseDuration("h"));
  EXPECT_FALSE(ParseDuration(""));
  EXPECT_EQ(*ParseByteSize("16MiB"), 16 << 20);
  EXPECT_EQ(*ParseByteSize("10 MB"), 10'000'000);
  EXPECT_EQ(*ParseByteSize("512"), 512);
  EXPECT_FALSE(ParseByteSize("MiB"));
}

}  // namespace
}  // namespace assay::config

namespace assay::config {
namespace {

TEST(ConfigTest, ShippedConfigsAreValid) {
  for (const char* name : {"/systemd/assay.yaml", "/demo/assay.yaml"}) {
    Result<Config> c = LoadConfig(std::string(ASSAY_SOURCE_DIR) + name);
    EXPECT_TRUE(c) << name << ": " << c.error().message();
  }
}

TEST(ConfigTest, DemoFeedsAreLocalFiles) {
  Result<Config> c = LoadConfig(std::string(ASSAY_SOURCE_DIR) + "/demo/assay.yaml");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->feeds.size(), 3u);
  for (const FeedConfig& f : c->feeds) {
    EXPECT_EQ(f.url.rfind("file:///", 0), 0u) << f.url;
    EXPECT_TRUE(std::filesystem::exists(f.url.substr(7))) << f.url;
  }
}

}  // namespace
}  // namespace assay::config
