// Tests parsers/date.h: table-driven over the formats feeds use.
#include "parsers/date.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/time.h"

namespace assay::parsers {
namespace {

struct DateCase {
  const char* input;
  const char* want;  // RFC 3339 UTC, or nullptr for "unparseable"
};

class ParseDateTest : public ::testing::TestWithParam<DateCase> {};

TEST_P(ParseDateTest, NormalisesToUtc) {
  const DateCase& c = GetParam();
  std::optional<UnixSeconds> got = ParseDate(c.input);
  if (c.want == nullptr) {
    EXPECT_FALSE(got.has_value()) << c.input << " → " << FormatRfc3339(*got);
  } else {
    ASSERT_TRUE(got.has_value()) << c.input;
    EXPECT_EQ(FormatRfc3339(*got), c.want) << c.input;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rfc822, ParseDateTest,
    ::testing::Values(
        DateCase{"Thu, 01 Jan 2004 19:48:21 GMT", "2004-01-01T19:48:21Z"},
        DateCase{"Thu, 01 Jan 2004 19:48:21 +0100", "2004-01-01T18:48:21Z"},
        DateCase{"Thu, 01 Jan 2004 19:48:21 -05:00", "2004-01-02T00:48:21Z"},
        DateCase{"01 Jan 2004 19:48 EST", "2004-01-02T00:48:00Z"},
        DateCase{"Thu, 1 Jan 04 19:48:21 PDT", "2004-01-02T02:48:21Z"},
        DateCase{"Thu, 01 Jan 99 00:00:00 GMT", "1999-01-01T00:00:00Z"},
        DateCase{"Sat, 28 Sep 2002 21:00:02 CEST", "2002-09-28T19:00:02Z"},
        DateCase{"Mon, 26 January 2004 16:31:00 ET", "2004-01-26T21:31:00Z"},
        DateCase{"Thu, 01 Jan 2004", "2004-01-01T00:00:00Z"},
        DateCase{"Fri,24 Nov 2023 18:28:36 -0000", "2023-11-24T18:28:36Z"},
        DateCase{"Mon, 13 Feb, 2012 06:28:00 UTC", "2012-02-13T06:28:00Z"},
        DateCase{"Wed, 19 Feb 2012 22:40:00 GMT+02:00", "2012-02-19T20:40:00Z"},
        DateCase{"Wed, 19 Aug 2009 18:28:00 Etc/GMT", "2009-08-19T18:28:00Z"},
        DateCase{"Thu, 01 Jan 2004 19:48:21 Z", "2004-01-01T19:48:21Z"},
        DateCase{"Thu, 01 Jan 2004 19:48:21 A", "2004-01-01T18:48:21Z"},
        DateCase{"Sun Jan  4 16:29:06 2004", "2004-01-04T16:29:06Z"},
        DateCase{"Sun Jul 15 01:16:00 +0000 2012", "2012-07-15T01:16:00Z"},
        DateCase{"Thu Aug 30 2012 17:26:16 +0200", "2012-08-30T15:26:16Z"},
        DateCase{"Κυρ, 11 Ιούλ 2004 12:00:00 EST", "2004-07-11T17:00:00Z"},
        DateCase{"Tue, 14 May 2024 09:12:00 +0000 (UTC)", "2024-05-14T09:12:00Z"},
        DateCase{"Sun, 16 Dec 2012 1:47:32 PM GMT", "2012-12-16T13:47:32Z"},
        DateCase{"Sun, 16 Dec 2012 12:05 AM GMT", "2012-12-16T00:05:00Z"}));

INSTANTIATE_TEST_SUITE_P(
    Iso8601, ParseDateTest,
    ::testing::Values(
        DateCase{"2003-12-31T10:14:55Z", "2003-12-31T10:14:55Z"},
        DateCase{"2003-12-31T18:14:55+08:00", "2003-12-31T10:14:55Z"},
        DateCase{"2003-12-31T10:14:55.1234Z", "2003-12-31T10:14:55Z"},
        DateCase{"2003-12-31T10:14:55-0800", "2003-12-31T18:14:55Z"},
        DateCase{"2003-12-31T10:14Z", "2003-12-31T10:14:00Z"},
        DateCase{"2003-12-31T10:14:55", "2003-12-31T10:14:55Z"},
        DateCase{"2004-07-08 23:56:58", "2004-07-08T23:56:58Z"},
        DateCase{"2003-12-31", "2003-12-31T00:00:00Z"},
        DateCase{"2003-12", "2003-12-01T00:00:00Z"},
        DateCase{"2003", "2003-01-01T00:00:00Z"},
        DateCase{"20031231T101455Z", "2003-12-31T10:14:55Z"},
        DateCase{"2003-335", "2003-12-01T00:00:00Z"},
        DateCase{"2004-W01-1", "2003-12-29T00:00:00Z"},
        DateCase{"2000-02-28T18:14:55-08:00", "2000-02-29T02:14:55Z"},
        DateCase{"2004-05-25 오후 11:23:17", "2004-05-25T14:23:17Z"}));

INSTANTIATE_TEST_SUITE_P(
    Invalid, ParseDateTest,
    ::testing::Values(
        DateCase{"", nullptr}, DateCase{"   ", nullptr}, DateCase{"yesterday", nullptr},
        DateCase{"2003-12-31T25:00:00Z", nullptr},
        DateCase{"2003-12-31T10:61:55Z", nullptr},
        DateCase{"2003-02-30", nullptr}, DateCase{"2003-13-01", nullptr},
        DateCase{"Sun, 99 Jun 2009 12:00:00 GMT", nullptr},
        DateCase{"Sun, 16 zzz 2012 11:47:32 GMT", nullptr},
        DateCase{"Sun, 16 Dec 2012 11:47:32 +00:zz", nullptr},
        DateCase{"Sun, 16 Dec 2012 11:47:32 XYZT", nullptr},
        DateCase{"2013-01-27-01", nullptr}, DateCase{"013", nullptr}));

}  // namespace
}  // namespace assay::parsers
