#include "storage/internal/keys.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace assay::storage::internal {
namespace {

using std::chrono::microseconds;

UnixMicros Micros(int64_t v) { return UnixMicros(microseconds(v)); }

TEST(KeysTest, TimeRoundTripsAcrossTheRange) {
  const std::vector<int64_t> cases = {0,
                                      1,
                                      -1,
                                      1'764'337'998'123'456,  // 2025
                                      -86'400'000'000,
                                      std::numeric_limits<int64_t>::max(),
                                      std::numeric_limits<int64_t>::min()};
  for (int64_t v : cases) {
    const std::string key = EncodeTimeMicros(Micros(v));
    ASSERT_EQ(key.size(), 8u);
    std::optional<UnixMicros> back = DecodeTimeMicros(key);
    ASSERT_TRUE(back.has_value()) << v;
    EXPECT_EQ(back->time_since_epoch().count(), v);
  }
  EXPECT_FALSE(DecodeTimeMicros("1234567").has_value());
}

TEST(KeysTest, TimeKeyByteOrderIsTimeOrder) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10000; ++i) {
    const auto a = static_cast<int64_t>(rng());
    // Half the pairs close together, to exercise low bytes.
    const auto b = i % 2 ? static_cast<int64_t>(rng())
                         : a + static_cast<int64_t>(rng() % 512) - 256;
    ASSERT_EQ(a < b, EncodeTimeMicros(Micros(a)) < EncodeTimeMicros(Micros(b)))
        << a << " vs " << b;
  }
}

TEST(KeysTest, SecondsToMicrosSaturatesInsteadOfOverflowing) {
  using std::chrono::seconds;
  EXPECT_EQ(ToMicrosSaturated(UnixSeconds(seconds(2))).time_since_epoch().count(), 2'000'000);
  EXPECT_EQ(ToMicrosSaturated(UnixSeconds(seconds(-3))).time_since_epoch().count(), -3'000'000);
  EXPECT_EQ(ToMicrosSaturated(UnixSeconds(seconds(std::numeric_limits<int64_t>::max())))
                .time_since_epoch()
                .count(),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ToMicrosSaturated(UnixSeconds(seconds(std::numeric_limits<int64_t>::min())))
                .time_since_epoch()
                .count(),
            std::numeric_limits<int64_t>::min());
}

TEST(KeysTest, ArticleTimeKeyRoundTrips) {
  const std::vector<std::string> ids = {"", "u:https://example.com/a", std::string("g:\0x", 4)};
  for (const std::string& id : ids) {
    const std::string key = ArticleTimeKey::Encode(Micros(1'700'000'000'000'000), id);
    std::optional<ArticleTimeKey> back = ArticleTimeKey::Decode(key);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->fetched, Micros(1'700'000'000'000'000));
    EXPECT_EQ(back->article_id, id);
  }
  EXPECT_FALSE(ArticleTimeKey::Decode("short").has_value());
}

TEST(KeysTest, ArticleTimeValueRoundTrips) {
  for (const std::string& story : {std::string(""), std::string("u:story"), std::string(300, 's')}) {
    const std::string v = internal::ArticleTimeValue::Encode(story, std::string("\x01sig\0", 5));
    std::optional<internal::ArticleTimeValue> back = internal::ArticleTimeValue::Decode(v);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->story_id, story);
    EXPECT_EQ(back->signature, std::string("\x01sig\0", 5));
  }
  EXPECT_FALSE(internal::ArticleTimeValue::Decode("").has_value());
  EXPECT_FALSE(internal::ArticleTimeValue::Decode(std::string("\x05") + "abc").has_value()) << "length past the end";
  EXPECT_FALSE(internal::ArticleTimeValue::Decode("\xff\xff").has_value());
}

}  // namespace
}  // namespace assay::storage::internal
