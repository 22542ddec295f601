// Store::DropOlderThan: what goes (events, their index entries, articles,
// article_time entries), what stays, batching, counters.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/internal/keys.h"
#include "storage/store.h"
#include "tests/storage/log_fixture.h"
#include "tests/storage/test_util.h"

namespace assay::storage {
namespace {

using testing::LogTest;
using testing::Seconds;
using Names = std::vector<std::string>;

class RetentionTest : public LogTest {};

// The raw keys of `family` (store closed and reopened around the read).
std::vector<std::string> Keys(const std::string& path, std::string_view family) {
  std::vector<std::string> out;
  for (const auto& [k, v] : testing::RawEntries(path, family)) out.push_back(k);
  return out;
}

TEST_F(RetentionTest, DropsEventsIndexEntriesAndArticlesBeforeTheCutoff) {
  Add({.id = "old", .fetched = 1000, .event = 1000});
  Add({.id = "mid", .fetched = 2000, .event = 2000, .tags = {"trade_bloc"}});
  Add({.id = "new", .fetched = 3000, .event = 3000});
  Add({.id = "untagged-old", .fetched = 1500, .with_event = false});

  Result<RetentionCounts> r = store_->DropOlderThan(Seconds(2500));
  ASSERT_OK(r);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->events, 2u);
  // Per event: tag, mineral, country, feed, story and the 'a' pointer.
  EXPECT_EQ(r->index_entries, 12u);
  EXPECT_EQ(r->articles, 3u);
  EXPECT_EQ(r->article_time_entries, 3u);

  EXPECT_EQ(Ids(), Names{"new"});
  EXPECT_EQ(store_->Counts().events, 1u);
  EXPECT_EQ(store_->Counts().articles, 1u);
  Result<std::optional<Article>> gone = store_->GetArticle("old");
  ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(Verify().ok()) << ::testing::PrintToString(Verify().problems);

  Close();
  const std::string new_key = internal::EventKey::Encode(Seconds(3000), "new");
  for (const std::string& k : Keys(path(), internal::kIndexFamily)) {
    EXPECT_TRUE(k.ends_with(new_key) || k == "anew") << "left behind: " << k;
  }
  EXPECT_EQ(Keys(path(), internal::kArticlesFamily), Names{"new"});
  EXPECT_EQ(Keys(path(), internal::kArticleTimeFamily).size(), 1u);
  Reopen();
  EXPECT_EQ(store_->Counts().events, 1u) << "the counters were written with the deletions";
  EXPECT_EQ(store_->Counts().articles, 1u);
}

TEST_F(RetentionTest, NothingOlderLeavesTheStoreAsItWas) {
  Add({.id = "a", .fetched = 1000, .event = 1000});
  Result<RetentionCounts> r = store_->DropOlderThan(Seconds(1000));  // the cutoff is exclusive
  ASSERT_OK(r);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->events + r->articles + r->batches, 0u);
  EXPECT_EQ(Ids(), Names{"a"});
}

TEST_F(RetentionTest, RunsInBoundedBatchesAndResumesOnTheNextCall) {
  for (int i = 0; i < 10; ++i) {
    Add({.id = "e" + std::to_string(i), .fetched = 100 + i, .event = 100 + i});
  }
  Add({.id = "keep", .fetched = 5000, .event = 5000});
  const RetentionOptions options{.batch_records = 3, .max_batches = 2};

  Result<RetentionCounts> first = store_->DropOlderThan(Seconds(1000), options);
  ASSERT_OK(first);
  EXPECT_FALSE(first->complete);
  EXPECT_EQ(first->batches, 2u);
  EXPECT_EQ(first->events, 6u);
  EXPECT_EQ(Ids().size(), 5u) << "the oldest six went first";
  EXPECT_EQ(store_->Counts().events, 5u);

  uint64_t calls = 1, events = first->events, articles = first->articles;
  for (;;) {
    Result<RetentionCounts> r = store_->DropOlderThan(Seconds(1000), options);
    ASSERT_OK(r);
    ++calls;
    EXPECT_LE(r->batches, 2u);
    events += r->events;
    articles += r->articles;
    if (r->complete) break;
    ASSERT_LT(calls, 20u) << "retention does not progress";
  }
  EXPECT_EQ(events, 10u);
  EXPECT_EQ(articles, 10u);
  EXPECT_EQ(Ids(), Names{"keep"});
  EXPECT_TRUE(Verify().ok()) << ::testing::PrintToString(Verify().problems);
}

TEST_F(RetentionTest, AnArticleFetchedAgainAfterTheCutoffStaysWithoutItsOldEvent) {
  Add({.id = "edited", .fetched = 1000, .event = 1000});
  // Re-fetched with new content later: same event key (time 1000), newer
  // fetch time.
  Add({.id = "edited", .fetched = 4000, .event = 4000, .content_hash = 2});
  ASSERT_EQ(Ids(), Names{"edited"});

  Result<RetentionCounts> r = store_->DropOlderThan(Seconds(2000));
  ASSERT_OK(r);
  EXPECT_EQ(r->events, 1u);
  EXPECT_EQ(r->articles, 0u);
  EXPECT_TRUE(Ids().empty());
  Result<std::optional<Article>> kept = store_->GetArticle("edited");
  ASSERT_OK(kept);
  EXPECT_TRUE(kept->has_value());
  Result<std::optional<Event>> event = store_->GetEventForArticle("edited");
  ASSERT_OK(event);
  EXPECT_FALSE(event->has_value());
  EXPECT_TRUE(Verify().ok()) << ::testing::PrintToString(Verify().problems);
}

TEST_F(RetentionTest, AnOldArticleTakesItsNewerEventWithIt) {
  // An event time after the article's fetch time (a clock step): the event
  // survives the events pass but not its article's deletion.
  Add({.id = "skewed", .fetched = 1000, .event = 3000});
  Result<RetentionCounts> r = store_->DropOlderThan(Seconds(2000));
  ASSERT_OK(r);
  EXPECT_EQ(r->articles, 1u);
  EXPECT_EQ(r->events, 1u);
  EXPECT_TRUE(Ids().empty());
  EXPECT_EQ(store_->Counts().events, 0u);
  EXPECT_TRUE(Verify().ok()) << ::testing::PrintToString(Verify().problems);
}

TEST_F(RetentionTest, ASecondaryRefuses) {
  Add({.id = "a", .fetched = 1000, .event = 1000});
  auto secondary = Store::OpenSecondary(path(), dir_.Sub("scratch"));
  ASSERT_OK(secondary);
  Result<RetentionCounts> r = (*secondary)->DropOlderThan(Seconds(2000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace assay::storage
