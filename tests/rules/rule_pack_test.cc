// Tests rules/rule_pack.h: loading, cross-file references, and one test per
// kind of invalid pack, each checking file:line and the rule id.
#include "rules/rule_pack.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rules/tagger.h"

namespace assay::rules {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> Problems(const std::vector<PackSource>& sources) {
  std::vector<PackProblem> problems;
  Result<RulePack> pack = LoadRulePackFromSources(sources, &problems);
  EXPECT_FALSE(pack.has_value());
  std::vector<std::string> out;
  for (const PackProblem& p : problems) out.push_back(p.ToString());
  if (!pack) {
    // The Status lists the same problems, one per line.
    std::string joined;
    for (const std::string& s : out) joined += (joined.empty() ? "" : "\n") + s;
    EXPECT_EQ(pack.error().message(), joined);
  }
  return out;
}

struct BadPackCase {
  const char* name;
  const char* yaml;
  const char* expected;  // one reported problem, exactly
};

class BadPackTest : public ::testing::TestWithParam<BadPackCase> {};

TEST_P(BadPackTest, ReportsFileLineAndRuleId) {
  const BadPackCase& c = GetParam();
  std::vector<std::string> problems = Problems({{"pack.yaml", c.yaml}});
  EXPECT_THAT(problems, ::testing::Contains(std::string(c.expected)))
      << ::testing::PrintToString(problems);
}

INSTANTIATE_TEST_SUITE_P(
    InvalidPacks, BadPackTest,
    ::testing::Values(
        BadPackCase{"PatternDoesNotCompile",
                    "rules:\n"
                    "  - id: ok\n"
                    "    tag: x\n"
                    "    any: [fine]\n"
                    "  - id: broken\n"
                    "    tag: x\n"
                    "    any:\n"
                    "      - 'export (ban'\n",
                    "pack.yaml:8: rule 'broken': pattern 'export (ban' does not compile: "
                    "missing ): export (ban"},
        BadPackCase{"UnknownTagReference",
                    "rules:\n"
                    "  - {id: a, tag: x, any: [alpha]}\n"
                    "  - {id: b, tag: y, all: [{tag: export_control}]}\n",
                    "pack.yaml:3: rule 'b': unknown tag 'export_control' (no rule assigns it)"},
        BadPackCase{"UnknownEntityReference",
                    "entities:\n"
                    "  countries:\n"
                    "    items: [{id: CN, forms: [China]}]\n"
                    "rules:\n"
                    "  - {id: c, tag: x, all: [{country: XX}]}\n",
                    "pack.yaml:5: rule 'c': unknown country 'XX'"},
        BadPackCase{"ReferenceCycle",
                    "rules:\n"
                    "  - {id: a, tag: x, all: [{tag: y}]}\n"
                    "  - {id: b, tag: y, all: [{tag: z}]}\n"
                    "  - {id: c, tag: z, all: [{tag: x}]}\n",
                    "pack.yaml:4: rule 'c': reference cycle: x -> y -> z -> x"},
        BadPackCase{"SelfReference",
                    "rules:\n"
                    "  - {id: a, tag: x, all: [alpha, {tag: x}]}\n",
                    "pack.yaml:2: rule 'a': reference cycle: x -> x"},
        BadPackCase{"DuplicateRuleId",
                    "rules:\n"
                    "  - {id: a, tag: x, any: [alpha]}\n"
                    "  - {id: a, tag: y, any: [beta]}\n",
                    "pack.yaml:3: rule 'a': duplicate rule id (first defined at "
                    "pack.yaml:2)"},
        BadPackCase{"DuplicateEntityId",
                    "entities:\n"
                    "  minerals:\n"
                    "    items:\n"
                    "      - {id: tin, forms: [tin]}\n"
                    "      - {id: tin, forms: [cassiterite]}\n",
                    "pack.yaml:5: entity mineral/tin: duplicate entity id (first defined at "
                    "pack.yaml:4)"},
        BadPackCase{"UnknownRuleKey",
                    "rules:\n"
                    "  - id: a\n"
                    "    tag: x\n"
                    "    weigth: 2\n"
                    "    any: [alpha]\n",
                    "pack.yaml:4: rule 'a': unknown key 'weigth' in rule (expected one of: "
                    "id, tag, weight, description, fields, case_sensitive, words, any, all, "
                    "none)"},
        BadPackCase{"UnknownTopLevelKey",
                    "rule:\n"
                    "  - {id: a, tag: x, any: [alpha]}\n",
                    "pack.yaml:1: unknown key 'rule' in a pack file (expected one of: pack, "
                    "version, description, severity, macros, tags, entities, rules)"},
        BadPackCase{"UnknownEntityKey",
                    "entities:\n"
                    "  minerals:\n"
                    "    items:\n"
                    "      - {id: tin, form: [tin]}\n",
                    "pack.yaml:4: entity mineral/tin: unknown key 'form' in entity (expected "
                    "one of: id, forms, exclude, description, fields, case_sensitive, words)"},
        BadPackCase{"UnknownCondition",
                    "rules:\n"
                    "  - {id: a, tag: x, any: [{regex: alpha}]}\n",
                    "pack.yaml:2: rule 'a': unknown condition 'regex' (expected re, near, "
                    "tag, mineral, country, bloc, any, all or none)"},
        BadPackCase{"NearWithoutWithin",
                    "rules:\n"
                    "  - id: a\n"
                    "    tag: x\n"
                    "    any:\n"
                    "      - {near: [export, ban]}\n",
                    "pack.yaml:5: rule 'a': near needs 'within' (the most words allowed "
                    "between the two)"},
        BadPackCase{"UnknownField",
                    "rules:\n"
                    "  - {id: a, tag: x, fields: body, any: [alpha]}\n",
                    "pack.yaml:2: rule 'a': unknown field 'body' (expected all, title, "
                    "summary or content)"},
        BadPackCase{"UnknownMacro",
                    "rules:\n"
                    "  - {id: a, tag: x, any: ['{{metal}} ban']}\n",
                    "pack.yaml:2: rule 'a': unknown macro '{{metal}}'"},
        BadPackCase{"RuleWithoutPositiveCondition",
                    "rules:\n"
                    "  - {id: a, tag: x, none: [alpha]}\n",
                    "pack.yaml:2: rule 'a': rule needs an 'any' or 'all' condition"},
        BadPackCase{"BadCountryCode",
                    "entities:\n"
                    "  countries:\n"
                    "    items: [{id: China, forms: [China]}]\n",
                    "pack.yaml:3: entity country/China: country id must be an ISO 3166-1 "
                    "alpha-2 code (two capital letters)"},
        BadPackCase{"YamlSyntaxError",
                    "rules:\n"
                    "  - {id: a, tag: x, any: [alpha]\n",
                    "pack.yaml:3: YAML: end of map flow not found"},
        BadPackCase{"WeightNotANumber",
                    "rules:\n"
                    "  - {id: a, tag: x, weight: heavy, any: [alpha]}\n",
                    "pack.yaml:2: rule 'a': weight must be a number"}),
    [](const ::testing::TestParamInfo<BadPackCase>& p) { return p.param.name; });

TEST(RulePackTest, EveryProblemIsReportedAndNothingLoads) {
  std::vector<std::string> problems = Problems({{"pack.yaml",
                                                 "rules:\n"
                                                 "  - {id: a, tag: x, any: ['(']}\n"
                                                 "  - {id: b, tag: x, all: [{tag: nope}]}\n"
                                                 "  - {id: a, tag: x, any: [fine]}\n"}});
  ASSERT_EQ(problems.size(), 3u) << ::testing::PrintToString(problems);
  EXPECT_THAT(problems[0], HasSubstr("pack.yaml:4: rule 'a': duplicate rule id"));
  EXPECT_THAT(problems[1], HasSubstr("pack.yaml:2: rule 'a': pattern '(' does not compile"));
  EXPECT_THAT(problems[2], HasSubstr("pack.yaml:3: rule 'b': unknown tag 'nope'"));
}

TEST(RulePackTest, FilesReferToEachOther) {
  Result<RulePack> pack = LoadRulePackFromSources(
      {{"entities.yaml", "entities:\n  countries:\n    items: [{id: CN, forms: [China]}]\n"},
       {"rules.yaml",
        "pack: demo\nversion: '3'\nrules:\n  - {id: a, tag: x, all: [{country: CN}]}\n"}});
  ASSERT_TRUE(pack.has_value()) << pack.status().ToString();
  EXPECT_EQ(pack->name, "demo");
  EXPECT_EQ(pack->version, "3");
  EXPECT_THAT(pack->version_string, ::testing::StartsWith("demo@3+"));
  EXPECT_EQ(pack->rules.size(), 1u);
  EXPECT_EQ(pack->entities.size(), 1u);
  EXPECT_EQ(pack->PatternCount(), 1u);
}

TEST(RulePackTest, DuplicateAcrossFilesNamesBothFiles) {
  std::vector<std::string> problems =
      Problems({{"one.yaml", "rules:\n  - {id: a, tag: x, any: [alpha]}\n"},
                {"two.yaml", "rules:\n\n  - {id: a, tag: x, any: [beta]}\n"}});
  EXPECT_THAT(problems, ::testing::ElementsAre(
                            "two.yaml:3: rule 'a': duplicate rule id (first defined at "
                            "one.yaml:2)"));
}

TEST(RulePackTest, VersionStringChangesWithAnyByte) {
  auto a = LoadRulePackFromSources({{"p.yaml", "rules:\n  - {id: a, tag: x, any: [alpha]}\n"}});
  auto b = LoadRulePackFromSources({{"p.yaml", "rules:\n  - {id: a, tag: x, any: [alphb]}\n"}});
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_NE(a->version_string, b->version_string);
  EXPECT_THAT(a->version_string, ::testing::StartsWith("unnamed@0+"));
}

TEST(RulePackTest, MissingFileIsReported) {
  std::vector<PackProblem> problems;
  Result<RulePack> pack = LoadRulePack({"/nonexistent/pack.yaml"}, &problems);
  EXPECT_FALSE(pack.has_value());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].ToString(), "/nonexistent/pack.yaml: cannot open file");
}

TEST(RulePackTest, LoadsFromFiles) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("rules_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "p.yaml").string();
  {
    std::ofstream out(path);
    out << "rules:\n  - {id: a, tag: x, any: [alpha]}\n  - {id: b, tag: y, any: ['(']}\n";
  }
  std::vector<PackProblem> problems;
  Result<RulePack> pack = LoadRulePack({path}, &problems);
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(pack.has_value());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].loc.file, path);
  EXPECT_EQ(problems[0].loc.line, 3);
  EXPECT_EQ(problems[0].subject, "rule 'b'");
}

}  // namespace
}  // namespace assay::rules
