// Tests parsers/story.h: which articles report the same story.
#include "parsers/story.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace assay::parsers {
namespace {

struct Text {
  std::string title;
  std::string summary;
};

double Similarity(const Text& a, const Text& b) {
  return StorySimilarity(ComputeStorySignature(a.title, a.summary),
                         ComputeStorySignature(b.title, b.summary));
}

const Text kCobaltFreeze = {
    "Congo suspends cobalt exports for four months to curb glut",
    "The Democratic Republic of Congo halted cobalt exports for four months, "
    "its strategic minerals regulator ARECOMS said, seeking to lift prices "
    "that have sunk to nine-year lows. The country mines roughly "
    "three-quarters of the world's cobalt, most of which is refined in "
    "China."};

struct PairCase {
  const char* name;
  Text a;
  Text b;
  bool same_story;
};

class StoryPairTest : public testing::TestWithParam<PairCase> {};

TEST_P(StoryPairTest, MatchesExactlyTheSameStory) {
  const PairCase& c = GetParam();
  const double s = Similarity(c.a, c.b);
  if (c.same_story) {
    EXPECT_GE(s, kStoryMatchThreshold) << c.a.title << " | " << c.b.title;
  } else {
    EXPECT_LT(s, kStoryMatchThreshold) << c.a.title << " | " << c.b.title;
  }
  // Symmetric.
  EXPECT_DOUBLE_EQ(s, Similarity(c.b, c.a));
}

INSTANTIATE_TEST_SUITE_P(
    Pairs, StoryPairTest,
    testing::Values(
        PairCase{"VerbatimCopy", kCobaltFreeze, kCobaltFreeze, true},
        PairCase{"TitleCaseAndOutletSuffix",
                 kCobaltFreeze,
                 {"Congo Suspends Cobalt Exports For Four Months To Curb Glut "
                  "- Reuters",
                  kCobaltFreeze.summary},
                 true},
        PairCase{"AllCapsTitle",
                 kCobaltFreeze,
                 {"CONGO SUSPENDS COBALT EXPORTS FOR FOUR MONTHS TO CURB GLUT",
                  kCobaltFreeze.summary},
                 true},
        PairCase{"LightEdits",
                 kCobaltFreeze,
                 {"Congo suspends cobalt exports for 4 months to curb a glut",
                  "The Democratic Republic of the Congo has halted cobalt "
                  "exports for four months, its minerals regulator ARECOMS "
                  "said on Saturday, seeking to lift prices that sank to "
                  "nine-year lows. The country mines about three-quarters of "
                  "the world\xE2\x80\x99s cobalt."},
                 true},
        PairCase{"SummaryOnlyCopyOfTitleAndSummary",
                 kCobaltFreeze,
                 {"", kCobaltFreeze.title + ". " + kCobaltFreeze.summary},
                 true},
        PairCase{"RewordedWithSameEntitiesAndNumbers",
                 {"US adds 140 entities to trade blacklist in chip crackdown",
                  "The Commerce Department placed 140 companies, including "
                  "Chinese chip toolmakers Naura and Piotech, on its Entity "
                  "List and restricted exports of high-bandwidth memory."},
                 {"New US rules hit HBM and 140 Chinese firms",
                  "The Bureau of Industry and Security's latest package adds "
                  "140 entities to the Entity List, including tool makers "
                  "such as Naura and Piotech, and bans shipments of HBM to "
                  "China."},
                 true},
        PairCase{"RewordedWithNamesAndPlaces",
                 {"Hurricane Milton makes landfall in Florida",
                  "The storm came ashore near Siesta Key with winds of 120 "
                  "mph, spawning tornadoes and knocking out power to two "
                  "million customers in Florida."},
                 {"Milton slams Florida's Gulf Coast",
                  "Hurricane Milton hit land south of Tampa Bay near Siesta "
                  "Key, bringing 120 mph winds and tornadoes to Florida."},
                 true},
        PairCase{"UnrelatedItemsSharingCommonWords",
                 {"Government announces new plan to support local industry",
                  "Officials said on Monday the government would support "
                  "local industry with a new plan, the minister said."},
                 {"Minister says government plan will support industry",
                  "The minister said the new government plan would support "
                  "industry and workers across the country, officials said."},
                 false},
        PairCase{"DifferentEventsSameMineralAndCountry",
                 kCobaltFreeze,
                 {"Congo to replace cobalt export ban with quotas from October",
                  "The DRC will lift its export suspension on Oct. 16 and cap "
                  "shipments at 18,125 tonnes for the rest of 2025, well "
                  "below last year's exports, the regulator said."},
                 false},
        PairCase{"DifferentEventsSameMetalsAndCountries",
                 {"China to require export licences for gallium and germanium",
                  "Exporters of eight gallium products and six germanium "
                  "products will need licences from Aug. 1, China's commerce "
                  "ministry said, citing national security."},
                 {"Germany receives first gallium shipments under new regime",
                  "Chinese producers shipped gallium and germanium to "
                  "customers in Germany and the Netherlands in September "
                  "after authorities cleared a backlog of applications."},
                 false},
        PairCase{"ShortTitleDoesNotMatchEveryArticleWithItsWords",
                 {"Cobalt", ""}, kCobaltFreeze, false},
        PairCase{"ShortTitleCopyMatches",
                 {"Cobalt prices jump", ""},
                 {"Cobalt Prices Jump - Mining.com", ""},
                 true},
        PairCase{"EmptyTextMatchesNothing", {"", ""}, {"", ""}, false},
        PairCase{"PunctuationOnlyMatchesNothing",
                 {"--- | ...", "!!"},
                 {"--- | ...", "!!"},
                 false}),
    [](const testing::TestParamInfo<PairCase>& param) {
      return std::string(param.param.name);
    });

TEST(StorySignatureTest, IsSortedUniqueAndBounded) {
  StorySignature sig =
      ComputeStorySignature(kCobaltFreeze.title, kCobaltFreeze.summary);
  ASSERT_FALSE(sig.terms.empty());
  EXPECT_LE(sig.terms.size(), kStorySignatureMaxTerms);
  ASSERT_EQ(sig.terms.size(), sig.weights.size());
  EXPECT_TRUE(std::is_sorted(sig.terms.begin(), sig.terms.end()));
  EXPECT_EQ(std::adjacent_find(sig.terms.begin(), sig.terms.end()),
            sig.terms.end());
  for (uint8_t w : sig.weights) {
    EXPECT_GE(w, 1);
    EXPECT_LE(w, kStoryMaxTermWeight);
  }
}

TEST(StorySignatureTest, EmptyTextGivesEmptySignature) {
  EXPECT_TRUE(ComputeStorySignature("", "").terms.empty());
  EXPECT_TRUE(ComputeStorySignature("the and of", "it was").terms.empty());
}

TEST(StorySignatureTest, NormalisesSpellingsOfTheSameThing) {
  struct Case {
    const char* a;
    const char* b;
  };
  const Case cases[] = {
      {"Shipments to the U.S. halted", "Shipments to the United States halted"},
      {"Dutch government acts", "The Netherlands government acts"},
      {"Quotas start in Oct. next year", "Quotas start in October next year"},
      {"Ban lasts four months", "Ban lasts 4 months"},
      {"Miners block exporters", "Miner blocks exporter"},
      {"Exports capped at 18,125 tonnes", "Exports capped at 18125 tonnes"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ComputeStorySignature("", c.a), ComputeStorySignature("", c.b))
        << c.a << " | " << c.b;
  }
}

TEST(StorySignatureTest, InvalidUtf8IsHarmless) {
  const std::string junk = "Caf\xC3 \xE2\x80 \xFF\xFE gallium \xE2";
  StorySignature sig = ComputeStorySignature(junk, junk);
  EXPECT_LE(sig.terms.size(), kStorySignatureMaxTerms);
}

TEST(StorySignatureTest, RandomBytesKeepTheInvariants) {
  std::mt19937 rng(20240601);
  // Bytes biased towards the ones the tokeniser treats specially.
  const std::string alphabet =
      "aZ9 .,'s\"-|:;\xC2\xA0\xE2\x80\x99\x9C\xFFU.S.";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> len(0, 300);
  for (int round = 0; round < 500; ++round) {
    std::string title, summary;
    for (int k = len(rng) / 4; k > 0; --k) title.push_back(alphabet[pick(rng)]);
    for (int k = len(rng); k > 0; --k) summary.push_back(alphabet[pick(rng)]);
    StorySignature sig = ComputeStorySignature(title, summary);
    ASSERT_EQ(sig.terms.size(), sig.weights.size());
    ASSERT_LE(sig.terms.size(), kStorySignatureMaxTerms);
    ASSERT_TRUE(std::is_sorted(sig.terms.begin(), sig.terms.end()));
    std::optional<StorySignature> back =
        DecodeStorySignature(EncodeStorySignature(sig));
    ASSERT_TRUE(back.has_value());
    ASSERT_EQ(*back, sig);
    const double self = StorySimilarity(sig, sig);
    ASSERT_EQ(self, sig.terms.empty() ? 0.0 : 1.0);
  }
}

TEST(StorySimilarityTest, IdenticalNonEmptySignaturesScoreOne) {
  StorySignature sig =
      ComputeStorySignature(kCobaltFreeze.title, kCobaltFreeze.summary);
  EXPECT_DOUBLE_EQ(StorySimilarity(sig, sig), 1.0);
  EXPECT_DOUBLE_EQ(StorySimilarity(sig, StorySignature{}), 0.0);
}

TEST(StoryIndexTermsTest, AreTheHeaviestTermsOfTheSignature) {
  StorySignature sig =
      ComputeStorySignature(kCobaltFreeze.title, kCobaltFreeze.summary);
  std::vector<uint32_t> index = StoryIndexTerms(sig);
  ASSERT_EQ(index.size(), std::min(kStoryIndexTermCount, sig.terms.size()));
  EXPECT_TRUE(std::is_sorted(index.begin(), index.end()));
  uint8_t lightest_indexed = kStoryMaxTermWeight;
  uint8_t heaviest_left_out = 0;
  for (std::size_t k = 0; k < sig.terms.size(); ++k) {
    bool indexed = std::binary_search(index.begin(), index.end(), sig.terms[k]);
    if (indexed) {
      lightest_indexed = std::min(lightest_indexed, sig.weights[k]);
    } else {
      heaviest_left_out = std::max(heaviest_left_out, sig.weights[k]);
    }
  }
  EXPECT_GE(lightest_indexed, heaviest_left_out);
}

TEST(StoryEncodingTest, RoundTrips) {
  const StorySignature sigs[] = {
      StorySignature{},
      ComputeStorySignature(kCobaltFreeze.title, kCobaltFreeze.summary),
      StorySignature{{0u, 7u, 0xFFFFFFFFu}, {1, 3, 5}},
  };
  for (const StorySignature& sig : sigs) {
    std::string bytes = EncodeStorySignature(sig);
    EXPECT_EQ(bytes.size(), 2 + 5 * sig.terms.size());
    std::optional<StorySignature> back = DecodeStorySignature(bytes);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, sig);
  }
}

