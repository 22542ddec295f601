#include "storage/internal/coding.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/storage/test_util.h"

namespace assay::storage::internal {
namespace {

using testing::RandomArticle;
using testing::RandomFeedState;

TEST(CodingTest, VarintRoundTripsAndHasExpectedLength) {
  struct Case {
    uint64_t value;
    size_t length;
  };
  const std::vector<Case> cases = {
      {0, 1},           {1, 1},           {127, 1},
      {128, 2},         {300, 2},         {16383, 2},
      {16384, 3},       {uint64_t{1} << 32, 5}, {std::numeric_limits<uint64_t>::max(), 10},
  };
  for (const Case& c : cases) {
    std::string buf;
    PutVarint64(&buf, c.value);
    EXPECT_EQ(buf.size(), c.length) << c.value;
    Reader r(buf);
    uint64_t out = 0;
    ASSERT_TRUE(r.GetVarint64(&out)) << c.value;
    EXPECT_EQ(out, c.value);
    EXPECT_TRUE(r.empty());
  }
}

TEST(CodingTest, SignedVarintRoundTripsExtremes) {
  const std::vector<int64_t> cases = {0,  1,  -1, 63, -64, 64, -65,
                                      std::numeric_limits<int64_t>::max(),
                                      std::numeric_limits<int64_t>::min()};
  for (int64_t v : cases) {
    std::string buf;
    PutSignedVarint64(&buf, v);
    Reader r(buf);
    int64_t out = 0;
    ASSERT_TRUE(r.GetSignedVarint64(&out)) << v;
    EXPECT_EQ(out, v);
    EXPECT_TRUE(r.empty());
  }
  std::string small;
  PutSignedVarint64(&small, -64);
  EXPECT_EQ(small.size(), 1u) << "zigzag keeps small negatives short";
}

TEST(CodingTest, MalformedVarintsAreRejected) {
  const std::vector<std::string> cases = {
      "",                                   // nothing
      "\x80",                               // continuation, then end
      "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02",  // bit 64 set: overflow
      std::string(11, '\x80'),              // never terminates within 10 bytes
  };
  for (const std::string& c : cases) {
    Reader r(c);
    uint64_t out = 0;
    EXPECT_FALSE(r.GetVarint64(&out)) << ::testing::PrintToString(c);
  }
}

TEST(CodingTest, FixedWidthIntegersHaveTheirByteOrder) {
  std::string le;
  PutFixed64(&le, 0x0102030405060708);
  EXPECT_EQ(le, std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  std::string be;
  PutFixed64BigEndian(&be, 0x0102030405060708);
  EXPECT_EQ(be, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  std::string le32;
  PutFixed32(&le32, 0x01020304);
  EXPECT_EQ(le32, std::string("\x04\x03\x02\x01", 4));
  EXPECT_EQ(DecodeFixed32(le32.data()), 0x01020304u);
  Reader r(be);
  uint64_t v = 0;
  ASSERT_TRUE(r.GetFixed64BigEndian(&v));
  EXPECT_EQ(v, 0x0102030405060708u);
}

TEST(CodingTest, LengthPrefixedLongerThanInputIsRejected) {
  std::string buf;
  PutVarint64(&buf, 5);
  buf += "abcd";
  Reader r(buf);
  std::string s;
  EXPECT_FALSE(r.GetLengthPrefixed(&s));
}

TEST(CodingTest, CountLargerThanRemainingBytesIsRejected) {
  std::string buf;
  PutVarint64(&buf, 1'000'000'000'000);
  buf += "xyz";
  Reader r(buf);
  uint64_t n = 0;
  EXPECT_FALSE(r.GetCount(&n, 1));
}

TEST(CodingTest, DefaultArticleRoundTrips) {
  const Article a;
  Result<Article> back = DecodeArticle(EncodeArticle(a));
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, a);
}

TEST(CodingTest, RandomArticlesRoundTripEveryField) {
  std::mt19937_64 rng(20240601);
  for (int i = 0; i < 2000; ++i) {
    const Article a = RandomArticle(rng);
    Result<Article> back = DecodeArticle(EncodeArticle(a));
    ASSERT_TRUE(back) << back.error().ToString();
    ASSERT_EQ(*back, a) << "iteration " << i;
  }
}

TEST(CodingTest, RandomFeedStatesRoundTripEveryField) {
  std::mt19937_64 rng(77);
  for (int i = 0; i < 2000; ++i) {
    const FeedState f = RandomFeedState(rng);
    Result<FeedState> back = DecodeFeedState(EncodeFeedState(f));
    ASSERT_TRUE(back) << back.error().ToString();
    ASSERT_EQ(*back, f) << "iteration " << i;
  }
}

TEST(CodingTest, EveryTruncationOfAnArticleIsCorruption) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 50; ++i) {
    const std::string bytes = EncodeArticle(RandomArticle(rng));
    for (size_t len = 0; len < bytes.size(); ++len) {
      Result<Article> r = DecodeArticle(std::string_view(bytes).substr(0, len));
      ASSERT_FALSE(r) << "prefix of " << len << " of " << bytes.size() << " bytes decoded";
      ASSERT_EQ(r.error().code(), StatusCode::kCorruption) << r.error().ToString();
    }
  }
}

TEST(CodingTest, EveryTruncationOfAFeedStateIsCorruption) {
  std::mt19937_64 rng(6);
  for (int i = 0; i < 50; ++i) {
    const std::string bytes = EncodeFeedState(RandomFeedState(rng));
    for (size_t len = 0; len < bytes.size(); ++len) {
      Result<FeedState> r = DecodeFeedState(std::string_view(bytes).substr(0, len));
      ASSERT_FALSE(r) << "prefix of " << len << " of " << bytes.size() << " bytes decoded";
      ASSERT_EQ(r.error().code(), StatusCode::kCorruption) << r.error().ToString();
    }
  }
}

TEST(CodingTest, TrailingBytesAreCorruption) {
  std::string a = EncodeArticle(Article{});
  a.push_back('x');
  Result<Article> ra = DecodeArticle(a);
  ASSERT_FALSE(ra);
  EXPECT_EQ(ra.error().code(), StatusCode::kCorruption);
  EXPECT_NE(ra.error().message().find("trailing"), std::string::npos) << ra.error().message();

  std::string f = EncodeFeedState(FeedState{});
  f.push_back('x');
  Result<FeedState> rf = DecodeFeedState(f);
  ASSERT_FALSE(rf);
  EXPECT_EQ(rf.error().code(), StatusCode::kCorruption);
}

TEST(CodingTest, UnknownRecordVersionIsCorruptionNamingIt) {
  std::string a = EncodeArticle(Article{});
  a[0] = 9;
  Result<Article> r = DecodeArticle(a);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kCorruption);
  EXPECT_NE(r.error().message().find("version 9"), std::string::npos) << r.error().message();
}

