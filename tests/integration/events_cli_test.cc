// assay events over a store written by assayd --once from feeds served on
// 127.0.0.1: filters select exactly the matching events, and every format
// prints them whole (CSV quoting, JSON validity).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
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
const char kMercosur[] = "https://news.example/mercosur";
const char kBakery[] = "https://news.example/bakery";
const char kGraphite[] = "https://news.example/graphite";

// One store for every test: written once by assayd --once.
class EventsCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const std::string feeds = *dir_ / "feeds";
    std::filesystem::create_directories(feeds);
    WriteRssFeed(feeds + "/minerals.xml", "Minerals Desk",
              RssItem(kGallium, "China tightens &quot;export controls&quot; on gallium, germanium",
                   "Beijing announced export licence requirements for gallium, effective "
                   "immediately.") +
                  RssItem(kBakery, "Local bakery wins award again", "A bakery in town won a prize."));
    WriteRssFeed(feeds + "/trade.xml", "Trade Wire",
              RssItem(kMercosur, "EU and Mercosur sign trade agreement covering lithium",
                   "The European Union and Mercosur concluded a free trade agreement, with "
                   "tariff cuts on lithium from Chile and Argentina.") +
                  RssItem(kGraphite, "US imposes tariffs on Chinese graphite anodes",
                       "The United States announced tariffs on graphite imports from China."));
    server_ = new testing::FeedServer(feeds);
    ASSERT_TRUE(server_->ok());
    minerals_url_ = server_->Url("/files/minerals.xml");
    trade_url_ = server_->Url("/files/trade.xml");
    std::ofstream cfg(*dir_ / "assay.yaml");
    cfg << "store: {path: " << (*dir_ / "store") << "}\n"
        << "fetch: {allow_private_networks: true}\nfeeds:\n"
        << "  - url: " << minerals_url_ << "\n    name: Minerals, Metals & \"Mining\"\n"
        << "  - url: " << trade_url_ << "\n";
    cfg.close();
    testing::CommandResult run = testing::RunCommand(
        Assayd() + " --once --log-level error --config " + (*dir_ / "assay.yaml") + " 2>&1");
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static testing::CommandResult Events(const std::string& args) {
    return testing::RunCommand(Assay() + " events --store " + (*dir_ / "store") + " " + args +
                               " 2>&1");
  }

  // The ids printed by `assay events --format ndjson <args>`, in order.
  static std::vector<std::string> Ids(const std::string& args) {
    testing::CommandResult r = Events("--format ndjson " + args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::vector<std::string> out;
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);) {
      out.push_back(nlohmann::json::parse(line).at("id").get<std::string>());
    }
    return out;
  }
  static std::set<std::string> IdSet(const std::string& args) {
    std::vector<std::string> ids = Ids(args);
    return {ids.begin(), ids.end()};
  }

  static testing::TempDir* dir_;
  static testing::FeedServer* server_;
  static std::string minerals_url_;
  static std::string trade_url_;
};
testing::TempDir* EventsCliTest::dir_ = nullptr;
testing::FeedServer* EventsCliTest::server_ = nullptr;
std::string EventsCliTest::minerals_url_;
std::string EventsCliTest::trade_url_;

std::string U(const char* link) { return std::string("u:") + link; }

TEST_F(EventsCliTest, FiltersSelectExactlyTheMatchingEvents) {
  using Set = std::set<std::string>;
  EXPECT_EQ(IdSet(""), (Set{U(kGallium), U(kMercosur), U(kGraphite)}));
  EXPECT_EQ(IdSet("--tag export_controls"), (Set{U(kGallium)}));
  EXPECT_EQ(IdSet("--tag critical_minerals --tag trade_bloc"), (Set{U(kMercosur)}));
  EXPECT_EQ(IdSet("--any-tag export_controls --any-tag trade_bloc"),
            (Set{U(kGallium), U(kMercosur)}));
  EXPECT_EQ(IdSet("--mineral gallium"), (Set{U(kGallium)}));
  EXPECT_EQ(IdSet("--country CN"), (Set{U(kGallium), U(kGraphite)}));
  EXPECT_EQ(IdSet("--country CN --country US"), (Set{U(kGraphite)}));
  EXPECT_EQ(IdSet("--bloc MERCOSUR"), (Set{U(kMercosur)}));
  EXPECT_EQ(IdSet("--feed " + trade_url_), (Set{U(kMercosur), U(kGraphite)}));
  EXPECT_EQ(IdSet("--story " + U(kGraphite)), (Set{U(kGraphite)}));
  EXPECT_EQ(IdSet("--min-severity high"), (Set{U(kGallium), U(kMercosur)}));
  EXPECT_EQ(IdSet("--min-severity critical"), (Set{U(kGallium)}));
  EXPECT_EQ(IdSet("--min-score 4"), (Set{U(kGallium), U(kMercosur)}));
  EXPECT_EQ(IdSet("--since 1h"), (Set{U(kGallium), U(kMercosur), U(kGraphite)}));
  EXPECT_EQ(IdSet("--until 1h"), Set{});
  EXPECT_EQ(IdSet("--since 2030-01-01T00:00:00Z"), Set{});
  EXPECT_EQ(IdSet("--until 2030-01-01T00:00:00Z --feed " + minerals_url_), (Set{U(kGallium)}));
}

