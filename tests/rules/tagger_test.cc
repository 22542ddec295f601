// Tests rules/tagger.h: every condition kind, field scope, proximity,
// references, severity, case and word boundaries, explanations, the DFA
// out-of-memory fallback and pathological input.
#include "rules/tagger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "rules/rule_pack.h"

namespace assay::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::shared_ptr<const Tagger> MustCompile(const std::string& yaml,
                                          const TaggerOptions& options = {}) {
  Result<RulePack> pack = LoadRulePackFromSources({{"t.yaml", yaml}});
  EXPECT_TRUE(pack.has_value()) << pack.status().ToString();
  if (!pack) return nullptr;
  auto tagger = Tagger::Compile(*pack, options);
  EXPECT_TRUE(tagger.has_value()) << tagger.status().ToString();
  return tagger ? *tagger : nullptr;
}

Article Make(std::string title, std::string summary = "", std::string content = "") {
  Article a;
  a.title = std::move(title);
  a.summary = std::move(summary);
  a.content = std::move(content);
  return a;
}

struct TagCase {
  const char* title;
  const char* summary;
  bool tagged;
};

void ExpectCases(const Tagger& t, const std::vector<TagCase>& cases, const char* tag) {
  for (const TagCase& c : cases) {
    TagResult r = t.Tag(Make(c.title, c.summary));
    bool has = std::find(r.tags.begin(), r.tags.end(), tag) != r.tags.end();
    EXPECT_EQ(has, c.tagged) << "title: " << c.title << " | summary: " << c.summary;
  }
}

TEST(TaggerTest, AnyConditionNeedsOnePattern) {
  auto t = MustCompile(R"(
rules:
  - {id: r, tag: x, any: [alpha, beta]}
)");
  ASSERT_TRUE(t);
  ExpectCases(*t, {{"alpha here", "", true}, {"", "beta there", true}, {"gamma", "", false}},
              "x");
}

TEST(TaggerTest, AllConditionNeedsEveryPattern) {
  auto t = MustCompile(R"(
rules:
  - {id: r, tag: x, all: [alpha, beta]}
)");
  ASSERT_TRUE(t);
  ExpectCases(*t,
              {{"alpha beta", "", true},
               {"alpha", "beta", true},  // across fields
               {"alpha", "", false},
               {"beta", "", false}},
              "x");
}

TEST(TaggerTest, NoneConditionVetoesMatch) {
  auto t = MustCompile(R"(
rules:
  - {id: r, tag: x, any: [export], none: ['export (?:to )?csv']}
)");
  ASSERT_TRUE(t);
  ExpectCases(*t, {{"export ban", "", true}, {"Export to CSV", "", false}}, "x");
}

TEST(TaggerTest, NestedGroupsCombine) {
  auto t = MustCompile(R"(
rules:
  - id: r
    tag: x
    all:
      - {any: [ban, curb]}
      - {any: [export, shipment]}
      - {none: [import]}
)");
  ASSERT_TRUE(t);
  ExpectCases(*t,
              {{"curb on shipment", "", true},
               {"ban on export", "", true},
               {"ban on export and import", "", false},
               {"ban", "", false}},
              "x");
}

TEST(TaggerTest, FieldScopeLimitsWherePatternsLook) {
  auto t = MustCompile(R"(
rules:
  - {id: title-only, tag: t, fields: title, any: [lithium]}
  - {id: summary-only, tag: s, any: [{re: lithium, fields: [summary]}]}
  - {id: everywhere, tag: a, any: [lithium]}
)");
  ASSERT_TRUE(t);
  TagResult in_title = t->Tag(Make("lithium", ""));
  EXPECT_THAT(in_title.tags, ElementsAre("a", "t"));
  TagResult in_summary = t->Tag(Make("", "lithium"));
  EXPECT_THAT(in_summary.tags, ElementsAre("a", "s"));
  TagResult in_content = t->Tag(Make("", "", "lithium"));
  EXPECT_THAT(in_content.tags, ElementsAre("a"));
}

