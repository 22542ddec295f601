// assay show and assay stats over a store written by assayd --once from
// feeds served on 127.0.0.1: show prints an article whole with its matches
// in context and the other sources of its story; stats counts the events
// per bucket by tag and by entity.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/feed_server.h"
#include "tests/integration/fixtures.h"
#include "tests/testing/run_command.h"
#include "tests/testing/temp_dir.h"

namespace assay {
namespace {

using testing::Assay;
using testing::Assayd;
using testing::RssItem;
using testing::WriteRssFeed;


const char kGallium[] = "https://news.example/gallium";
const char kGalliumCopy[] = "https://wire.example/gallium-copy";
const char kBakery[] = "https://news.example/bakery";
const char kGraphite[] = "https://news.example/graphite";

const char kGalliumTitle[] = "China tightens export controls on gallium, germanium";
const char kGalliumSummary[] =
    "Beijing announced export licence requirements for gallium, effective immediately.";

std::string U(const char* link) { return std::string("u:") + link; }

// One store for every test: written once by assayd --once. The wire feed
// carries a verbatim copy of the gallium story under another link.
class ShowStatsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const std::string feeds = *dir_ / "feeds";
    std::filesystem::create_directories(feeds);
    WriteRssFeed(feeds + "/minerals.xml", "Minerals Desk",
              RssItem(kGallium, kGalliumTitle, kGalliumSummary) +
                  RssItem(kBakery, "Local bakery wins award again", "A bakery in town won a prize."));
    WriteRssFeed(feeds + "/wire.xml", "Trade Wire",
              RssItem(kGalliumCopy, kGalliumTitle, kGalliumSummary) +
                  RssItem(kGraphite, "US imposes tariffs on Chinese graphite anodes",
                       "The United States announced tariffs on graphite imports from China."));
    server_ = new testing::FeedServer(feeds);
    ASSERT_TRUE(server_->ok());
    std::ofstream cfg(*dir_ / "assay.yaml");
    cfg << "store: {path: " << (*dir_ / "store") << "}\n"
        << "fetch: {allow_private_networks: true}\nfeeds:\n"
        << "  - url: " << server_->Url("/files/minerals.xml") << "\n    name: Minerals Desk\n"
        << "  - url: " << server_->Url("/files/wire.xml") << "\n";
    cfg.close();
    testing::CommandResult run = testing::RunCommand(
        Assayd() + " --once --log-level error --config " + (*dir_ / "assay.yaml") + " 2>&1");
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static testing::CommandResult Cli(const std::string& command, const std::string& args) {
    return testing::RunCommand(Assay() + " " + command + " --store " + (*dir_ / "store") + " " +
                               args + " 2>&1");
  }
  static testing::CommandResult Show(const std::string& args) { return Cli("show", args); }
  static testing::CommandResult Stats(const std::string& args) { return Cli("stats", args); }

  // Per value of `key` ("tags", "minerals"), the number of events that
  // carry it, from `assay events`.
  static std::map<std::string, uint64_t> EventCounts(const std::string& key) {
    testing::CommandResult r =
        testing::RunCommand(Assay() + " events --limit 0 --format ndjson --store " +
                            (*dir_ / "store") + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::map<std::string, uint64_t> out;
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);) {
      const nlohmann::json event = nlohmann::json::parse(line);
      for (const auto& v : event.at(key)) ++out[v.get<std::string>()];
    }
    return out;
  }

  // Per series, the sum of its counts, from `assay stats --format json`.
  static std::map<std::string, uint64_t> SeriesTotals(const nlohmann::json& j) {
    std::map<std::string, uint64_t> out;
    for (const auto& [value, counts] : j.at("series").items()) {
      EXPECT_EQ(counts.size(), j.at("buckets").size()) << value;
      uint64_t total = 0;
      for (const auto& c : counts) total += c.get<uint64_t>();
      out[value] = total;
    }
    return out;
  }

  static testing::TempDir* dir_;
  static testing::FeedServer* server_;
};
testing::TempDir* ShowStatsTest::dir_ = nullptr;
testing::FeedServer* ShowStatsTest::server_ = nullptr;