TEST(CodingTest, OutOfRangeFieldValuesAreCorruption) {
  // The byte after six empty strings is the outcome.
  std::string f = EncodeFeedState(FeedState{});
  ASSERT_EQ(f[7], static_cast<char>(FetchOutcome::kNever));
  f[7] = 4;
  Result<FeedState> r = DecodeFeedState(f);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("outcome"), std::string::npos) << r.error().message();

  // A category count the bytes cannot hold: refused before allocating.
  std::string a(1, static_cast<char>(kArticleRecordVersion));
  for (int i = 0; i < 8; ++i) PutLengthPrefixed(&a, "");
  PutVarint64(&a, uint64_t{1} << 60);
  Result<Article> ra = DecodeArticle(a);
  ASSERT_FALSE(ra);
  EXPECT_NE(ra.error().message().find("categories"), std::string::npos)
      << ra.error().message();
}

TEST(CodingTest, GarbledBytesDecodeOrFailWithCorruptionNeverCrash) {
  std::mt19937_64 rng(99);
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = i % 2 ? EncodeArticle(RandomArticle(rng))
                              : EncodeFeedState(RandomFeedState(rng));
    for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xff);
    }
    const Status s = i % 2 ? DecodeArticle(bytes).status() : DecodeFeedState(bytes).status();
    if (!s.ok()) {
      ASSERT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0) << "no garbled value was ever rejected";
}

}  // namespace
}  // namespace assay::storage::internal
