#include "daemon/metrics.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/testing/prometheus_text.h"

namespace assay::daemon {
namespace {

using namespace std::chrono_literals;

FetchResult Fetched(FetchError error, long status, std::string body = "",
                    std::chrono::milliseconds elapsed = 10ms) {
  FetchResult r;
  r.error = error;
  r.http_status = status;
  r.body = std::move(body);
  r.elapsed = elapsed;
  return r;
}

TEST(MetricsTest, FetchOutcomesAreLabelledByWhatHappened) {
  struct Case {
    FetchError error;
    long status;
    std::string_view label;
  };
  const Case cases[] = {
      {FetchError::kNone, 200, "ok"},
      {FetchError::kNone, 0, "ok"},  // file://
      {FetchError::kNone, 304, "not_modified"},
      {FetchError::kNone, 404, "http_error"},
      {FetchError::kNone, 503, "http_error"},
      {FetchError::kTimeout, 0, "timeout"},
      {FetchError::kNetwork, 0, "network"},
      {FetchError::kTooLarge, 200, "too_large"},
      {FetchError::kForbiddenAddress, 0, "forbidden_address"},
      {FetchError::kBadRedirect, 301, "bad_redirect"},
      {FetchError::kCancelled, 0, ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FetchOutcomeLabel(Fetched(c.error, c.status)), c.label)
        << static_cast<int>(c.error) << " " << c.status;
  }
}

TEST(MetricsTest, FreshRegistryRendersValidExpositionWithEveryFamily) {
  Metrics m;
  testing::Exposition e = testing::ParseExposition(m.Render());
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.types["assay_fetches_total"], "counter");
  EXPECT_EQ(e.types["assay_fetch_duration_seconds"], "histogram");
  EXPECT_EQ(e.types["assay_feeds_failing"], "gauge");
  EXPECT_EQ(e.types["assay_events_total"], "counter");
  EXPECT_EQ(e.Get("assay_fetches_total{outcome=\"ok\"}"), 0);
  EXPECT_EQ(e.Get("assay_alerts{state=\"firing\"}"), 0);
  EXPECT_EQ(e.Get("assay_outbox_depth"), 0);
  EXPECT_EQ(e.Get("assay_fetch_duration_seconds_count"), 0);
}

TEST(MetricsTest, CountersAndHistogramMoveWithFetches) {
  Metrics m;
  m.CountFetch(Fetched(FetchError::kNone, 200, "12345", 70ms));
  m.CountFetch(Fetched(FetchError::kNone, 304, "", 3ms));
  m.CountFetch(Fetched(FetchError::kTimeout, 0, "", 60s));
  m.CountFetch(Fetched(FetchError::kCancelled, 0, "ignored", 1ms));
  testing::Exposition e = testing::ParseExposition(m.Render());
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.Get("assay_fetches_total{outcome=\"ok\"}"), 1);
  EXPECT_EQ(e.Get("assay_fetches_total{outcome=\"not_modified\"}"), 1);
  EXPECT_EQ(e.Get("assay_fetches_total{outcome=\"timeout\"}"), 1);
  EXPECT_EQ(e.Get("assay_fetch_body_bytes_total"), 5);
  // Buckets are cumulative and inclusive of their bound.
  EXPECT_EQ(e.Get("assay_fetch_duration_seconds_bucket{le=\"0.05\"}"), 1);
  EXPECT_EQ(e.Get("assay_fetch_duration_seconds_bucket{le=\"0.1\"}"), 2);
  EXPECT_EQ(e.Get("assay_fetch_duration_seconds_bucket{le=\"30\"}"), 2);
  EXPECT_EQ(e.Get("assay_fetch_duration_seconds_bucket{le=\"60\"}"), 3);
  EXPECT_EQ(e.Get("assay_fetch_duration_seconds_bucket{le=\"+Inf\"}"), 3);
  EXPECT_EQ(e.Get("assay_fetch_duration_seconds_count"), 3);
  EXPECT_NEAR(*e.Get("assay_fetch_duration_seconds_sum"), 60.073, 1e-9);
}

TEST(MetricsTest, ArticlesEventsAndHooksAreRendered) {
  Metrics m;
  m.CountArticles(3, 1, 7);
  m.CountEvent({"export-control", "lithium"});
  m.CountEvent({"export-control"});
  m.CountRuleEvaluation(1500ms, 4);
  m.SetFeeds(10, 2);
  m.SetStoreSize(4096);
  m.SetAlertCount("firing", 3);
  m.SetAlertCount("acknowledged", 1);
  m.SetOutbox(5, 90s);
  testing::Exposition e = testing::ParseExposition(m.Render());
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.Get("assay_articles_total{change=\"new\"}"), 3);
  EXPECT_EQ(e.Get("assay_articles_total{change=\"updated\"}"), 1);
  EXPECT_EQ(e.Get("assay_articles_total{change=\"duplicate\"}"), 7);
  EXPECT_EQ(e.Get("assay_events_total{tag=\"export-control\"}"), 2);
  EXPECT_EQ(e.Get("assay_events_total{tag=\"lithium\"}"), 1);
  EXPECT_EQ(e.Get("assay_rule_evaluation_seconds_total"), 1.5);
  EXPECT_EQ(e.Get("assay_rule_evaluations_total"), 4);
  EXPECT_EQ(e.Get("assay_feeds"), 10);
  EXPECT_EQ(e.Get("assay_feeds_failing"), 2);
  EXPECT_EQ(e.Get("assay_store_size_bytes"), 4096);
  EXPECT_EQ(e.Get("assay_alerts{state=\"firing\"}"), 3);
  EXPECT_EQ(e.Get("assay_alerts{state=\"acknowledged\"}"), 1);
  EXPECT_EQ(e.Get("assay_alerts{state=\"resolved\"}"), 0);
  EXPECT_EQ(e.Get("assay_outbox_depth"), 5);
  EXPECT_EQ(e.Get("assay_outbox_oldest_pending_age_seconds"), 90);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics m;
  m.CountEvent({"a\"b\\c\nd"});
  const std::string text = m.Render();
  EXPECT_NE(text.find("assay_events_total{tag=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
  EXPECT_TRUE(testing::ParseExposition(text).ok());
}

TEST(MetricsTest, ConcurrentCountsAreNotLost) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) {
        m.CountFetch(Fetched(FetchError::kNone, 200, "x"));
        m.CountEvent({"tag"});
      }
    });
  }
  for (std::thread& t : threads) t.join();
  testing::Exposition e = testing::ParseExposition(m.Render());
  EXPECT_EQ(e.Get("assay_fetches_total{outcome=\"ok\"}"), 4000);
  EXPECT_EQ(e.Get("assay_fetch_duration_seconds_count"), 4000);
  EXPECT_EQ(e.Get("assay_events_total{tag=\"tag\"}"), 4000);
}

}  // namespace
}  // namespace assay::daemon
