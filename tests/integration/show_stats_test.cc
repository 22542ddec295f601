// assay show over a store written by assayd --once from feeds served on
// 127.0.0.1: it prints an article whole with its matches in context and the
// other sources of its story.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/feed_server.h"
#include "tests/testing/run_command.h"
#include "tests/testing/temp_dir.h"

namespace assay {
namespace {

std::string Assayd() { return std::string(ASSAY_BINARY_DIR) + "/daemon/assayd"; }
std::string Assay() { return std::string(ASSAY_BINARY_DIR) + "/cli/assay"; }

const char kGallium[] = "https://news.example/gallium";
const char kGalliumCopy[] = "https://wire.example/gallium-copy";
const char kBakery[] = "https://news.example/bakery";
const char kGraphite[] = "https://news.example/graphite";

const char kGalliumTitle[] = "China tightens export controls on gallium, germanium";
const char kGalliumSummary[] =
    "Beijing announced export licence requirements for gallium, effective immediately.";

std::string Item(const std::string& link, const std::string& title, const std::string& summary) {
  return "<item><title>" + title + "</title><link>" + link + "</link><guid>" + link +
         "</guid><description>" + summary + "</description>"
         "<pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate></item>\n";
}

void WriteFeed(const std::string& path, const std::string& title, const std::string& items) {
  std::ofstream out(path);
  out << "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>" << title
      << "</title><link>https://news.example/</link><description>d</description>\n"
      << items << "</channel></rss>\n";
}

std::string U(const char* link) { return std::string("u:") + link; }

// One store for every test: written once by assayd --once. The wire feed
// carries a verbatim copy of the gallium story under another link.
class ShowStatsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const std::string feeds = *dir_ / "feeds";
    std::filesystem::create_directories(feeds);
    WriteFeed(feeds + "/minerals.xml", "Minerals Desk",
              Item(kGallium, kGalliumTitle, kGalliumSummary) +
                  Item(kBakery, "Local bakery wins award again", "A bakery in town won a prize."));
    WriteFeed(feeds + "/wire.xml", "Trade Wire",
              Item(kGalliumCopy, kGalliumTitle, kGalliumSummary) +
                  Item(kGraphite, "US imposes tariffs on Chinese graphite anodes",
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

}  // namespace
}  // namespace assay