TEST_F(ShowStatsTest, ShowPrintsTheArticleItsTagsAMatchInContextAndTheOtherSource) {
  testing::CommandResult r = Show(U(kGallium));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind(std::string(kGalliumTitle) + "\n", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("link:       " + std::string(kGallium) + "\n"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("feed:       Minerals Desk <"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("published:  2026-11-28T09:00:00Z\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(std::string("\nsummary:\n") + kGalliumSummary + "\n"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("tags:       critical_minerals, export_controls, supply_risk\n"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("minerals:   gallium, germanium\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("severity:   critical\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("China tightens [[export controls]] on gallium"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find('\x1b'), std::string::npos) << "no colour into a pipe";
  const size_t others = r.output.find("\nother sources of this story:\n");
  ASSERT_NE(others, std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Trade Wire  " + std::string(kGalliumTitle) + "\n    " +
                              kGalliumCopy + "\n",
                          others),
            std::string::npos)
      << r.output;
}

TEST_F(ShowStatsTest, ShowOfTheCopyNamesTheOriginalAsTheOtherSource) {
  testing::CommandResult r = Show(U(kGalliumCopy) + " --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("id"), U(kGalliumCopy));
  EXPECT_EQ(j.at("title"), kGalliumTitle);
  EXPECT_EQ(j.at("feed").at("title"), "Trade Wire");
  EXPECT_EQ(j.at("event").at("severity"), "critical");
  bool found = false;
  for (const auto& m : j.at("event").at("matches")) {
    if (m.at("text") == "export controls" && m.at("field") == "title") {
      EXPECT_EQ(m.at("before"), "China tightens ");
      EXPECT_EQ(m.at("after"), " on gallium, germanium");
      found = true;
    }
  }
  EXPECT_TRUE(found) << r.output;
  ASSERT_EQ(j.at("other_sources").size(), 1u) << r.output;
  EXPECT_EQ(j.at("other_sources")[0].at("id"), U(kGallium));
  EXPECT_EQ(j.at("other_sources")[0].at("source"), "Minerals Desk");
  EXPECT_EQ(j.at("other_sources")[0].at("link"), kGallium);
}

TEST_F(ShowStatsTest, ShowOfAnUntaggedArticleSaysItHasNoEvent) {
  testing::CommandResult r = Show(U(kBakery));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("event:      none"), std::string::npos) << r.output;
}

TEST_F(ShowStatsTest, ShowOfAnUnknownIdIsAOneLineErrorWithExit1) {
  testing::CommandResult r = Show("u:https://news.example/nothing");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "assay show: no article with id 'u:https://news.example/nothing'\n");
}

TEST_F(ShowStatsTest, ShowOfAMissingStoreIsExit2) {
  testing::CommandResult r = testing::RunCommand(Assay() + " show --store " +
                                                 (*dir_ / "no-such-store") + " u:x 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST_F(ShowStatsTest, StatsTotalsByTagAndByMineralMatchTheEvents) {
  for (const auto& [by, key] : std::vector<std::pair<std::string, std::string>>{
           {"tag", "tags"}, {"mineral", "minerals"}}) {
    testing::CommandResult r = Stats("--by " + by + " --format json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    nlohmann::json j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j.at("by"), by);
    EXPECT_EQ(j.at("buckets").size(), 31u) << "the last 30 days and today";
    const std::map<std::string, uint64_t> counts = EventCounts(key);
    EXPECT_FALSE(counts.empty());
    EXPECT_EQ(SeriesTotals(j), counts) << by;
  }
  testing::CommandResult r = Stats("--by mineral --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(SeriesTotals(nlohmann::json::parse(r.output)).at("gallium"), 2u);
}

TEST_F(ShowStatsTest, StatsTagFilterCountsOnlyThoseEvents) {
  testing::CommandResult r = Stats("--by mineral --tag export_controls --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::map<std::string, uint64_t> totals = SeriesTotals(nlohmann::json::parse(r.output));
  EXPECT_EQ(totals.count("graphite"), 0u) << r.output;
  EXPECT_EQ(totals.at("gallium"), 2u) << r.output;
}

TEST_F(ShowStatsTest, StatsHourlyHasOneBucketPerHour) {
  testing::CommandResult r = Stats(
      "--hourly --since 2026-01-01T00:00:00Z --until 2026-01-01T06:00:00Z --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j.at("buckets").size(), 6u) << r.output;
  EXPECT_EQ(j.at("buckets")[0], "2026-01-01T00:00:00Z");
  EXPECT_EQ(j.at("buckets")[5], "2026-01-01T05:00:00Z");
  EXPECT_TRUE(j.at("series").empty()) << "no events then";

  testing::CommandResult recent = Stats("--hourly --since 48h --format json");
  ASSERT_EQ(recent.exit_code, 0) << recent.output;
  nlohmann::json k = nlohmann::json::parse(recent.output);
  EXPECT_EQ(k.at("buckets").size(), 49u);
  EXPECT_EQ(SeriesTotals(k), EventCounts("tags"));
}

TEST_F(ShowStatsTest, StatsTableRanksByTotalWithASparkline) {
  testing::CommandResult r = Stats("--by mineral");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> lines;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_GE(lines.size(), 4u) << r.output;
  EXPECT_EQ(lines[0].rfind("events by mineral per day, ", 0), 0u) << r.output;
  EXPECT_EQ(lines[1].rfind("VALUE", 0), 0u) << r.output;
  EXPECT_EQ(lines[2].rfind("gallium ", 0), 0u) << "largest total first: " << r.output;
  // 30 empty days then today, the row's peak.
  std::string spark;
  for (int i = 0; i < 30; ++i) spark += "\u2581";
  spark += "\u2588";
  EXPECT_NE(lines[2].find("  2        " + spark), std::string::npos) << lines[2];
}

TEST_F(ShowStatsTest, StatsBadPeriodIsAOneLineErrorWithExit2) {
  testing::CommandResult r = Stats("--since 1d --until 2d");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_EQ(r.output.rfind("assay stats: --since:", 0), 0u) << r.output;
}

}  // namespace
}  // namespace assay
