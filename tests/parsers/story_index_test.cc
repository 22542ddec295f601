#include "parsers/story_index.h"

#include <gtest/gtest.h>

namespace assay::parsers {
namespace {

using namespace std::chrono_literals;

const UnixSeconds kT0{1'790'000'000s};

StorySignature Sig(const char* title, const char* summary) {
  return ComputeStorySignature(title, summary);
}

const char* kTitleA = "Glencore halts Mutanda cobalt mine in Congo after landslide";
const char* kSumA =
    "Glencore suspended output at its Mutanda copper-cobalt mine in Lualaba province on Tuesday "
    "after a landslide killed three workers, the company said.";
const char* kTitleA2 = "Landslide forces Glencore to suspend Mutanda cobalt output";
const char* kSumA2 =
    "Output at Glencore's Mutanda mine in Congo's Lualaba province was suspended on Tuesday after "
    "a landslide that killed three workers.";
const char* kTitleB = "Chile's Codelco raises copper output forecast at El Teniente";
const char* kSumB =
    "Codelco expects El Teniente to produce 420,000 tonnes of copper this year as a new smelter "
    "line comes online, chairman Maximo Pacheco said.";

TEST(StoryIndexTest, ARewordedReportJoinsTheEarlierStory) {
  StoryIndex index;
  index.Add("u:a", "u:a", Sig(kTitleA, kSumA), kT0);
  index.Add("u:b", "u:b", Sig(kTitleB, kSumB), kT0);
  EXPECT_EQ(index.Find(Sig(kTitleA2, kSumA2)), "u:a");
  EXPECT_EQ(index.Find(Sig(kTitleA, kSumA)), "u:a") << "a verbatim copy";
  EXPECT_EQ(index.Find(Sig("Gallium prices rise in Rotterdam", "Traders cited thin supply.")),
            std::nullopt);
}

TEST(StoryIndexTest, JoinsTheStoryNotTheArticle) {
  StoryIndex index;
  index.Add("u:a", "s:first", Sig(kTitleA, kSumA), kT0);
  EXPECT_EQ(index.Find(Sig(kTitleA2, kSumA2)), "s:first");
}

TEST(StoryIndexTest, EntriesOlderThanTheWindowExpire) {
  StoryIndex index(48h);
  index.Add("u:a", "u:a", Sig(kTitleA, kSumA), kT0);
  index.Add("u:b", "u:b", Sig(kTitleB, kSumB), kT0 + 24h);
  index.Expire(kT0 + 47h);
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.Find(Sig(kTitleA2, kSumA2)), "u:a");
  index.Expire(kT0 + 49h);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.Find(Sig(kTitleA2, kSumA2)), std::nullopt);
  EXPECT_EQ(index.Find(Sig(kTitleB, kSumB)), "u:b");
}

TEST(StoryIndexTest, AddingAnArticleAgainReplacesItsEntry) {
  StoryIndex index;
  index.Add("u:a", "u:a", Sig(kTitleA, kSumA), kT0);
  index.Add("u:a", "u:a", Sig(kTitleB, kSumB), kT0 + 1h);  // edited into another story
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.Find(Sig(kTitleA2, kSumA2)), std::nullopt);
  EXPECT_EQ(index.Find(Sig(kTitleB, kSumB)), "u:a");
}

TEST(StoryIndexTest, TiesGoToTheEarliestEntry) {
  StoryIndex index;
  index.Add("u:1", "s:1", Sig(kTitleA, kSumA), kT0);
  index.Add("u:2", "s:2", Sig(kTitleA, kSumA), kT0 + 1h);
  EXPECT_EQ(index.Find(Sig(kTitleA, kSumA)), "s:1");
}

TEST(StoryIndexTest, ManyUnrelatedEntriesStayBounded) {
  StoryIndex index(24h);
  for (int i = 0; i < 5000; ++i) {
    const std::string t = "Item " + std::to_string(i) + " Zorblat" + std::to_string(i % 97);
    index.Add("u:" + std::to_string(i), "u:" + std::to_string(i), Sig(t.c_str(), ""),
              kT0 + std::chrono::seconds(i * 60));
  }
  index.Expire(kT0 + std::chrono::seconds(5000 * 60));
  EXPECT_LE(index.size(), 24u * 60 + 1);
  EXPECT_GE(index.size(), 24u * 60 - 1);
}

}  // namespace
}  // namespace assay::parsers