TEST(StoryEncodingTest, RejectsGarbage) {
  const std::string good = EncodeStorySignature(
      StorySignature{{3u, 9u}, {2, 4}});
  std::string wrong_version = good;
  wrong_version[0] = 9;
  std::string unsorted = EncodeStorySignature(StorySignature{{3u, 9u}, {2, 4}});
  std::swap(unsorted[2], unsorted[7]);  // 9 before 3
  std::string zero_weight = good;
  zero_weight[6] = 0;
  std::string heavy = good;
  heavy[6] = static_cast<char>(kStoryMaxTermWeight + 1);
  std::string too_many(2 + 5 * 17, '\1');
  too_many[1] = 17;
  const std::string cases[] = {
      "",
      std::string(1, '\1'),
      wrong_version,
      good.substr(0, good.size() - 1),  // truncated
      good + "x",                       // trailing byte
      unsorted,
      zero_weight,
      heavy,
      too_many,
      "not a signature at all",
  };
  for (const std::string& bytes : cases) {
    EXPECT_FALSE(DecodeStorySignature(bytes).has_value())
        << testing::PrintToString(bytes);
  }
  // Every prefix and every single-byte corruption either decodes to a valid
  // signature or is rejected; none crashes.
  for (std::size_t len = 0; len <= good.size(); ++len) {
    std::optional<StorySignature> s = DecodeStorySignature(good.substr(0, len));
    EXPECT_EQ(s.has_value(), len == good.size());
  }
  for (std::size_t pos = 0; pos < good.size(); ++pos) {
    for (int v = 0; v < 256; ++v) {
      std::string bytes = good;
      bytes[pos] = static_cast<char>(v);
      std::optional<StorySignature> s = DecodeStorySignature(bytes);
      if (s) {
        EXPECT_TRUE(std::is_sorted(s->terms.begin(), s->terms.end()));
      }
    }
  }
}

