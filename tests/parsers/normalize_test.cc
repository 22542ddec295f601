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

}  // namespace
}  // namespace assay::parsers
