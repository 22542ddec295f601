// Tests the default critical-minerals pack (rules/packs/) on sentences
// written for these tests: the language of each tag, and hard negatives that
// share its vocabulary but must stay untagged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "rules/rule_pack.h"
#include "rules/tagger.h"

namespace assay::rules {
namespace {

using ::testing::IsEmpty;

class DefaultPackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto t = LoadTagger({});
    ASSERT_TRUE(t.has_value()) << t.status().ToString();
    tagger_ = new std::shared_ptr<const Tagger>(*t);
  }
  static void TearDownTestSuite() {
    delete tagger_;
    tagger_ = nullptr;
  }
  static TagResult Tag(const std::string& title, const std::string& summary) {
    Article a;
    a.title = title;
    a.summary = summary;
    return (*tagger_)->Tag(a);
  }
  static std::shared_ptr<const Tagger>* tagger_;
};
std::shared_ptr<const Tagger>* DefaultPackTest::tagger_ = nullptr;

TEST_F(DefaultPackTest, PathsPointAtThePackInTheSourceTree) {
  std::vector<std::string> paths = DefaultPackPaths();
  ASSERT_FALSE(paths.empty());
  EXPECT_TRUE(std::any_of(paths.begin(), paths.end(), [](const std::string& p) {
    return p.find("critical-minerals.yaml") != std::string::npos;
  }));
  EXPECT_THAT((*tagger_)->pack_version(), ::testing::StartsWith("critical-minerals@"));
}

struct Expect {
  const char* title;
  const char* summary;
  std::vector<std::string> tags;
  std::vector<std::string> minerals;
  std::vector<std::string> countries;
  std::vector<std::string> blocs;
};

TEST_F(DefaultPackTest, TagsTheLanguageOfTheDomain) {
  const Expect cases[] = {
      {"Beijing adds graphite to export licence regime",
       "Shipments of high-grade flake graphite will need permits from the commerce "
       "ministry from December, officials said.",
       {"critical_minerals", "export_controls", "supply_risk"},
       {"graphite"},
       {"CN"},
       {}},
      {"Cobalt miners declare force majeure as rebels advance in eastern Congo",
       "Two operators in the Democratic Republic of Congo halted output and trucks "
       "stopped moving to the border.",
       {"critical_minerals", "supply_risk"},
       {"cobalt"},
       {"CD"},
       {}},
      {"Jakarta and Canberra sign nickel supply chain memorandum",
       "Indonesia and Australia agreed to cooperate on battery minerals processing "
       "under a new bilateral framework.",
       {"critical_minerals", "trade_bloc"},
       {"nickel"},
       {"AU", "ID"},
       {}},
  };
  for (const Expect& e : cases) {
    TagResult r = Tag(e.title, e.summary);
    EXPECT_EQ(r.tags, e.tags) << e.title;
    EXPECT_EQ(r.minerals, e.minerals) << e.title;
    EXPECT_EQ(r.countries, e.countries) << e.title;
    EXPECT_EQ(r.blocs, e.blocs) << e.title;
    EXPECT_FALSE(r.matches.empty()) << e.title;
  }
}

TEST_F(DefaultPackTest, HardNegativesStayUntagged) {
  const char* cases[][2] = {
      {"Chevrolet Cobalt owners report ignition fault",
       "The compact sedan's recall covers older model years."},
      {"Lithium still the first choice for bipolar disorder, doctors say",
       "Psychiatrists reviewed dosing and kidney monitoring for patients."},
      {"How to export your spreadsheet to CSV",
       "The new version lets users export data and restrict sharing."},
      {"Rare Earth, the Motown band, plays farewell concert",
       "The group performed its 1971 hit to a sold-out crowd."},
      {"Bitcoin miners expand in Texas as hash rate climbs",
       "Crypto mining firms added rigs despite higher power prices."},
      {"Singer's debut goes platinum", "The album was certified platinum by the RIAA."},
      {"Cobalt-blue hatchback wins design prize", "Judges praised its paint."},
  };
  for (const auto& c : cases) {
    TagResult r = Tag(c[0], c[1]);
    EXPECT_THAT(r.tags, IsEmpty()) << c[0];
    EXPECT_THAT(r.minerals, IsEmpty()) << c[0];
  }
}

TEST_F(DefaultPackTest, CountryContextsThatAreNotTheCountry) {
  const Expect cases[] = {
      {"Nickel slips on the London Metal Exchange", "Prices fell 2% on weak demand.", {}, {}, {}, {}},
      {"Storm shuts oil platforms in the Gulf of Mexico", "", {}, {}, {}, {}},
      {"African Union summit opens in Addis Ababa", "", {}, {}, {"ET"}, {"AU"}},
  };
  for (const Expect& e : cases) {
    TagResult r = Tag(e.title, e.summary);
    EXPECT_EQ(r.countries, e.countries) << e.title;
    EXPECT_EQ(r.blocs, e.blocs) << e.title;
  }
}

}  // namespace
}  // namespace assay::rules
