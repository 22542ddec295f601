// A store in a temp dir with a helper that writes one article and its
// event, for the retention and maintenance tests.
#ifndef ASSAY_TESTS_STORAGE_LOG_FIXTURE_H_
#define ASSAY_TESTS_STORAGE_LOG_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/store.h"
#include "tests/storage/test_util.h"

namespace assay::storage::testing {

inline UnixMicros Seconds(int64_t s) {
  return UnixMicros(std::chrono::microseconds(s * 1'000'000));
}

struct LogEntry {
  std::string id;
  int64_t fetched = 0;  // seconds
  int64_t event = 0;    // seconds; the event's time
  std::vector<std::string> tags = {"export_controls"};
  std::vector<std::string> minerals = {"gallium"};
  std::vector<std::string> countries = {"CN"};
  std::string title = "title";
  std::string summary = "summary";
  std::string feed = "https://a.example/feed";
  bool with_event = true;
  uint64_t content_hash = 1;
};

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  std::string path() const { return dir_.Sub("store"); }
  void Close() { store_.reset(); }
  void Reopen() {
    store_.reset();
    auto s = Store::Open(path(), {});
    ASSERT_TRUE(s) << s.error().ToString();
    store_ = std::move(*s);
  }

  // Writes (or updates) one article with its event through Plan/Apply.
  void Add(const LogEntry& entry) {
    Article a;
    a.id = entry.id;
    a.feed_url = entry.feed;
    a.title = entry.title;
    a.summary = entry.summary;
    a.fetched = UnixSeconds(std::chrono::seconds(entry.fetched));
    a.content_hash = entry.content_hash;
    FeedState feed;
    feed.url = entry.feed;
    Result<IngestPlan> plan = store_->Plan(feed, {a});
    ASSERT_TRUE(plan) << plan.error().ToString();
    if (entry.with_event) {
      Event e;
      e.time = Seconds(entry.event);
      e.tags = entry.tags;
      e.minerals = entry.minerals;
      e.countries = entry.countries;
      e.score = 2;
      e.severity = "medium";
      e.pack_version = "test@1";
      plan->items.at(0).event = e;
    }
    ASSERT_OK(store_->Apply(*plan));
  }

  std::vector<std::string> Ids(EventQuery q = {}) {
    q.limit = 0;
    Result<std::vector<Event>> r = store_->Events(q);
    EXPECT_TRUE(r) << r.error().ToString();
    std::vector<std::string> out;
    if (r) {
      for (const Event& e : *r) out.push_back(e.article_id);
    }
    return out;
  }

  VerifyReport Verify() {
    Result<VerifyReport> r = store_->Verify();
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? *r : VerifyReport{};
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace assay::storage::testing

#endif  // ASSAY_TESTS_STORAGE_LOG_FIXTURE_H_
