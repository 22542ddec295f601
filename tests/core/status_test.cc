#include "core/status.h"

#include <gtest/gtest.h>

namespace assay {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s = InvalidArgument("a.yaml:3:5: feeds[0].url: empty");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.ToString(), "InvalidArgument: a.yaml:3:5: feeds[0].url: empty");
  EXPECT_EQ(s.WithContext("loading").message(), "loading: a.yaml:3:5: feeds[0].url: empty");
}

Result<int> Half(int v) {
  if (v % 2) return InvalidArgument("odd");
  return v / 2;
}

Status UseHalf(int v, int* out) {
  Result<int> r = Half(v);
  if (!r) return r.error();
  *out = *r;
  return Status::Ok();
}

TEST(ResultTest, HoldsValueOrError) {
  int out = 0;
  EXPECT_TRUE(UseHalf(4, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = UseHalf(3, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Half(3).status().message(), "odd");
  EXPECT_TRUE(Half(2).status().ok());
}

}  // namespace
}  // namespace assay