// On the shared news corpus: every same-story pair shares an index term,
// at least 9 of the 13 match, and at most 1 of the ~35,000 other pairs
// matches (bench/story_eval prints the full figures).
TEST(StoryCorpusTest, DevCorpusPairs) {
  const std::filesystem::path path =
      std::filesystem::path(ASSAY_SHARED_DIR) / "corpus/news/dev.jsonl";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "no shared corpus at " << path;
  std::vector<std::string> stories;
  std::vector<StorySignature> sigs;
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    stories.push_back(j["story"].is_string() ? j["story"].get<std::string>()
                                             : std::string());
    sigs.push_back(ComputeStorySignature(j.value("title", ""),
                                         j.value("summary", "")));
  }
  int pairs = 0, matched = 0, indexed = 0, false_matches = 0;
  for (std::size_t a = 0; a < sigs.size(); ++a) {
    for (std::size_t b = a + 1; b < sigs.size(); ++b) {
      const bool match = StorySimilarity(sigs[a], sigs[b]) >= kStoryMatchThreshold;
      if (stories[a].empty() || stories[a] != stories[b]) {
        false_matches += match;
        continue;
      }
      ++pairs;
      matched += match;
      std::vector<uint32_t> ia = StoryIndexTerms(sigs[a]);
      std::vector<uint32_t> ib = StoryIndexTerms(sigs[b]);
      std::vector<uint32_t> common;
      std::set_intersection(ia.begin(), ia.end(), ib.begin(), ib.end(),
                            std::back_inserter(common));
      indexed += !common.empty();
    }
  }
  ASSERT_GT(pairs, 0);
  EXPECT_EQ(indexed, pairs);
  EXPECT_GE(matched, 9) << "of " << pairs;
  EXPECT_LE(false_matches, 1);
}

}  // namespace
}  // namespace assay::parsers
