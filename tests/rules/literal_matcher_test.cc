// Tests rules/internal/literal_matcher.h: which patterns it takes, and that
// it reports exactly RE2's spans (leftmost-first, non-overlapping) for each
// of them, on hand-written text, on generated text and on every pattern of
// the default pack over the labelled corpus.
#include "rules/internal/literal_matcher.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rules/rule_pack.h"

namespace assay::rules::internal {
namespace {

using Spans = std::vector<std::pair<size_t, size_t>>;

// The tagger's loop: every match from the end of the previous one.
Spans Re2Spans(const RE2& re, std::string_view text) {
  Spans out;
  re2::StringPiece t(text.data(), text.size());
  re2::StringPiece m;
  size_t pos = 0;
  while (pos <= t.size() && re.Match(t, pos, t.size(), RE2::UNANCHORED, &m, 1)) {
    size_t start = static_cast<size_t>(m.data() - t.data());
    size_t end = start + m.size();
    out.emplace_back(start, end);
    pos = end > start ? end : end + 1;
  }
  return out;
}

Spans LiteralSpans(const LiteralMatcher& m, std::string_view text) {
  Spans out;
  size_t pos = 0, start = 0, end = 0;
  while (pos <= text.size() && m.Find(text, pos, &start, &end)) {
    out.emplace_back(start, end);
    pos = end > start ? end : end + 1;
  }
  return out;
}

std::string Compiled(const std::string& regex, bool case_sensitive, bool whole_words) {
  Pattern p;
  p.regex = regex;
  p.case_sensitive = case_sensitive;
  p.whole_words = whole_words;
  return p.CompiledRegex();
}

// One pattern both ways: the matcher (null when it declines) and RE2.
struct Both {
  Both(const std::string& regex, bool case_sensitive, bool whole_words)
      : literal(LiteralMatcher::Compile(regex, case_sensitive, whole_words)),
        re(Compiled(regex, case_sensitive, whole_words)),
        name(regex + (case_sensitive ? " (case)" : "") + (whole_words ? " (words)" : "")) {}
  std::unique_ptr<LiteralMatcher> literal;
  RE2 re;
  std::string name;
};

// Compares the two on `text`.
::testing::AssertionResult SameSpans(const Both& b, std::string_view text) {
  if (b.literal == nullptr) return ::testing::AssertionFailure() << "not compiled: " << b.name;
  if (!b.re.ok()) return ::testing::AssertionFailure() << "RE2 rejects: " << b.name;
  if (!LiteralMatcher::CanScan(text)) return ::testing::AssertionSuccess();
  Spans want = Re2Spans(b.re, text);
  Spans got = LiteralSpans(*b.literal, text);
  if (want == got) return ::testing::AssertionSuccess();
  auto show = [](const Spans& s) {
    std::string out;
    for (auto [x, y] : s) out += "[" + std::to_string(x) + "," + std::to_string(y) + ")";
    return out;
  };
  return ::testing::AssertionFailure() << b.name << " on '" << text << "': RE2 " << show(want)
                                       << ", literal " << show(got);
}

TEST(LiteralMatcherTest, TakesWordsPhrasesClassesOptionalPartsAndTrailingRuns) {
  for (const char* re :
       {"China", "bans?|banned|banning", "rare[- ]earths?", "licen[cs]\\w*",
        "export[- ]licen[cs]\\w*", "crack(?:s|ed|ing)? down", "refin\\w+|smelt\\w+",
        "U\\.S\\.", "(?:Chevy|Chevrolet) Cobalt", "G-?7", "BRICS\\+?", "N'Djamena",
        "prohibit\\w* (?:the )?transfer\\w* (?:abroad|overseas)", "[a-c]x", "(ab)c"}) {
    EXPECT_NE(LiteralMatcher::Compile(re, false, true), nullptr) << re;
  }
}

TEST(LiteralMatcherTest, LeavesEverythingElseToRe2) {
  for (const char* re :
       {"", "a|", "(?:ab)?", "\\w*", "a.b", "\\bUS", "a\\sb", "(?:\\w+ ){0,3}x", "a{2}",
        "ab*", "(?:ab)+", "a??", "\\w+?", "\\w*s", "\\w+\\w", "[^a]", "[\\w-]+",
        "(?i:a)", "(?P<n>a)", "Gécamines", "a$", "^a", "\\d+", "\\w*_"}) {
    EXPECT_EQ(LiteralMatcher::Compile(re, false, true), nullptr) << re;
  }
}

struct Case {
  const char* regex;
  bool case_sensitive;
  bool whole_words;
  const char* text;
};

TEST(LiteralMatcherTest, FindsWhatRe2Finds) {
  const Case cases[] = {
      {"China", false, true, "China, CHINA and china but not Chinas or IndoChina"},
      {"China", true, true, "China, CHINA and china"},
      {"China", false, false, "IndoChinas"},
      {"bans?|banned|banning", false, true, "bans ban banned banning bank _ban ban_"},
      {"ban|bans", false, true, "bans ban"},  // preference, then the boundary
      {"exports?|exported|re-?exports?", false, true, "re-exports reexport exported export-"},
      {"licen[cs]\\w*", false, true, "licences licensing licen licenseX_1 licen-ce"},
      {"licen[cs]\\w*", false, false, "unlicensed sublicence"},
      {"crack(?:s|ed|ing)? down", false, true, "cracks down, cracking  down, crack down"},
      {"rare[- ]earths?", false, true, "rare-earth rare earths rare_earth rareearth"},
      {"U\\.S\\.", true, false, "U.S. U.S.A. AU.S."},
      {"U\\.S\\.", true, true, "U.S. x U.S.A."},  // \b after '.' needs a word byte next
      {"G-?7", false, true, "G7 g-7 G77 G-7s"},
      {"a-\\w*", false, true, "a- a-b a-_ ba-"},
      {"-x", false, true, "a-x -x"},
      {"x-", false, true, "x- x-a"},
      {"(?:worth|like) (?:its|their) weight", false, true, "worth their weight, like its weight"},
      {"tin", false, true, "tin TIN Tin tint ßtin étin tin\xC3\xA9"},
      {"stop(?:s|ped|ping)?", false, true, "stopped stopping stop stops stopx"},
      {"in|inside", false, true, "inside in"},
      {"a|ab", false, false, "ab"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(SameSpans(Both(c.regex, c.case_sensitive, c.whole_words), c.text));
  }
}

TEST(LiteralMatcherTest, TextsWithCaseFoldsOntoAsciiAreLeftToRe2) {
  EXPECT_TRUE(LiteralMatcher::CanScan("plain text, caf\xC3\xA9, \xE2\x80\x94 dash"));
  EXPECT_FALSE(LiteralMatcher::CanScan("\xC5\xBF" "anctions"));  // long s
  EXPECT_FALSE(LiteralMatcher::CanScan("5 \xE2\x84\xAA"));         // Kelvin sign
  // The premise: no other character folds onto an ASCII letter in RE2.
  for (char letter = 'a'; letter <= 'z'; ++letter) {
    RE2 re(std::string("(?i)") + letter);
    for (uint32_t cp = 0x80; cp < 0x10000; ++cp) {
      if (cp >= 0xD800 && cp < 0xE000) continue;
      std::string s;
      if (cp < 0x800) {
        s = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
      } else {
        s = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
             static_cast<char>(0x80 | (cp & 0x3F))};
      }
      if (RE2::FullMatch(s, re)) {
        EXPECT_FALSE(LiteralMatcher::CanScan(s)) << letter << " folds from U+" << std::hex << cp;
      }
    }
  }
}

// Texts made of pieces that sit on either side of every boundary.
TEST(LiteralMatcherTest, FindsWhatRe2FindsOnGeneratedText) {
  const char* pieces[] = {"ban",  "bans", "banned", "export", "s",   "ed",   "-",   " ",
                          " ",    "_",    "7",      "G",      "rare", "earth", ".", "U.S.",
                          "licen", "c",   "ce",     "sing",   "\xC3\xA9", "crack", "down", "'"};
  const char* regexes[] = {"bans?|banned|banning", "exports?|exported|re-?exports?",
                           "licen[cs]\\w*", "rare[- ]earths?", "G-?7", "U\\.S\\.",
                           "crack(?:s|ed|ing)? down", "ban|bans", "s|ed", "\\w+-",
                           "export\\w*-down", "earth'?s?"};
  std::vector<std::unique_ptr<Both>> both;
  for (const char* re : regexes) {
    for (int flags = 0; flags < 4; ++flags) {
      auto b = std::make_unique<Both>(re, (flags & 1) != 0, (flags & 2) != 0);
      if (b->literal != nullptr) both.push_back(std::move(b));
    }
  }
  ASSERT_GE(both.size(), std::size(regexes) * 4 - 8);
  uint64_t state = 20240601;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int n = 0; n < 3000; ++n) {
    std::string text;
    int len = static_cast<int>(next() % 12);
    for (int k = 0; k < len; ++k) text += pieces[next() % std::size(pieces)];
    for (const auto& b : both) ASSERT_TRUE(SameSpans(*b, text));
  }
}

// Every pattern of the default pack that the matcher takes, over the
// labelled corpus: the spans the tagger reports depend on this.
TEST(LiteralMatcherTest, DefaultPackPatternsMatchLikeRe2OnTheCorpus) {
  std::ifstream in(std::string(ASSAY_SHARED_DIR) + "/corpus/news/dev.jsonl");
  if (!in) GTEST_SKIP() << "no corpus at " << ASSAY_SHARED_DIR << "/corpus/news/dev.jsonl";
  // The whole line (JSON and all) is good text for this: titles, summaries,
  // quotes and escapes.
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  Result<RulePack> pack = LoadRulePack(DefaultPackPaths());
  ASSERT_TRUE(pack.has_value()) << pack.status().ToString();
  std::vector<const Pattern*> patterns;
  std::function<void(const Condition&)> collect = [&](const Condition& c) {
    if (c.kind == Condition::Kind::kPattern) patterns.push_back(&c.pattern);
    for (const Pattern& p : c.near) patterns.push_back(&p);
    for (const Condition& child : c.children) collect(child);
  };
  for (const Rule& r : pack->rules) collect(r.when);
  for (const Entity& e : pack->entities) {
    for (const Pattern& p : e.forms) patterns.push_back(&p);
    for (const Pattern& p : e.exclude) patterns.push_back(&p);
  }
  for (const EntityKindSpec& k : pack->kinds) {
    for (const Pattern& p : k.exclude) patterns.push_back(&p);
  }
  size_t taken = 0;
  for (const Pattern* p : patterns) {
    Both b(p->regex, p->case_sensitive, p->whole_words);
    if (b.literal == nullptr) continue;
    ++taken;
    for (const std::string& line : lines) ASSERT_TRUE(SameSpans(b, line));
  }
  // Most of the pack is words and phrases; a drop here means the tagger
  // went back to RE2 for them.
  EXPECT_GT(taken * 10, patterns.size() * 8) << taken << " of " << patterns.size();

  // The same patterns through one LiteralSet: each pattern's hits, taken
  // as the tagger takes them, are RE2's spans.
  LiteralSet set;
  std::vector<std::unique_ptr<RE2>> res;
  for (const Pattern* p : patterns) {
    if (set.Add(p->regex, p->case_sensitive, p->whole_words, static_cast<int32_t>(res.size()))) {
      res.push_back(std::make_unique<RE2>(p->CompiledRegex()));
    }
  }
  set.Finish();
  EXPECT_GT(res.size() * 10, patterns.size() * 7) << res.size() << " of " << patterns.size();
  std::vector<uint8_t> wanted(res.size(), 1);
  for (const std::string& line : lines) {
    if (!LiteralMatcher::CanScan(line)) continue;
    std::vector<LiteralSet::Hit> hits;
    set.Scan(line, wanted.data(), 1, &hits);
    std::vector<Spans> got(res.size());
    std::vector<size_t> next(res.size(), 0);
    for (const LiteralSet::Hit& h : hits) {
      if (h.start < next[h.id]) continue;
      got[h.id].emplace_back(h.start, h.end);
      next[h.id] = h.end;
    }
    for (size_t id = 0; id < res.size(); ++id) {
      ASSERT_EQ(got[id], Re2Spans(*res[id], line)) << res[id]->pattern() << " on " << line;
    }
  }
}

}  // namespace
}  // namespace assay::rules::internal