TEST(TaggerTest, ProximityCountsWordsBetween) {
  auto t = MustCompile(R"(
rules:
  - {id: near2, tag: n2, any: [{near: [export, ban], within: 2}]}
  - {id: near0, tag: n0, any: [{near: [export, ban], within: 0}]}
  - {id: ordered, tag: o, any: [{near: [export, ban], within: 2, ordered: true}]}
)");
  ASSERT_TRUE(t);
  struct Case {
    const char* text;
    bool n2, n0, o;
  };
  const Case cases[] = {
      {"export ban", true, true, true},
      {"export licence ban", true, false, true},
      {"export of gallium ban", true, false, true},
      {"export of gallium and germanium ban", false, false, false},
      {"ban on export", true, false, false},
      {"ban export", true, true, false},
      {"export \xE2\x80\x94 ban", true, true, true},  // a dash is not a word
      {"export. Then a ban", true, false, true},
  };
  for (const Case& c : cases) {
    TagResult r = t->Tag(Make(c.text));
    auto has = [&](const char* tag) {
      return std::find(r.tags.begin(), r.tags.end(), tag) != r.tags.end();
    };
    EXPECT_EQ(has("n2"), c.n2) << c.text;
    EXPECT_EQ(has("n0"), c.n0) << c.text;
    EXPECT_EQ(has("o"), c.o) << c.text;
  }
}

TEST(TaggerTest, ProximityNeedsBothInOneField) {
  auto t = MustCompile(R"(
rules:
  - {id: r, tag: x, any: [{near: [export, ban], within: 5}]}
)");
  ASSERT_TRUE(t);
  EXPECT_THAT(t->Tag(Make("export", "ban")).tags, IsEmpty());
}

TEST(TaggerTest, TagReferenceSeesTheOtherTag) {
  auto t = MustCompile(R"(
rules:
  - {id: base, tag: minerals, any: [lithium]}
  - {id: helper, tag: _halt, any: [halt\w*]}
  - {id: risk, tag: risk, all: [{tag: minerals}, {tag: _halt}]}
)");
  ASSERT_TRUE(t);
  TagResult r = t->Tag(Make("Lithium mine halted"));
  EXPECT_THAT(r.tags, ElementsAre("minerals", "risk"));  // _halt is internal
  EXPECT_THAT(t->Tag(Make("Factory halted")).tags, IsEmpty());
}

TEST(TaggerTest, EntityReferencesAnyAndOne) {
  auto t = MustCompile(R"(
entities:
  countries:
    items:
      - {id: CN, forms: [China, Beijing]}
      - {id: US, forms: [United States]}
rules:
  - {id: any-country, tag: a, all: [{country: any}]}
  - {id: china, tag: c, all: [{country: CN}]}
  - {id: china-title, tag: ct, all: [{country: CN, fields: title}]}
)");
  ASSERT_TRUE(t);
  EXPECT_THAT(t->Tag(Make("Beijing acts")).tags, ElementsAre("a", "c", "ct"));
  EXPECT_THAT(t->Tag(Make("News", "China acts")).tags, ElementsAre("a", "c"));
  EXPECT_THAT(t->Tag(Make("United States acts")).tags, ElementsAre("a"));
  EXPECT_THAT(t->Tag(Make("Nobody acts")).tags, IsEmpty());
}

