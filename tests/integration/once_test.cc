// assayd --once, as a user runs it, over the news corpus served on
// 127.0.0.1: every distinct item stored once; a second run stores nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <set>

#include "storage/store.h"
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

namespace fs = std::filesystem;

const std::string kFeedsDir = std::string(ASSAY_SHARED_DIR) + "/corpus/news/feeds";


// Distinct <guid>s over every file: the number of distinct items.
size_t DistinctItems(const std::vector<std::string>& files) {
  std::set<std::string> guids;
  const std::regex guid("<guid[^>]*>([^<]+)</guid>");
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::sregex_iterator it(text.begin(), text.end(), guid), end; it != end; ++it) {
      guids.insert((*it)[1]);
    }
  }
  return guids.size();
}

size_t NewArticles(const std::string& summary) {
  std::smatch m;
  if (!std::regex_search(summary, m, std::regex("articles: (\\d+) new"))) return SIZE_MAX;
  return std::stoul(m[1]);
}

TEST(OnceTest, CorpusIsStoredOnceAndASecondRunAddsNothing) {
  if (!fs::is_directory(kFeedsDir)) GTEST_SKIP() << kFeedsDir << " is absent (../shared not beside the checkout)";
  testing::TempDir dir;
  testing::FeedServer server(kFeedsDir);
  ASSERT_TRUE(server.ok());
  std::vector<std::string> files;
  std::ofstream cfg(dir / "assay.yaml");
  cfg << "store: {path: " << (dir / "store") << "}\nfetch: {allow_private_networks: true}\nfeeds:\n";
  for (const auto& e : fs::directory_iterator(kFeedsDir)) {
    if (e.path().extension() != ".xml") continue;
    files.push_back(e.path().string());
    cfg << "  - " << server.Url("/files/" + e.path().filename().string()) << "\n";
  }
  cfg.close();
  const size_t distinct = DistinctItems(files);
  ASSERT_GT(distinct, 200u);

  const std::string cmd = Assayd() + " --once --log-level error --config " + (dir / "assay.yaml") + " 2>&1";
  testing::CommandResult first = testing::RunCommand(cmd);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(NewArticles(first.output), distinct) << first.output;
  EXPECT_NE(first.output.find(std::to_string(files.size()) + " ok, 0 not modified, 0 failed"),
            std::string::npos)
      << first.output;

  testing::CommandResult second = testing::RunCommand(cmd);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(NewArticles(second.output), 0u) << second.output;
  EXPECT_NE(second.output.find("0 ok, " + std::to_string(files.size()) + " not modified"), std::string::npos)
      << second.output;

  auto store = storage::Store::Open(dir / "store", {.create_if_missing = false});
  ASSERT_TRUE(store) << store.error().ToString();
  EXPECT_EQ((*store)->Counts().articles, distinct);
  EXPECT_EQ((*store)->Counts().feeds, files.size());

  // One event per tagged item, with the tags `assay tag` gives that item.
  const std::string dev = std::string(ASSAY_SHARED_DIR) + "/corpus/news/dev.jsonl";
  testing::CommandResult tagged = testing::RunCommand(Assay() + " tag --jsonl --no-spans < " + dev);
  ASSERT_EQ(tagged.exit_code, 0) << tagged.output.substr(0, 2000);
  std::map<std::string, std::vector<std::string>> expected;  // item id -> tags
  std::istringstream lines(tagged.output);
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json j = nlohmann::json::parse(line);
    std::vector<std::string> tags = j["tags"].get<std::vector<std::string>>();
    if (!tags.empty()) expected[j["id"].get<std::string>()] = tags;
  }
  ASSERT_GT(expected.size(), 100u);
  storage::EventQuery all;
  all.limit = 0;
  auto events = (*store)->Events(all);
  ASSERT_TRUE(events) << events.error().ToString();
  std::map<std::string, std::vector<std::string>> got;
  const std::regex item_id("/(n\\d+)$");
  for (const Event& e : *events) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(e.article_id, m, item_id)) << e.article_id;
    EXPECT_TRUE(got.emplace(m[1], e.tags).second) << "two events for " << m[1];
  }
  EXPECT_EQ((*store)->Counts().events, events->size());
  EXPECT_EQ(got, expected);

  // Stories: the corpus pairs reports of one event by two outlets, reworded
  // (`story`). Most pairs must share a story id, and unrelated items must
  // almost never be merged.
  std::map<std::string, std::string> gold_story;  // item id -> gold story
  std::ifstream dev_in(dev);
  for (std::string line; std::getline(dev_in, line);) {
    nlohmann::json j = nlohmann::json::parse(line);
    if (!j["story"].is_null()) gold_story[j["id"].get<std::string>()] = j["story"].get<std::string>();
  }
  std::map<std::string, std::vector<std::string>> by_story_id;  // story id -> item ids
  std::map<std::string, std::string> story_of_item;
  const std::regex link_item("^u:https://news\\.example/.*/(n\\d+)$");
  auto scan = (*store)->ScanStories(UnixSeconds(std::chrono::seconds(0)), [&](storage::Store::StoryEntry e) {
    std::smatch m;
    if (!std::regex_search(e.article_id, m, link_item)) return;
    story_of_item[m[1]] = e.story_id;
    by_story_id[e.story_id].push_back(m[1]);
  });
  ASSERT_TRUE(scan.ok()) << scan.ToString();
  ASSERT_EQ(story_of_item.size(), distinct);
  std::map<std::string, std::vector<std::string>> gold_pairs;
  for (const auto& [item, story] : gold_story) gold_pairs[story].push_back(item);
  size_t joined = 0;
  for (const auto& [story, items] : gold_pairs) {
    ASSERT_EQ(items.size(), 2u) << story;
    joined += story_of_item[items[0]] == story_of_item[items[1]];
  }
  size_t false_merges = 0;
  for (const auto& [story_id, items] : by_story_id) {
    for (size_t i = 0; i < items.size(); ++i) {
      for (size_t k = i + 1; k < items.size(); ++k) {
        const auto a = gold_story.find(items[i]), b = gold_story.find(items[k]);
        false_merges += a == gold_story.end() || b == gold_story.end() || a->second != b->second;
      }
    }
  }
  std::printf("stories: %zu of %zu corpus pairs joined, %zu unrelated pairs merged\n", joined,
              gold_pairs.size(), false_merges);
  EXPECT_GE(joined, 9u) << "of " << gold_pairs.size();
  EXPECT_LE(false_merges, 2u);
}

