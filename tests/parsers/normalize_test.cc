// Tests parsers/normalize.h: identity, dedup within a document, hashes and
// the near-duplicate fingerprint.
#include "parsers/normalize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace assay::parsers {
namespace {

const UnixSeconds kFetched{std::chrono::seconds(1'700'000'000)};

Entry MakeEntry(std::optional<std::string> link, std::optional<std::string> id,
                std::string title) {
  Entry e;
  e.link = std::move(link);
  e.id = std::move(id);
  e.title = std::move(title);
  return e;
}

TEST(NormaliseTest, IdentityPrefersCanonicalLinkThenGuidThenHash) {
  Feed feed;
  feed.entries.push_back(MakeEntry("HTTP://Example.com/a?utm_source=x#top", "g1", "A"));
  feed.entries.push_back(MakeEntry(std::nullopt, "g2", "B"));
  feed.entries.push_back(MakeEntry(std::nullopt, std::nullopt, "C"));
  std::vector<Article> a = Normalise(feed, "https://feed.example/rss", kFetched);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].id, "u:http://example.com/a");
  EXPECT_EQ(a[0].link, "http://example.com/a");
  EXPECT_EQ(a[0].guid, "g1");
  EXPECT_EQ(a[1].id, "g:g2");
  EXPECT_TRUE(a[2].id.starts_with("h:"));
  EXPECT_EQ(a[2].id.size(), 18u);
  for (const Article& x : a) {
    EXPECT_EQ(x.feed_url, "https://feed.example/rss");
    EXPECT_EQ(x.fetched, kFetched);
  }
}

TEST(NormaliseTest, HashIdentityDependsOnFeedAndText) {
  Feed feed;
  feed.entries.push_back(MakeEntry(std::nullopt, std::nullopt, "Same"));
  auto a = Normalise(feed, "https://one.example/", kFetched);
  auto b = Normalise(feed, "https://two.example/", kFetched);
  auto c = Normalise(feed, "https://one.example/", kFetched);
  EXPECT_NE(a[0].id, b[0].id);
  EXPECT_EQ(a[0].id, c[0].id);
}

TEST(NormaliseTest, MergesDuplicatesWithinADocumentFirstWins) {
  Feed feed;
  feed.entries.push_back(MakeEntry("http://example.com/x?utm_medium=a", "1", "first"));
  feed.entries.push_back(MakeEntry("http://EXAMPLE.com:80/x#frag", "2", "second"));
  feed.entries.push_back(MakeEntry(std::nullopt, "g", "third"));
  feed.entries.push_back(MakeEntry(std::nullopt, "g", "fourth"));
  auto a = Normalise(feed, "f", kFetched);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].title, "first");
  EXPECT_EQ(a[1].title, "third");
}

TEST(NormaliseTest, ContentHashChangesWithAnyField) {
  uint64_t base = ContentHash("t", "s", "c");
  EXPECT_EQ(base, ContentHash("t", "s", "c"));
  EXPECT_NE(base, ContentHash("t2", "s", "c"));
  EXPECT_NE(base, ContentHash("t", "s2", "c"));
  EXPECT_NE(base, ContentHash("t", "s", "c2"));
  // Field boundaries matter.
  EXPECT_NE(ContentHash("ab", "", ""), ContentHash("a", "b", ""));
}

TEST(SimHashTest, IgnoresCasePunctuationAndStopwords) {
  EXPECT_EQ(SimHash("China restricts gallium exports"),
            SimHash("CHINA restricts, gallium exports!"));
  EXPECT_EQ(SimHash("China restricts the gallium exports"),
            SimHash("China restricts gallium exports"));
}

TEST(SimHashTest, RewordedCopyIsCloserThanUnrelatedStory) {
  uint64_t a = SimHash(
      "Indonesia to ban nickel ore exports from January, president says. The "
      "government will halt shipments of unprocessed nickel ore to push "
      "investment in domestic smelters.");
  uint64_t b = SimHash(
      "Indonesia will ban nickel ore exports from January, says president. "
      "Shipments of unprocessed nickel ore will be halted to push investment "
      "in domestic smelting.");
  uint64_t c = SimHash(
      "Central bank holds interest rates steady as inflation cools. Policy "
      "makers kept the benchmark rate unchanged and signalled patience.");
  EXPECT_LT(HammingDistance(a, b), HammingDistance(a, c));
  EXPECT_LE(HammingDistance(a, b), 16);
  EXPECT_GE(HammingDistance(a, c), 20);
}

// Same-story pairs of the shared news corpus (items sharing `story`) against
// every pair of different stories. Prints the distributions; asserts only
// that syndicated copies are, on the whole, clearly closer.
TEST(SimHashTest, CorpusSyndicatedPairsAreCloserThanUnrelatedPairs) {
  std::filesystem::path path =
      std::filesystem::path(ASSAY_SHARED_DIR) / "corpus" / "news" / "dev.jsonl";
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "shared corpus not found at " << path;
  }
  std::ifstream in(path);
  struct Item {
    std::string story;
    uint64_t hash;
  };
  std::vector<Item> items;
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    std::string story = j.value("story", nlohmann::json()).is_string()
                            ? j["story"].get<std::string>()
                            : "";
    std::string text = j.value("title", "") + " " + j.value("summary", "");
    items.push_back({story, SimHash(text)});
  }
  std::vector<int> same, other;
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t k = i + 1; k < items.size(); ++k) {
      int d = HammingDistance(items[i].hash, items[k].hash);
      if (!items[i].story.empty() && items[i].story == items[k].story) {
        same.push_back(d);
      } else {
        other.push_back(d);
      }
    }
  }
  ASSERT_FALSE(same.empty());
  std::sort(same.begin(), same.end());
  std::sort(other.begin(), other.end());
  auto mean = [](const std::vector<int>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  };
  auto pct = [](const std::vector<int>& v, double p) {
    return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
  };
  std::printf("same-story pairs: n=%zu mean=%.1f min=%d median=%d max=%d\n",
              same.size(), mean(same), same.front(), pct(same, 0.5), same.back());
  std::printf("unrelated pairs: n=%zu mean=%.1f min=%d p1=%d median=%d\n",
              other.size(), mean(other), other.front(), pct(other, 0.01),
              pct(other, 0.5));
  for (int threshold : {12, 16, 20}) {
    auto below = [&](const std::vector<int>& v) {
      return static_cast<long>(
          std::count_if(v.begin(), v.end(), [&](int d) { return d <= threshold; }));
    };
    std::printf("at distance <= %d: %ld/%zu same-story, %ld/%zu unrelated\n",
                threshold, below(same), same.size(), below(other), other.size());
  }
  EXPECT_LT(mean(same) + 8.0, mean(other));
  EXPECT_LT(pct(same, 0.5), pct(other, 0.01));
}

}  // namespace
}  // namespace assay::parsers
