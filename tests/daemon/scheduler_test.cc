#include "daemon/scheduler.h"

#include <gtest/gtest.h>

namespace assay::daemon {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;

const UnixSeconds kNow{1'790'000'000s};

FeedState StateAfter(FetchOutcome outcome, uint32_t failures = 0, int64_t hint = 0) {
  FeedState s;
  s.outcome = outcome;
  s.consecutive_failures = failures;
  s.hint_seconds = hint;
  return s;
}

TEST(SchedulerTest, HealthyFeedWaitsItsInterval) {
  config::FetchConfig fetch;
  EXPECT_EQ(NextAttempt(StateAfter(FetchOutcome::kOk), 0s, kNow, fetch, 0.0), kNow + 15min);
  EXPECT_EQ(NextAttempt(StateAfter(FetchOutcome::kNotModified), 5min, kNow, fetch, 0.0), kNow + 5min);
  // Jitter stretches by at most 10%.
  EXPECT_EQ(NextAttempt(StateAfter(FetchOutcome::kOk), 10min, kNow, fetch, 0.5), kNow + 10min + 30s);
}

TEST(SchedulerTest, IntervalHasAFloor) {
  config::FetchConfig fetch;
  EXPECT_EQ(NextAttempt(StateAfter(FetchOutcome::kOk), 5s, kNow, fetch, 0.0), kNow + 1min);
}

TEST(SchedulerTest, FeedHintRaisesTheIntervalUpToTheCap) {
  config::FetchConfig fetch;
  EXPECT_EQ(NextAttempt(StateAfter(FetchOutcome::kOk, 0, 7200), 15min, kNow, fetch, 0.0), kNow + 2h);
  EXPECT_EQ(NextAttempt(StateAfter(FetchOutcome::kOk, 0, 60), 15min, kNow, fetch, 0.0), kNow + 15min);
  EXPECT_EQ(NextAttempt(StateAfter(FetchOutcome::kOk, 0, 1'000'000'000), 15min, kNow, fetch, 0.0),
            kNow + 24h);
}

TEST(SchedulerTest, FailuresBackOffExponentiallyWithEqualJitter) {
  config::FetchConfig fetch;
  struct Case {
    uint32_t failures;
    double jitter;
    seconds expected;
  } cases[] = {
      {1, 0.0, 450s},  {1, 0.999999, 899s}, {2, 0.0, 15min}, {3, 0.0, 30min},
      {4, 1.0, 2h},    {8, 0.0, 12h},       {9, 0.0, 12h},   {40, 1.0, 24h},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(NextAttempt(StateAfter(FetchOutcome::kFailed, c.failures), 0s, kNow, fetch, c.jitter),
              kNow + c.expected)
        << "failures=" << c.failures << " jitter=" << c.jitter;
  }
}

TEST(SchedulerTest, RetryAfterIsHonouredButCapped) {
  config::FetchConfig fetch;
  EXPECT_EQ(NextAttempt(StateAfter(FetchOutcome::kFailed, 1, 3h / 1s), 0s, kNow, fetch, 0.0), kNow + 3h);
  EXPECT_EQ(NextAttempt(StateAfter(FetchOutcome::kFailed, 1, 999'999'999), 0s, kNow, fetch, 0.0),
            kNow + 24h);
}

}  // namespace
}  // namespace assay::daemon
