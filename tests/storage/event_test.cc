// Events and their index entries, written with their article in one batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "storage/internal/coding.h"
#include "storage/internal/keys.h"
#include "storage/store.h"
#include "tests/storage/test_util.h"

namespace assay::storage {
namespace {

using std::chrono::seconds;
using testing::RawEntries;
using testing::TempDir;

Article MakeArticle(const std::string& id, uint64_t content_hash) {
  Article a;
  a.id = id;
  a.feed_url = "https://feeds.example/minerals.xml";
  a.title = "title " + id;
  a.fetched = UnixSeconds(seconds(1'790'000'000));
  a.content_hash = content_hash;
  a.story_signature = "sig:" + id;
  return a;
}

Event MakeEvent(int64_t micros, std::vector<std::string> tags, std::vector<std::string> minerals) {
  Event e;
  e.time = UnixMicros(std::chrono::microseconds(micros));
  e.tags = std::move(tags);
  e.minerals = std::move(minerals);
  e.countries = {"CN"};
  e.score = 3.5;
  e.severity = "high";
  e.matches = {{"ec.licence", "title", 0, 7, "licence"}};
  e.pack_version = "critical-minerals@1+abc";
  return e;
}

FeedState Feed() {
  FeedState f;
  f.url = "https://feeds.example/minerals.xml";
  f.current_url = f.url;
  return f;
}

class EventTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::Open(dir_.Sub("store"), {});
    ASSERT_TRUE(s) << s.error().ToString();
    store_ = std::move(*s);
  }

  // Ingests `articles`, giving the i-th new or updated one events[i].
  IngestPlan Ingest(std::vector<Article> articles, std::vector<std::optional<Event>> events) {
    Result<IngestPlan> plan = store_->Plan(Feed(), std::move(articles));
    EXPECT_TRUE(plan) << plan.error().ToString();
    for (size_t i = 0; i < plan->items.size() && i < events.size(); ++i) {
      if (plan->items[i].change != ArticleChange::kDuplicate) plan->items[i].event = events[i];
    }
    Status s = store_->Apply(*plan);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return *plan;
  }

  std::vector<std::string> IndexKeys() {
    std::vector<std::string> out;
    for (auto& [k, v] : RawEntries(dir_.Sub("store"), internal::kIndexFamily)) out.push_back(k);
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST(EventCodingTest, RoundTripsEveryField) {
  Event e = MakeEvent(0, {"critical_minerals", "export_controls"}, {"gallium", "germanium"});
  e.article_id = "u:https://x.example/1";
  e.feed_url = "https://feeds.example/a";
  e.story_id = "u:https://y.example/2";
  e.blocs = {"G7"};
  e.matches.push_back({"cm.gallium", "summary", 10, 17, "gallium"});
  Result<Event> back = internal::DecodeEvent(internal::EncodeEvent(e));
  ASSERT_TRUE(back) << back.error().ToString();
  e.time = {};
  EXPECT_EQ(*back, e);
  const std::string bytes = internal::EncodeEvent(e);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(internal::DecodeEvent(bytes.substr(0, n))) << "truncated at " << n;
  }
}

TEST_F(EventTest, AnEventIsWrittenWithItsArticleAndIndexed) {
  Ingest({MakeArticle("u:a", 1), MakeArticle("u:b", 2)},
         {MakeEvent(1000, {"export_controls"}, {"gallium"}), std::nullopt});
  EXPECT_EQ(store_->Counts().events, 1u);
  auto e = store_->GetEventForArticle("u:a");
  ASSERT_TRUE(e && e->has_value());
  EXPECT_EQ((*e)->tags, std::vector<std::string>{"export_controls"});
  EXPECT_EQ((*e)->feed_url, Feed().url);
  EXPECT_EQ((*e)->story_id, "u:a");
  EXPECT_EQ((*e)->time, UnixMicros(std::chrono::microseconds(1000)));
  auto none = store_->GetEventForArticle("u:b");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  store_.reset();
  const std::string key = internal::EventKey::Encode(UnixMicros(std::chrono::microseconds(1000)), "u:a");
  std::vector<std::string> expected = {
      internal::IndexKey(internal::IndexKind::kTag, "export_controls", key),
      internal::IndexKey(internal::IndexKind::kMineral, "gallium", key),
      internal::IndexKey(internal::IndexKind::kCountry, "CN", key),
      internal::IndexKey(internal::IndexKind::kFeed, Feed().url, key),
      internal::IndexKey(internal::IndexKind::kStory, "u:a", key),
      internal::ArticleEventKey("u:a"),
  };
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(IndexKeys(), expected);
}

TEST_F(EventTest, AnUpdateReplacesTheEventInPlaceAndReindexesIt) {
  Ingest({MakeArticle("u:a", 1)}, {MakeEvent(1000, {"export_controls"}, {"gallium"})});
  IngestPlan p = Ingest({MakeArticle("u:a", 2)}, {MakeEvent(5000, {"supply_risk"}, {"cobalt"})});
  ASSERT_EQ(p.updated_count(), 1u);
  EXPECT_EQ(store_->Counts().events, 1u);
  auto e = store_->GetEventForArticle("u:a");
  ASSERT_TRUE(e && e->has_value());
  EXPECT_EQ((*e)->tags, std::vector<std::string>{"supply_risk"});
  EXPECT_EQ((*e)->time, UnixMicros(std::chrono::microseconds(1000))) << "the event keeps its time";
  auto all = store_->Events(EventQuery());
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
  store_.reset();
  for (const std::string& k : IndexKeys()) {
    EXPECT_EQ(k.find("gallium"), std::string::npos) << "stale index entry left behind";
    EXPECT_EQ(k.find("export_controls"), std::string::npos) << "stale index entry left behind";
  }
}

TEST_F(EventTest, AnUpdateThatLosesItsTagsDeletesTheEvent) {
  Ingest({MakeArticle("u:a", 1)}, {MakeEvent(1000, {"export_controls"}, {})});
  Ingest({MakeArticle("u:a", 2)}, {std::nullopt});
  EXPECT_EQ(store_->Counts().events, 0u);
  auto e = store_->GetEventForArticle("u:a");
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->has_value());
  store_.reset();
  EXPECT_TRUE(IndexKeys().empty());
  EXPECT_TRUE(RawEntries(dir_.Sub("store"), internal::kEventsFamily).empty());
}

TEST_F(EventTest, DuplicatesWriteNoEvent) {
  Ingest({MakeArticle("u:a", 1)}, {MakeEvent(1000, {"export_controls"}, {})});
  IngestPlan again = Ingest({MakeArticle("u:a", 1)}, {MakeEvent(9000, {"trade_bloc"}, {})});
  EXPECT_EQ(again.duplicate_count(), 1u);
  EXPECT_EQ(store_->Counts().events, 1u);
  EXPECT_EQ((*store_->GetEventForArticle("u:a"))->tags, std::vector<std::string>{"export_controls"});
}

TEST_F(EventTest, EventsReadInTimeOrderWithinARange) {
  std::vector<Article> articles;
  std::vector<std::optional<Event>> events;
  for (int i = 0; i < 10; ++i) {
    articles.push_back(MakeArticle("u:" + std::to_string(i), 1));
    events.push_back(MakeEvent(1000 * (i + 1), {"export_controls"}, {}));
  }
  Ingest(articles, events);
  EventQuery latest;
  latest.limit = 3;
  auto newest = store_->Events(latest);
  ASSERT_TRUE(newest);
  ASSERT_EQ(newest->size(), 3u);
  EXPECT_EQ((*newest)[0].article_id, "u:9");
  EXPECT_EQ((*newest)[2].article_id, "u:7");
  EventQuery range;
  range.since = UnixMicros(std::chrono::microseconds(3000));
  range.until = UnixMicros(std::chrono::microseconds(6000));
  range.limit = 0;
  range.newest_first = false;
  auto mid = store_->Events(range);
  ASSERT_TRUE(mid);
  ASSERT_EQ(mid->size(), 3u);
  EXPECT_EQ((*mid)[0].article_id, "u:2");
  EXPECT_EQ((*mid)[2].article_id, "u:4");
  range.newest_first = true;
  auto mid_desc = store_->Events(range);
  ASSERT_TRUE(mid_desc);
  ASSERT_EQ(mid_desc->size(), 3u);
  EXPECT_EQ((*mid_desc)[0].article_id, "u:4");
}

TEST_F(EventTest, EventCountSurvivesReopen) {
  Ingest({MakeArticle("u:a", 1), MakeArticle("u:b", 1)},
         {MakeEvent(1000, {"export_controls"}, {}), MakeEvent(2000, {"trade_bloc"}, {})});
  store_.reset();
  auto s = Store::Open(dir_.Sub("store"), {});
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->Counts().events, 2u);
}

}  // namespace
}  // namespace assay::storage