TEST(TaggerTest, EntityExclusionDropsMentionInsideAnotherName) {
  auto t = MustCompile(R"(
entities:
  countries:
    exclude: ['outside (?:of )?\w+']
    items:
      - {id: GB, forms: [London, Britain], exclude: ['London Metal Exchange']}
      - {id: MX, forms: [Mexico], exclude: ['Gulf of Mexico']}
      - {id: CN, forms: [China]}
rules: []
)");
  ASSERT_TRUE(t);
  struct Case {
    const char* text;
    std::vector<std::string> countries;
  };
  const Case cases[] = {
      {"London Metal Exchange halts nickel", {}},
      {"London Metal Exchange in London", {"GB"}},  // one mention survives
      {"Storm in the Gulf of Mexico", {}},
      {"Mexico raises tariffs", {"MX"}},
      {"Refining outside China grows in Britain", {"GB"}},
      {"China and Britain", {"CN", "GB"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(t->Tag(Make(c.text)).countries, c.countries) << c.text;
  }
}

TEST(TaggerTest, ReportWhenHidesEntitiesButRulesStillSeeThem) {
  auto t = MustCompile(R"(
entities:
  minerals:
    report_when: {tag: cm}
    items:
      - {id: lithium, forms: [lithium]}
rules:
  - {id: cm, tag: cm, all: [{mineral: any}, mine]}
  - {id: seen, tag: seen, all: [{mineral: lithium}]}
)");
  ASSERT_TRUE(t);
  TagResult drug = t->Tag(Make("Lithium dose for patients"));
  EXPECT_THAT(drug.minerals, IsEmpty());
  EXPECT_THAT(drug.tags, ElementsAre("seen"));
  TagResult mine = t->Tag(Make("Lithium mine opens"));
  EXPECT_THAT(mine.minerals, ElementsAre("lithium"));
}

TEST(TaggerTest, SeverityFollowsScoreThresholds) {
  auto t = MustCompile(R"(
severity: {low: 1, medium: 2, high: 4, critical: 6}
rules:
  - {id: a, tag: a, weight: 1, any: [alpha]}
  - {id: b, tag: b, weight: 2, any: [beta]}
  - {id: c, tag: c, weight: 3, any: [gamma]}
  - {id: z, tag: z, weight: 0.5, any: [zeta]}
)");
  ASSERT_TRUE(t);
  struct Case {
    const char* text;
    double score;
    Severity severity;
  };
  const Case cases[] = {
      {"nothing", 0, Severity::kInfo},    {"zeta", 0.5, Severity::kInfo},
      {"alpha", 1, Severity::kLow},       {"beta", 2, Severity::kMedium},
      {"alpha gamma", 4, Severity::kHigh}, {"alpha beta gamma", 6, Severity::kCritical},
  };
  for (const Case& c : cases) {
    TagResult r = t->Tag(Make(c.text));
    EXPECT_DOUBLE_EQ(r.score, c.score) << c.text;
    EXPECT_EQ(r.severity, c.severity) << c.text;
  }
}

TEST(TaggerTest, MinScoreAndNegativeWeightsDecideATag) {
  auto t = MustCompile(R"(
tags:
  x: {min_score: 2}
rules:
  - {id: one, tag: x, weight: 1, any: [alpha]}
  - {id: two, tag: x, weight: 1, any: [beta]}
  - {id: against, tag: x, weight: -5, any: [veto]}
)");
  ASSERT_TRUE(t);
  ExpectCases(*t,
              {{"alpha", "", false}, {"alpha beta", "", true}, {"alpha beta veto", "", false}},
              "x");
}

TEST(TaggerTest, PatternsAreCaseInsensitiveUnlessARuleSaysOtherwise) {
  auto t = MustCompile(R"(
rules:
  - {id: ci, tag: ci, any: [gallium]}
  - {id: cs, tag: cs, case_sensitive: true, any: [MSP]}
  - {id: cs-one, tag: cs1, any: [{re: 'AU', case_sensitive: true}]}
)");
  ASSERT_TRUE(t);
  ExpectCases(*t, {{"GALLIUM", "", true}, {"Gallium", "", true}}, "ci");
  ExpectCases(*t, {{"the MSP met", "", true}, {"msp", "", false}}, "cs");
  ExpectCases(*t, {{"AU summit", "", true}, {"au revoir", "", false}}, "cs1");
}

TEST(TaggerTest, PatternsMatchWholeWordsUnlessWordsIsFalse) {
  auto t = MustCompile(R"(
rules:
  - {id: w, tag: w, any: [tin]}
  - {id: stem, tag: stem, any: ['licen[cs]\w*']}
  - {id: sub, tag: sub, words: false, any: [tin]}
)");
  ASSERT_TRUE(t);
  ExpectCases(*t,
              {{"tin prices", "", true},
               {"Tin.", "", true},
               {"(tin)", "", true},
               {"Tintin", "", false},
               {"destination", "", false}},
              "w");
  ExpectCases(*t, {{"licences", "", true}, {"licensing", "", true}, {"relicense", "", false}},
              "stem");
  ExpectCases(*t, {{"destination", "", true}}, "sub");
}

TEST(TaggerTest, MatchesExplainRulePatternFieldAndSpan) {
  auto t = MustCompile(R"(
entities:
  countries:
    items: [{id: CN, forms: [China]}]
rules:
  - {id: ec.ban, tag: ec, any: ['export bans?'], all: [{country: any}]}
)");
  ASSERT_TRUE(t);
  TagResult r = t->Tag(Make("China widens export ban", "An export ban again."));
  EXPECT_THAT(r.tags, ElementsAre("ec"));
  EXPECT_THAT(r.countries, ElementsAre("CN"));
  ASSERT_EQ(r.matches.size(), 3u);
  EXPECT_EQ(r.matches[0], (Match{"ec.ban", "export bans?", Field::kTitle, 13, 23,
                                 "export ban"}));
  EXPECT_EQ(r.matches[1], (Match{"ec.ban", "export bans?", Field::kSummary, 3, 13,
                                 "export ban"}));
  EXPECT_EQ(r.matches[2], (Match{"country:CN", "China", Field::kTitle, 0, 5, "China"}));
  EXPECT_THAT(r.fired_rules, ElementsAre("ec.ban"));
}

TEST(TaggerTest, TagsOnlyModeGivesSameTagsWithoutSpans) {
  auto t = MustCompile(R"(
entities:
  minerals:
    items: [{id: gallium, forms: [gallium], exclude: ['gallium nitride chargers?']}]
rules:
  - {id: r, tag: x, any: [{near: [export, gallium], within: 3}]}
)");
  ASSERT_TRUE(t);
  for (const char* text : {"export of gallium", "gallium nitride charger export",
                           "export of some more gallium", "nothing"}) {
    TagResult full = t->Tag(Make(text));
    TagResult fast = t->Tag(Make(text), TagOptions{.spans = false});
    EXPECT_EQ(full.tags, fast.tags) << text;
    EXPECT_EQ(full.minerals, fast.minerals) << text;
    EXPECT_THAT(fast.matches, IsEmpty());
  }
}

TEST(TaggerTest, MacrosExpandInPatterns) {
  auto t = MustCompile(R"(
macros:
  metal: 'gallium|germanium'
  curb: 'bans?|curbs?'
rules:
  - {id: r, tag: x, any: ['{{metal}} {{curb}}']}
)");
  ASSERT_TRUE(t);
  ExpectCases(*t, {{"germanium curbs", "", true}, {"gallium", "", false}}, "x");
}

// RE2::Set::Match reports a DFA out of memory as "no match" unless the
// caller checks ErrorInfo, and a set whose DFA cannot start fails to
// compile. Either way the tagger must rescan the field pattern by pattern
// and find the same matches.
TEST(TaggerTest, DfaOutOfMemoryFallsBackToPatternByPattern) {
  std::string yaml = "rules:\n";
  for (int i = 0; i < 40; ++i) {
    yaml += "  - {id: r" + std::to_string(i) + ", tag: t" + std::to_string(i) +
            ", any: ['[a-z]*" + std::to_string(i) + "[a-z]*x[0-9a-z]{3}']}\n";
  }
  TaggerOptions tiny;
  tiny.set_max_mem = 16 << 10;
  auto t = MustCompile(yaml, tiny);
  ASSERT_TRUE(t);
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "abc" + std::to_string(i % 97) + "q ";
  text += " zz7x123 yy12x9z9 ";
  TagResult r = t->Tag(Make(text));
  EXPECT_EQ(t->stats().set_fallbacks, 1u);
  EXPECT_THAT(r.tags, ElementsAre("t12", "t7"));  // whole words only
  // The same answer as with a roomy budget, which needs no fallback.
  auto roomy = MustCompile(yaml);
  ASSERT_TRUE(roomy);
  EXPECT_EQ(roomy->Tag(Make(text)).tags, r.tags);
  EXPECT_EQ(roomy->stats().set_fallbacks, 0u);
}

TEST(TaggerTest, PathologicalInputFinishes) {
  auto t = MustCompile(R"(
rules:
  - {id: nested, tag: nested, words: false, any: ['(a+)+$']}
  - {id: alt, tag: alt, words: false, any: ['(a|aa)*b']}
  - {id: near, tag: near, any: [{near: ['a+', 'b'], within: 3}]}
)");
  ASSERT_TRUE(t);
  std::string many_a(200000, 'a');
  TagResult r = t->Tag(Make(many_a, many_a, many_a));
  EXPECT_THAT(r.tags, ElementsAre("nested"));
  std::string words;
  for (int i = 0; i < 40000; ++i) words += "aaaa b ";
  TagResult w = t->Tag(Make("", words));
  EXPECT_THAT(w.tags, ElementsAre("alt", "near"));
}

TEST(TaggerTest, TagIsSafeFromManyThreads) {
  auto t = MustCompile(R"(
entities:
  countries:
    items: [{id: CN, forms: [China], exclude: ['outside China']}]
rules:
  - {id: r, tag: x, any: [{near: [export, ban], within: 2}]}
)");
  ASSERT_TRUE(t);
  const Article a = Make("China export ban", "outside China");
  const TagResult expected = t->Tag(a);
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 200; ++k) {
        TagResult r = t->Tag(a);
        if (r.tags != expected.tags || r.matches != expected.matches) ++bad[i];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_THAT(bad, ElementsAre(0, 0, 0, 0));
  EXPECT_EQ(t->stats().articles, 801u);
}

// Tag() keeps per-thread working memory between calls; taggers of different
// sizes used in turn on one thread (as after a reload) must not see each
// other's state.
TEST(TaggerTest, TaggersOfDifferentSizesOnOneThreadGiveIndependentResults) {
  auto big = LoadTagger({});
  ASSERT_TRUE(big.has_value()) << big.status().ToString();
  auto small = MustCompile(R"(
rules:
  - {id: r, tag: x, any: [lithium]}
)");
  ASSERT_TRUE(small);
  const Article a = Make("China bans exports of gallium and germanium",
                         "Beijing tightens export controls on lithium refining.");
  const TagResult first = (*big)->Tag(a);
  ASSERT_FALSE(first.tags.empty());
  for (int i = 0; i < 3; ++i) {
    TagResult s = small->Tag(a);
    EXPECT_THAT(s.tags, ElementsAre("x"));
    EXPECT_THAT(s.minerals, IsEmpty());
    TagResult again = (*big)->Tag(a);
    EXPECT_EQ(again.tags, first.tags);
    EXPECT_EQ(again.minerals, first.minerals);
    EXPECT_EQ(again.countries, first.countries);
    EXPECT_EQ(again.matches, first.matches);
    EXPECT_EQ(again.score, first.score);
    // Nothing of the article before leaks into an unrelated one.
    TagResult plain = (*big)->Tag(Make("The festival drew record crowds"));
    EXPECT_THAT(plain.tags, IsEmpty());
    EXPECT_THAT(plain.matches, IsEmpty());
  }
}

}  // namespace
}  // namespace assay::rules
