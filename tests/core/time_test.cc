#include "core/time.h"

#include <gtest/gtest.h>

namespace assay {
namespace {

using namespace std::chrono_literals;

TEST(TimeTest, FormatsAndParsesRfc3339) {
  const UnixSeconds t = std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + 13h + 53min + 18s;
  EXPECT_EQ(FormatRfc3339(t), "2026-11-28T13:53:18Z");
  EXPECT_EQ(ParseRfc3339("2026-11-28T13:53:18Z"), t);
  EXPECT_EQ(ParseRfc3339("2026-11-28T14:53:18.250+01:00"), t);
  EXPECT_EQ(FormatRfc3339Micros(UnixMicros(t) + 1500us), "2026-11-28T13:53:18.001500Z");
}

TEST(TimeTest, RejectsInvalidRfc3339) {
  EXPECT_FALSE(ParseRfc3339("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-11-28T25:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-11-28"));
  EXPECT_FALSE(ParseRfc3339("2026-11-28T13:53:18Zjunk"));
}

TEST(TimeTest, ParsesDurationsWithUnits) {
  EXPECT_EQ(*ParseDuration("90s"), std::chrono::seconds(90));
  EXPECT_EQ(*ParseDuration("15m"), std::chrono::minutes(15));
  EXPECT_EQ(*ParseDuration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(*ParseDuration("7d"), std::chrono::hours(24 * 7));
  EXPECT_EQ(*ParseDuration("2w"), std::chrono::hours(24 * 14));
  EXPECT_EQ(*ParseDuration("0s"), std::chrono::seconds(0));
  for (const char* bad : {"", "10", "h", "3 days", "5y", "-1h", "99999999999s", "40000w"}) {
    Result<std::chrono::seconds> d = ParseDuration(bad);
    ASSERT_FALSE(d.has_value()) << bad;
    EXPECT_NE(d.error().message().find("bad duration '" + std::string(bad) + "'"),
              std::string::npos)
        << d.error().message();
  }
}

TEST(TimeTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(UnixMicros(1000s));
  EXPECT_EQ(clock.NowSeconds(), UnixSeconds(1000s));
  clock.Advance(90s);
  EXPECT_EQ(clock.NowSeconds(), UnixSeconds(1090s));
}

}  // namespace
}  // namespace assay
