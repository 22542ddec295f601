// Tests parsers/html.h: HTML → text, references, clean-up.
#include "parsers/html.h"

#include <gtest/gtest.h>

#include <string>

namespace assay::parsers {
namespace {

struct TextCase {
  std::string in;
  std::string want;
};

class HtmlToTextTest : public ::testing::TestWithParam<TextCase> {};

TEST_P(HtmlToTextTest, StripsTagsAndDecodes) {
  EXPECT_EQ(HtmlToText(GetParam().in), GetParam().want) << GetParam().in;
}

INSTANTIATE_TEST_SUITE_P(
    Table, HtmlToTextTest,
    ::testing::Values(
        TextCase{"Example <b>Atom</b>", "Example Atom"},
        TextCase{"<p>one</p><p>two</p>", "one two"},
        TextCase{"a<br>b<br/>c", "a b c"},
        TextCase{"<a href=\"x\" title='1 > 0'>link</a>", "link"},
        TextCase{"<a href=http://example.com/\">example</a>", "example"},
        TextCase{"x<script>var a = '<b>';</script>y", "xy"},
        TextCase{"x<STYLE>p {}</STYLE>y", "xy"},
        TextCase{"x<!-- <b>gone</b> -->y", "xy"},
        TextCase{"<![CDATA[kept <b>]]>", "kept <b>"},
        TextCase{"2 < 3 and 5 > 4", "2 < 3 and 5 > 4"},
        TextCase{"AT&T &amp; co", "AT&T & co"},
        TextCase{"&lt;blink&gt; &quot;q&quot; &#39;a&#39;", "<blink> \"q\" 'a'"},
        TextCase{"&eacute;&Eacute;&hellip;&notin;&#x2603;&#9731;", "éÉ…∉☃☃"},
        TextCase{"&copy 2004", "© 2004"},
        TextCase{"&#150; dash", "– dash"},
        TextCase{"&nosuchentity; &", "&nosuchentity; &"},
        TextCase{"  lots \t of\n\n  space  ", "lots of space"},
        TextCase{"keep\xC2\xA0nbsp", "keep\xC2\xA0nbsp"},
        TextCase{"unterminated <b", "unterminated"},
        TextCase{"", ""}));

TEST(HtmlToTextTest, CutsAtCharacterBoundary) {
  std::string s = "ab\xC3\xA9" "cd";  // "abécd"
  EXPECT_EQ(HtmlToText(s, 3), "ab");
  EXPECT_EQ(HtmlToText(s, 4), "ab\xC3\xA9");
  EXPECT_TRUE(IsValidUtf8(HtmlToText(s, 3)));
}

struct CleanCase {
  std::string in;
  std::string want;
};

class CleanTextTest : public ::testing::TestWithParam<CleanCase> {};

TEST_P(CleanTextTest, ProducesValidUtf8WithoutControls) {
  std::string got = CleanText(GetParam().in);
  EXPECT_EQ(got, GetParam().want);
  EXPECT_TRUE(IsValidUtf8(got));
}

INSTANTIATE_TEST_SUITE_P(
    Table, CleanTextTest,
    ::testing::Values(
        CleanCase{"plain", "plain"},
        CleanCase{std::string("nul\0byte", 8), "nulbyte"},
        CleanCase{"bell\x07 and \x1b escape", "bell and escape"},
        CleanCase{"del\x7f", "del"},
        CleanCase{"caf\xE9", "caf\xC3\xA9"},             // Latin-1 byte
        CleanCase{"\x93quoted\x94", "\xE2\x80\x9Cquoted\xE2\x80\x9D"},  // cp1252
        CleanCase{"\xC2\x80", "\xE2\x82\xAC"},           // U+0080 read as cp1252 €
        CleanCase{"\xED\xA0\x80", "\xC3\xAD\xC2\xA0\xE2\x82\xAC"},  // surrogate bytes
        CleanCase{"\xF0\x9F\x98\x80 ok", "\xF0\x9F\x98\x80 ok"},
        CleanCase{"a\r\nb\fc", "a b c"}));

TEST(LooksLikeHtmlTest, GuessesMarkup) {
  EXPECT_TRUE(LooksLikeHtml("<b>x</b>"));
  EXPECT_TRUE(LooksLikeHtml("a &amp; b"));
  EXPECT_TRUE(LooksLikeHtml("line<br/>break"));
  EXPECT_FALSE(LooksLikeHtml("2 > 1"));
  EXPECT_FALSE(LooksLikeHtml("AT&T"));
  EXPECT_FALSE(LooksLikeHtml("History of the <blink tag"));
}

}  // namespace
}  // namespace assay::parsers
