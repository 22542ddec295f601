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

TEST(KeysTest, StoryKeyRoundTripsAndStartsWithItsPrefix) {
  for (uint8_t band = 0; band < kSimhashBands; ++band) {
    for (uint16_t bits : {uint16_t{0}, uint16_t{1}, uint16_t{0x80ff}, uint16_t{0xffff}}) {
      const std::string key = StoryKey::Encode(band, bits, "u:x");
      EXPECT_TRUE(key.starts_with(StoryKey::EncodePrefix(band, bits)));
      EXPECT_EQ(StoryKey::EncodePrefix(band, bits).size(), kStoryKeyPrefixSize);
      std::optional<StoryKey> back = StoryKey::Decode(key);
      ASSERT_TRUE(back.has_value());
      EXPECT_EQ(back->band, band);
      EXPECT_EQ(back->bits, bits);
      EXPECT_EQ(back->article_id, "u:x");
    }
  }
  EXPECT_FALSE(StoryKey::Decode("\x04\x00\x00x").has_value()) << "band 4 does not exist";
  EXPECT_FALSE(StoryKey::Decode("\x01\x00").has_value());
}

TEST(KeysTest, StoryValueRoundTrips) {
  const std::string v = StoryValue::Encode(0xfedcba9876543210, "u:story");
  std::optional<StoryValue> back = StoryValue::Decode(v);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->simhash, 0xfedcba9876543210u);
  EXPECT_EQ(back->story_id, "u:story");
  EXPECT_FALSE(StoryValue::Decode("1234567").has_value());
}

TEST(KeysTest, SimhashBandsAreSixteenBitSlicesMostSignificantFirst) {
  const uint64_t h = 0x1111222233334444;
  EXPECT_EQ(SimhashBand(h, 0), 0x1111);
  EXPECT_EQ(SimhashBand(h, 1), 0x2222);
  EXPECT_EQ(SimhashBand(h, 2), 0x3333);
  EXPECT_EQ(SimhashBand(h, 3), 0x4444);
}

TEST(KeysTest, HashesWithinThreeBitsShareABand) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t a = rng();
    uint64_t b = a;
    for (int flips = static_cast<int>(rng() % 4); flips > 0; --flips) {
      b ^= uint64_t{1} << (rng() % 64);
    }
    ASSERT_LE(HammingDistance(a, b), 3);
    bool shared = false;
    for (int band = 0; band < kSimhashBands; ++band) {
      shared = shared || SimhashBand(a, band) == SimhashBand(b, band);
    }
    ASSERT_TRUE(shared) << std::hex << a << " " << b;
  }
}

}  // namespace
}  // namespace assay::storage::internal