TEST_F(EventsCliTest, OrderAndLimit) {
  std::vector<std::string> newest = Ids("");
  std::vector<std::string> oldest = Ids("--oldest-first");
  ASSERT_EQ(newest.size(), 3u);
  std::reverse(oldest.begin(), oldest.end());
  EXPECT_EQ(newest, oldest);
  EXPECT_EQ(Ids("--limit 2"), std::vector<std::string>(newest.begin(), newest.begin() + 2));
  EXPECT_EQ(Ids("--limit 0").size(), 3u);
}

TEST_F(EventsCliTest, JsonIsOneArrayOfWholeEvents) {
  testing::CommandResult r = Events("--format json --mineral gallium");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(r.output);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  const nlohmann::json& e = j[0];
  EXPECT_EQ(e.at("id"), U(kGallium));
  EXPECT_EQ(e.at("feed"), minerals_url_);
  EXPECT_EQ(e.at("source"), "Minerals, Metals & \"Mining\"");
  EXPECT_EQ(e.at("title"), "China tightens \"export controls\" on gallium, germanium");
  EXPECT_EQ(e.at("link"), kGallium);
  EXPECT_EQ(e.at("tags"),
            (std::vector<std::string>{"critical_minerals", "export_controls", "supply_risk"}));
  EXPECT_EQ(e.at("minerals"), (std::vector<std::string>{"gallium", "germanium"}));
  EXPECT_EQ(e.at("countries"), std::vector<std::string>{"CN"});
  EXPECT_EQ(e.at("blocs"), std::vector<std::string>{});
  EXPECT_EQ(e.at("severity"), "critical");
  EXPECT_EQ(e.at("story"), U(kGallium));
  EXPECT_TRUE(e.at("score").is_number());
  const std::string time = e.at("time").get<std::string>();
  EXPECT_EQ(time.size(), 27u) << time;  // 2026-11-28T13:53:18.123456Z
  EXPECT_EQ(time.back(), 'Z');

  testing::CommandResult none = Events("--format json --tag nothing_has_this");
  ASSERT_EQ(none.exit_code, 0) << none.output;
  EXPECT_EQ(nlohmann::json::parse(none.output), nlohmann::json::array());
}

TEST_F(EventsCliTest, SourceIsTheFeedTitleWhenTheFeedHasNoName) {
  testing::CommandResult r = Events("--format ndjson --mineral graphite");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output).at("source"), "Trade Wire");
}

TEST_F(EventsCliTest, CsvQuotesPerRfc4180WithAHeaderAndCrlf) {
  testing::CommandResult r = Events("--format csv --feed " + minerals_url_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string header =
      "id,time,feed,source,title,link,tags,minerals,countries,blocs,score,severity,story\r\n";
  ASSERT_EQ(r.output.substr(0, header.size()), header);
  const std::string row = r.output.substr(header.size());
  ASSERT_GE(row.size(), 2u);
  EXPECT_EQ(row.substr(row.size() - 2), "\r\n");
  EXPECT_EQ(row.find("\r\n"), row.size() - 2) << "one row";
  EXPECT_EQ(row.substr(0, U(kGallium).size() + 1), U(kGallium) + ",");
  EXPECT_NE(row.find(",\"Minerals, Metals & \"\"Mining\"\"\","), std::string::npos) << row;
  EXPECT_NE(row.find(",\"China tightens \"\"export controls\"\" on gallium, germanium\","),
            std::string::npos)
      << row;
  EXPECT_NE(row.find(",critical_minerals;export_controls;supply_risk,gallium;germanium,CN,,"),
            std::string::npos)
      << row;
  EXPECT_NE(row.find(",critical," + U(kGallium) + "\r\n"), std::string::npos) << row;
}

TEST_F(EventsCliTest, TableHasAHeaderAndOneAlignedLinePerEvent) {
  testing::CommandResult r = Events("--format table");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> lines;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << r.output;
  EXPECT_EQ(lines[0].rfind("TIME", 0), 0u);
  EXPECT_EQ(r.output.find('\x1b'), std::string::npos) << "no colour into a pipe";
  const size_t title_col = lines[0].find("TITLE");
  ASSERT_NE(title_col, std::string::npos);
  bool found = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].find("US imposes tariffs") != std::string::npos) {
      EXPECT_EQ(lines[i].find("US imposes tariffs"), title_col) << lines[i];
      found = true;
    }
  }
  EXPECT_TRUE(found) << r.output;
}

TEST_F(EventsCliTest, BadFlagValuesAreOneLineErrorsNamingTheFlagWithExit2) {
  struct Case {
    std::string args;
    std::string flag;
  };
  for (const Case& c : std::vector<Case>{{"--min-severity severe", "--min-severity"},
                                         {"--since yesterday", "--since"},
                                         {"--until 5x", "--until"},
                                         {"--limit -1", "--limit"},
                                         {"--limit ten", "--limit"},
                                         {"--min-score high", "--min-score"}}) {
    testing::CommandResult r = Events(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << c.args << ": " << r.output;
    EXPECT_EQ(r.output.rfind("assay events: " + c.flag + ":", 0), 0u) << r.output;
  }
}

TEST_F(EventsCliTest, AMissingStoreIsAOneLineErrorWithExit2) {
  testing::CommandResult r = testing::RunCommand(Assay() + " events --store " +
                                                 (*dir_ / "no-such-store") + " 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find("no-such-store"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace assay
