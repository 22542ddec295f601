// Tests parsers/charset.h: detection precedence and conversion.
#include "parsers/charset.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parsers/html.h"

namespace assay::parsers {
namespace {

struct DetectCase {
  std::string body;
  std::string content_type;
  std::string want;
};

class DetectCharsetTest : public ::testing::TestWithParam<DetectCase> {};

TEST_P(DetectCharsetTest, FollowsPrecedence) {
  const DetectCase& c = GetParam();
  EXPECT_EQ(DetectCharset(c.body, c.content_type), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Table, DetectCharsetTest,
    ::testing::Values(
        DetectCase{"<rss/>", "", "utf-8"},
        DetectCase{"\xEF\xBB\xBF<rss/>", "text/xml; charset=koi8-r", "utf-8"},
        DetectCase{std::string("\xFF\xFE<\0", 4), "", "utf-16le"},
        DetectCase{std::string("\xFE\xFF\0<", 4), "", "utf-16be"},
        DetectCase{std::string("<\0?\0", 4), "", "utf-16le"},
        DetectCase{"<?xml version='1.0' encoding='koi8-r'?><rss/>",
                   "application/rss+xml; charset=\"windows-1251\"", "windows-1251"},
        DetectCase{"<?xml version=\"1.0\" encoding=\"KOI8-R\"?><rss/>", "", "koi8-r"},
        DetectCase{"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>", "", "windows-1252"},
        DetectCase{"<?xml version=\"1.0\" encoding=\"us-ascii\"?>", "", "windows-1252"},
        DetectCase{"<?xml version=\"1.0\" encoding=\"utf-16\"?>", "", "utf-8"},
        DetectCase{"<rss/>", "text/xml;charset=UTF-8", "utf-8"}));

struct ConvertCase {
  std::string body;
  std::string charset;
  std::string want;
  bool warns;
};

class ConvertToUtf8Test : public ::testing::TestWithParam<ConvertCase> {};

TEST_P(ConvertToUtf8Test, ConvertsToValidUtf8) {
  const ConvertCase& c = GetParam();
  std::vector<std::string> warnings;
  std::string got = ConvertToUtf8(c.body, c.charset, &warnings);
  EXPECT_EQ(got, c.want);
  EXPECT_TRUE(IsValidUtf8(got));
  EXPECT_EQ(!warnings.empty(), c.warns);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConvertToUtf8Test,
    ::testing::Values(
        ConvertCase{"h\xC3\xA9", "utf-8", "h\xC3\xA9", false},
        ConvertCase{"\xEF\xBB\xBFx", "utf-8", "x", false},
        ConvertCase{"caf\xE9 \xC3\xA9", "utf-8", "caf\xC3\xA9 \xC3\xA9", true},
        ConvertCase{"\x80\x93", "windows-1252", "\xE2\x82\xAC\xE2\x80\x9C", false},
        ConvertCase{"\x80", "iso-8859-1", "\xE2\x82\xAC", false},
        ConvertCase{"\xC1", "koi8-r", "\xD0\xB0", false},           // а
        ConvertCase{"\x80", "cp850", "\xC3\x87", false},            // Ç
        ConvertCase{"\xE0", "windows-1251", "\xD0\xB0", false},     // а
        ConvertCase{std::string("\xFF\xFEh\0i\0", 6), "utf-16le", "hi", false},
        ConvertCase{"x\xFF", "no-such-charset", "x\xC3\xBF", true}));

TEST(CharsetFromContentTypeTest, ReadsParameter) {
  EXPECT_EQ(CharsetFromContentType("text/xml; charset=ISO-8859-1"), "iso-8859-1");
  EXPECT_EQ(CharsetFromContentType("text/xml; charset=\"utf-8\"; x=y"), "utf-8");
  EXPECT_EQ(CharsetFromContentType("application/rss+xml"), "");
}

}  // namespace
}  // namespace assay::parsers
