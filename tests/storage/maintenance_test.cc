// Event rewrites, verification, backup and restore, compaction, and the
// article filter of event queries.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
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

EventQuery WithTag(std::string tag) {
  EventQuery q;
  q.all_tags = {std::move(tag)};
  return q;
}
EventQuery WithMineral(std::string mineral) {
  EventQuery q;
  q.minerals = {std::move(mineral)};
  return q;
}
EventQuery Filtered(std::function<bool(const Article&)> filter, EventQuery q = {}) {
  q.article_filter = std::move(filter);
  return q;
}

class MaintenanceTest : public LogTest {
 protected:
  // Three articles, two with events.
  void AddThree() {
    Add({.id = "ga", .fetched = 1000, .event = 1000, .title = "China curbs gallium exports"});
    Add({.id = "li", .fetched = 2000, .event = 2000, .tags = {"trade_bloc"},
         .minerals = {"lithium"}, .countries = {"CL"}, .title = "Lithium deal",
         .summary = "Chile and the EU agree on gallium-free batteries"});
    Add({.id = "plain", .fetched = 3000, .title = "Bakery", .with_event = false});
  }
  bool Contains(const std::vector<std::string>& problems, std::string_view needle) {
    for (const std::string& p : problems) {
      if (p.find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

// --- RewriteEvents ---

TEST_F(MaintenanceTest, RewriteReplacesAnEventInPlaceWithItsIndexEntries) {
  AddThree();
  Event e;
  e.time = Seconds(9999);  // ignored: the event keeps its key
  e.tags = {"sanctions"};
  e.countries = {"RU"};
  e.severity = "high";
  e.pack_version = "test@2";
  const std::vector<EventRewrite> rewrites = {{"ga", e}};
  ASSERT_OK(store_->RewriteEvents(rewrites));

  Result<std::optional<Event>> got = store_->GetEventForArticle("ga");
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->time, Seconds(1000));
  EXPECT_EQ((*got)->tags, Names{"sanctions"});
  EXPECT_EQ((*got)->feed_url, "https://a.example/feed");
  EXPECT_EQ((*got)->story_id, "ga");
  EXPECT_EQ(Ids(WithTag("sanctions")), Names{"ga"});
  EXPECT_TRUE(Ids(WithTag("export_controls")).empty()) << "the old tag's entry is gone";
  EXPECT_TRUE(Ids(WithMineral("gallium")).empty());
  EXPECT_EQ(store_->Counts().events, 2u);
  EXPECT_TRUE(Verify().ok()) << ::testing::PrintToString(Verify().problems);
}

TEST_F(MaintenanceTest, RewriteCreatesAndDeletesEventsAndCountsThem) {
  AddThree();
  Event e;
  e.time = Seconds(3000);
  e.tags = {"export_controls"};
  const std::vector<EventRewrite> rewrites = {{"plain", e}, {"li", std::nullopt}};
  ASSERT_OK(store_->RewriteEvents(rewrites));
  EXPECT_EQ(Ids(), (Names{"plain", "ga"}));
  EXPECT_EQ(store_->Counts().events, 2u);
  Result<std::optional<Event>> gone = store_->GetEventForArticle("li");
  ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(Verify().ok()) << ::testing::PrintToString(Verify().problems);
  Reopen();
  EXPECT_EQ(store_->Counts().events, 2u);
}

TEST_F(MaintenanceTest, RewriteOfAnUnknownArticleWritesNothing) {
  AddThree();
  const std::vector<EventRewrite> rewrites = {{"li", std::nullopt}, {"nope", std::nullopt}};
  Status s = store_->RewriteEvents(rewrites);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(Ids(), (Names{"li", "ga"}));
  EXPECT_EQ(store_->RewriteEvents(std::vector<EventRewrite>{{"li", {}}, {"li", {}}}).code(),
            StatusCode::kInvalidArgument);
}

// --- Verify ---

TEST_F(MaintenanceTest, VerifyFindsNothingWrongInAStoreWrittenByTheApi) {
  AddThree();
  VerifyReport r = Verify();
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(r.problems);
  EXPECT_EQ(r.events, 2u);
  EXPECT_EQ(r.articles, 3u);
  EXPECT_EQ(r.article_time_entries, 3u);
  EXPECT_EQ(r.index_entries, 12u);
}

TEST_F(MaintenanceTest, VerifyReportsAMissingIndexEntry) {
  AddThree();
  Close();
  const std::string event_key = internal::EventKey::Encode(Seconds(1000), "ga");
  testing::RawWrite(path(), internal::kIndexFamily,
                    internal::IndexKey(internal::IndexKind::kTag, "export_controls", event_key),
                    std::nullopt);
  Reopen();
  VerifyReport r = Verify();
  EXPECT_EQ(r.problem_count, 1u) << ::testing::PrintToString(r.problems);
  EXPECT_TRUE(Contains(r.problems, "index entry tag=export_controls -> ga @ 1970-01-01T00:16:40"))
      << ::testing::PrintToString(r.problems);
  EXPECT_TRUE(Contains(r.problems, "is missing"));
}

TEST_F(MaintenanceTest, VerifyReportsDanglingIndexEntriesAndTimeEntries) {
  AddThree();
  Close();
  const std::string ghost = internal::EventKey::Encode(Seconds(1500), "ghost");
  testing::RawWrite(path(), internal::kIndexFamily,
                    internal::IndexKey(internal::IndexKind::kMineral, "cobalt", ghost), "");
  // An entry naming a real event that does not carry the value.
  const std::string li = internal::EventKey::Encode(Seconds(2000), "li");
  testing::RawWrite(path(), internal::kIndexFamily,
                    internal::IndexKey(internal::IndexKind::kCountry, "US", li), "");
  testing::RawWrite(path(), internal::kArticleTimeFamily,
                    internal::ArticleTimeKey::Encode(Seconds(1200), "lost"),
                    internal::ArticleTimeValue::Encode("lost", ""));
  Reopen();
  VerifyReport r = Verify();
  EXPECT_TRUE(Contains(r.problems, "mineral=cobalt -> ghost @")) << ::testing::PrintToString(r.problems);
  EXPECT_TRUE(Contains(r.problems, "points at a missing event"));
  EXPECT_TRUE(Contains(r.problems, "country=US -> li @"));
  EXPECT_TRUE(Contains(r.problems, "the event does not carry it"));
  EXPECT_TRUE(Contains(r.problems, "article_time entry lost @"));
  EXPECT_TRUE(Contains(r.problems, "points at a missing article"));
  EXPECT_TRUE(Contains(r.problems, "3 articles but 4 article_time entries"));
  EXPECT_EQ(r.problem_count, 4u) << ::testing::PrintToString(r.problems);
}

TEST_F(MaintenanceTest, VerifyReportsADeletedEventAndAWrongCounter) {
  AddThree();
  Close();
  testing::RawWrite(path(), internal::kEventsFamily,
                    internal::EventKey::Encode(Seconds(2000), "li"), std::nullopt);
  Reopen();
  VerifyReport r = Verify();
  // Its 5 index entries and its pointer dangle, and the counter says 2.
  EXPECT_EQ(r.problem_count, 7u) << ::testing::PrintToString(r.problems);
  EXPECT_TRUE(Contains(r.problems, "event pointer of article li names a missing event"));
  EXPECT_TRUE(Contains(r.problems, "meta counter count/events says 2, the store holds 1"));
}

TEST_F(MaintenanceTest, VerifyKeepsTheFirstProblemsAndCountsThemAll) {
  AddThree();
  Close();
  for (int i = 0; i < 5; ++i) {
    testing::RawWrite(path(), internal::kIndexFamily,
                      internal::IndexKey(internal::IndexKind::kTag, "x",
                                         internal::EventKey::Encode(Seconds(i), "g")),
                      "");
  }
  Reopen();
  Result<VerifyReport> r = store_->Verify(/*max_problems=*/2);
  ASSERT_OK(r);
  EXPECT_EQ(r->problem_count, 5u);
  EXPECT_EQ(r->problems.size(), 2u);
}

// --- backup and restore ---

TEST_F(MaintenanceTest, BackupFromASecondaryRestoresTheSameStore) {
  AddThree();
  auto secondary = Store::OpenSecondary(path(), dir_.Sub("scratch"));
  ASSERT_OK(secondary);
  // The primary keeps writing after the backup's point in time.
  const std::string backup = dir_.Sub("backup");
  Result<BackupInfo> info = (*secondary)->WriteBackup(backup);
  ASSERT_OK(info);
  EXPECT_EQ(info->counts.events, 2u);
  EXPECT_EQ(info->counts.articles, 3u);
  EXPECT_EQ(info->counts.feeds, 1u);
  EXPECT_GT(info->keys, 15u);
  Add({.id = "later", .fetched = 4000, .event = 4000});
  secondary->reset();

  const std::string restored = dir_.Sub("restored");
  ASSERT_OK(Store::RestoreBackup(backup, restored, /*force=*/false));
  auto copy = Store::Open(restored, {.create_if_missing = false});
  ASSERT_OK(copy);
  EXPECT_EQ((*copy)->Counts().events, 2u);
  EXPECT_EQ((*copy)->Counts().articles, 3u);
  EventQuery all;
  all.limit = 0;
  Result<std::vector<Event>> events = (*copy)->Events(all);
  ASSERT_OK(events);
  all.until = Seconds(4000);
  Result<std::vector<Event>> originals = store_->Events(all);
  ASSERT_OK(originals);
  EXPECT_EQ(*events, *originals);
  Result<std::optional<Article>> a = (*copy)->GetArticle("ga");
  ASSERT_OK(a);
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->title, "China curbs gallium exports");
  Result<VerifyReport> check = (*copy)->Verify();
  ASSERT_OK(check);
  EXPECT_TRUE(check->ok()) << ::testing::PrintToString(check->problems);
}

TEST_F(MaintenanceTest, BackupRefusesANonEmptyDirectory) {
  AddThree();
  std::filesystem::create_directories(dir_.Sub("full"));
  std::ofstream(dir_.Sub("full/file")) << "x";
  Result<BackupInfo> info = store_->WriteBackup(dir_.Sub("full"));
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code(), StatusCode::kFailedPrecondition);
}

TEST_F(MaintenanceTest, RestoreReplacesAStoreOnlyWhenForcedAndNotInUse) {
  AddThree();
  const std::string backup = dir_.Sub("backup");
  ASSERT_OK(store_->WriteBackup(backup));
  Add({.id = "later", .fetched = 4000, .event = 4000});

  // The store is open (as a daemon would hold it): refused even with force.
  Status held = Store::RestoreBackup(backup, path(), /*force=*/true);
  EXPECT_EQ(held.code(), StatusCode::kFailedPrecondition) << held.ToString();
  Close();
  Status unforced = Store::RestoreBackup(backup, path(), /*force=*/false);
  EXPECT_EQ(unforced.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(unforced.message().find("--force"), std::string::npos) << unforced.ToString();

  ASSERT_OK(Store::RestoreBackup(backup, path(), /*force=*/true));
  Reopen();
  EXPECT_EQ(Ids(), (Names{"li", "ga"})) << "the event written after the backup is gone";

  // Not a store: never replaced.
  std::filesystem::create_directories(dir_.Sub("other"));
  std::ofstream(dir_.Sub("other/notes.txt")) << "x";
  EXPECT_EQ(Store::RestoreBackup(backup, dir_.Sub("other"), true).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("other/notes.txt")));
  EXPECT_EQ(Store::RestoreBackup(dir_.Sub("none"), dir_.Sub("x"), false).code(),
            StatusCode::kNotFound);
}

// --- compaction ---

TEST_F(MaintenanceTest, CompactAllKeepsEverythingAndASecondaryRefuses) {
  AddThree();
  ASSERT_OK(store_->DropOlderThan(Seconds(1500)));
  ASSERT_OK(store_->CompactAll());
  EXPECT_EQ(Ids(), Names{"li"});
  EXPECT_TRUE(Verify().ok());
  auto secondary = Store::OpenSecondary(path(), dir_.Sub("scratch"));
  ASSERT_OK(secondary);
  EXPECT_EQ((*secondary)->CompactAll().code(), StatusCode::kFailedPrecondition);
}

// --- article filter ---

TEST_F(MaintenanceTest, TheArticleFilterKeepsEventsWhoseArticlePasses) {
  AddThree();
  auto mentions_gallium = [](const Article& a) {
    return (a.title + " " + a.summary).find("gallium") != std::string::npos;
  };
  EXPECT_EQ(Ids(Filtered(mentions_gallium)), (Names{"li", "ga"}));
  EXPECT_EQ(Ids(Filtered(mentions_gallium, WithTag("trade_bloc"))), Names{"li"});
  auto in_title = [](const Article& a) { return a.title.find("gallium") != std::string::npos; };
  EXPECT_EQ(Ids(Filtered(in_title)), Names{"ga"});
  // The limit counts events that pass the filter.
  EventQuery first = Filtered(in_title);
  first.limit = 1;
  Result<std::vector<Event>> one = store_->Events(first);
  ASSERT_OK(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().article_id, "ga");
}

}  // namespace
}  // namespace assay::storage