TEST(OnceTest, InvalidConfigExitsNonZeroWithFileLineAndWritesNothing) {
  testing::TempDir dir;
  std::ofstream(dir / "bad.yaml") << "store: {path: " << (dir / "store") << "}\nfeeds:\n  - url: gopher://x.example/\n";
  testing::CommandResult r = testing::RunCommand(Assayd() + " --once --config " + (dir / "bad.yaml") + " 2>&1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(dir / "bad.yaml:3:10: 'feeds[0].url': bad URL"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "store"));
}

TEST(OnceTest, FeedsCommandShowsStateReadOnly) {
  testing::TempDir dir;
  testing::FeedServer server;
  ASSERT_TRUE(server.ok());
  std::ofstream(dir / "assay.yaml") << "store: {path: " << (dir / "store") << "}\n"
                                    << "fetch: {allow_private_networks: true}\nfeeds:\n"
                                    << "  - " << server.Url("/feed.xml?items=2") << "\n"
                                    << "  - " << server.Url("/status/404") << "\n";
  testing::CommandResult once =
      testing::RunCommand(Assayd() + " --once --log-level error --config " + (dir / "assay.yaml") + " 2>&1");
  ASSERT_EQ(once.exit_code, 0) << once.output;
  testing::CommandResult feeds =
      testing::RunCommand(Assay() + " feeds --format json --config " + (dir / "assay.yaml") + " 2>&1");
  ASSERT_EQ(feeds.exit_code, 0) << feeds.output;
  EXPECT_NE(feeds.output.find("\"status\": \"ok\""), std::string::npos) << feeds.output;
  EXPECT_NE(feeds.output.find("\"last_error\": \"HTTP 404 Not Found\""), std::string::npos) << feeds.output;
  EXPECT_NE(feeds.output.find("\"articles\": 2"), std::string::npos) << feeds.output;
  testing::CommandResult missing = testing::RunCommand(Assay() + " feeds --store " + (dir / "nope") + " 2>&1");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find(dir / "nope"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace assay

namespace assay {
namespace {

TEST(OnceTest, LogsCarryJournalPrioritiesUnderSystemd) {
  testing::TempDir dir;
  testing::FeedServer server;
  ASSERT_TRUE(server.ok());
  std::ofstream(dir / "assay.yaml") << "store: {path: " << (dir / "store") << "}\n"
                                    << "fetch: {allow_private_networks: true}\n"
                                    << "logging: {level: info}\nfeeds:\n"
                                    << "  - " << server.Url("/feed.xml?items=1") << "\n"
                                    << "  - " << server.Url("/status/500") << "\n";
  const std::string cmd = Assayd() + " --once --config " + (dir / "assay.yaml");
  testing::CommandResult journal = testing::RunCommand("JOURNAL_STREAM=8:1 " + cmd + " 2>&1 >/dev/null");
  ASSERT_EQ(journal.exit_code, 0) << journal.output;
  std::istringstream lines(journal.output);
  bool saw_info = false, saw_warning = false;
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(line.starts_with("<")) << "no priority prefix: " << line;
    saw_info |= line.starts_with("<6>feed=");
    saw_warning |= line.starts_with("<4>feed=") && line.find("error=\"HTTP 500") != std::string::npos;
  }
  EXPECT_TRUE(saw_info && saw_warning) << journal.output;
  testing::CommandResult plain = testing::RunCommand(cmd + " 2>&1 >/dev/null");
  EXPECT_EQ(plain.output.find("<6>"), std::string::npos) << plain.output;
  EXPECT_NE(plain.output.find(" info "), std::string::npos) << plain.output;
}

}  // namespace
}  // namespace assay
