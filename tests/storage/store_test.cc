#include "storage/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <rocksdb/db.h>

#include "storage/internal/coding.h"
#include "storage/internal/keys.h"
#include "tests/storage/test_util.h"

extern char** environ;

namespace assay::storage {
namespace {

using internal::ArticleTimeKey;
using testing::RawEntries;
using testing::TempDir;
using std::chrono::seconds;

constexpr uint64_t kBase = 0x0123456789abcdef;

// `sig` stands for a story signature, opaque to the store.
Article MakeArticle(std::string id, uint64_t sig, uint64_t content_hash = 1,
                    int64_t fetched = 1'700'000'000) {
  Article a;
  a.id = std::move(id);
  a.feed_url = "https://feeds.example.com/minerals.xml";
  a.link = "https://example.com/" + a.id;
  a.title = "Export controls on gallium: " + a.id;
  a.summary = "summary of " + a.id;
  a.fetched = UnixSeconds(seconds(fetched));
  a.content_hash = content_hash;
  a.story_signature = "sig:" + std::to_string(sig);
  return a;
}

FeedState MakeFeed(std::string url = "https://feeds.example.com/minerals.xml") {
  FeedState f;
  f.url = url;
  f.current_url = std::move(url);
  f.outcome = FetchOutcome::kOk;
  f.http_status = 200;
  return f;
}

uint64_t Flip(uint64_t h, const std::vector<int>& bits) {
  for (int b : bits) h ^= uint64_t{1} << b;
  return h;
}

// --- raw RocksDB access, for checking index entries the API does not show.
// The store must be closed (these open the directory themselves).


void RawPut(const std::string& path, std::string_view family, const std::string& key,
            const std::string& value) {
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const std::string& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::Open(rocksdb::DBOptions(), path, descs, &handles, &raw);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  bool written = false;
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    if (h->GetName() == family) {
      EXPECT_TRUE(db->Put(rocksdb::WriteOptions(), h, key, value).ok());
      written = true;
    }
  }
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  EXPECT_TRUE(written) << "no family " << family;
}

// --- child processes: this binary, re-run with one test selected. The
// child test signals success by exiting with kChildPassed, so that a child
// that skipped or never ran is not mistaken for one that passed.
constexpr int kChildPassed = 42;

int RunChild(const std::map<std::string, std::string>& vars) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (const auto& [k, v] : vars) env.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string exe = "/proc/self/exe";
  std::string filter = "--gtest_filter=StoreChildProcess.Run";
  char* argv[] = {exe.data(), filter.data(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv, envp.data()) != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenStore(StoreOptions options = {}) {
    Result<std::unique_ptr<Store>> s = Store::Open(path_, options);
    EXPECT_TRUE(s) << s.error().ToString();
    return s ? std::move(*s) : nullptr;
  }

  // Plans and applies one ingest; returns the plan.
  IngestPlan Ingest(Store& store, const FeedState& feed, std::vector<Article> articles) {
    Result<IngestPlan> plan = store.Plan(feed, std::move(articles));
    EXPECT_TRUE(plan) << plan.error().ToString();
    if (!plan) return {};
    Status s = store.Apply(*plan);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return *plan;
  }

  TempDir dir_;
  std::string path_ = dir_.Sub("store");
};

TEST_F(StoreTest, OpenCreatesEveryColumnFamilyAndTheSchemaVersion) {
  { ASSERT_NE(OpenStore(), nullptr); }
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path_, &names).ok());
  for (std::string_view f : internal::kAllFamilies) {
    EXPECT_NE(std::find(names.begin(), names.end(), f), names.end()) << f;
  }
  std::map<std::string, std::string> meta;
  for (auto& [k, v] : RawEntries(path_, internal::kMetaFamily)) meta[k] = v;
  ASSERT_EQ(meta.count(std::string(internal::kSchemaVersionKey)), 1u);
  const std::string& version = meta[std::string(internal::kSchemaVersionKey)];
  ASSERT_EQ(version.size(), 4u);
  EXPECT_EQ(internal::DecodeFixed32(version.data()), kSchemaVersion);
  EXPECT_TRUE(RawEntries(path_, internal::kEventsFamily).empty());
}

TEST_F(StoreTest, NewStoreCountsNothing) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Counts().feeds, 0u);
  EXPECT_EQ(store->Counts().articles, 0u);
  Result<std::vector<FeedState>> feeds = store->ListFeeds();
  ASSERT_OK(feeds);
  EXPECT_TRUE(feeds->empty());
  Result<std::optional<Article>> a = store->GetArticle("u:none");
  ASSERT_OK(a);
  EXPECT_FALSE(a->has_value());
}

TEST_F(StoreTest, IngestStoresArticlesAndFeedAndCountsThem) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const IngestPlan plan = Ingest(*store, MakeFeed(),
                                 {MakeArticle("u:a", kBase), MakeArticle("u:b", ~kBase)});
  EXPECT_EQ(plan.new_count(), 2u);
  EXPECT_EQ(plan.feed.article_count, 2u);
  EXPECT_EQ(store->Counts().articles, 2u);
  EXPECT_EQ(store->Counts().feeds, 1u);
  Result<std::optional<Article>> a = store->GetArticle("u:a");
  ASSERT_OK(a);
  ASSERT_TRUE(a->has_value());
  Article expected = MakeArticle("u:a", kBase);
  expected.story_id = "u:a";
  EXPECT_EQ(**a, expected);
  Result<std::optional<FeedState>> feed = store->GetFeed(MakeFeed().url);
  ASSERT_OK(feed);
  ASSERT_TRUE(feed->has_value());
  EXPECT_EQ(**feed, plan.feed);
}

TEST_F(StoreTest, ReingestingTheSameArticlesFindsNoNewOnes) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::vector<Article> batch = {MakeArticle("u:a", kBase), MakeArticle("u:b", ~kBase),
                                MakeArticle("u:c", kBase ^ 0xffff0000)};
  const IngestPlan first = Ingest(*store, MakeFeed(), batch);
  EXPECT_EQ(first.new_count(), 3u);
  const IngestPlan second = Ingest(*store, first.feed, batch);
  EXPECT_EQ(second.new_count(), 0u);
  EXPECT_EQ(second.updated_count(), 0u);
  EXPECT_EQ(second.duplicate_count(), 3u);
  EXPECT_EQ(second.feed.article_count, 3u);
  EXPECT_EQ(store->Counts().articles, 3u);
  store.reset();
  EXPECT_EQ(RawEntries(path_, internal::kArticleTimeFamily).size(), 3u);
}

TEST_F(StoreTest, RepeatedIdsWithinOneBatchCountOnceAndTheFirstWins) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const IngestPlan plan =
      Ingest(*store, MakeFeed(),
             {MakeArticle("u:a", kBase, 1), MakeArticle("u:a", kBase, 2), MakeArticle("u:a", kBase, 1)});
  ASSERT_EQ(plan.items.size(), 1u);
  EXPECT_EQ(plan.items[0].article.content_hash, 1u);
  EXPECT_EQ(plan.new_count(), 1u);
  EXPECT_EQ(plan.feed.article_count, 1u);
  EXPECT_EQ(store->Counts().articles, 1u);
}

TEST_F(StoreTest, EditedArticleIsUpdatedKeepsItsStoryAndIsWrittenOnce) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  Ingest(*store, MakeFeed(), {MakeArticle("u:a", kBase, 1, 1000)});
  Article b_first = MakeArticle("u:b", Flip(kBase, {1}), 1, 1000);
  b_first.story_id = "u:a";  // the caller's story assignment
  Ingest(*store, MakeFeed(), {b_first});
  Result<std::optional<Article>> b = store->GetArticle("u:b");
  ASSERT_OK(b);
  ASSERT_EQ((*b)->story_id, "u:a");

  // The edit changes b's signature; it stays in a's story all the same.
  Article edited = MakeArticle("u:b", ~kBase, 2, 2000);
  edited.title = "Export controls on gallium tightened";
  const IngestPlan plan = Ingest(*store, MakeFeed(), {edited});
  ASSERT_EQ(plan.items.size(), 1u);
  EXPECT_EQ(plan.items[0].change, ArticleChange::kUpdated);
  EXPECT_EQ(plan.items[0].article.story_id, "u:a");
  EXPECT_EQ(plan.feed.article_count, 0u) << "an update is not a new article";
  EXPECT_EQ(store->Counts().articles, 2u);
  Result<std::optional<Article>> after = store->GetArticle("u:b");
  ASSERT_OK(after);
  edited.story_id = "u:a";
  EXPECT_EQ(**after, edited);
  store.reset();

  int time_entries = 0;
  for (const auto& [k, v] : RawEntries(path_, internal::kArticleTimeFamily)) {
    std::optional<ArticleTimeKey> key = ArticleTimeKey::Decode(k);
    ASSERT_TRUE(key.has_value());
    if (key->article_id != "u:b") continue;
    ++time_entries;
    EXPECT_EQ(key->fetched, internal::ToMicrosSaturated(UnixSeconds(seconds(2000))));
  }
  EXPECT_EQ(time_entries, 1) << "the old time entry must be gone";
}

TEST_F(StoreTest, ANewArticleKeepsTheCallersStoryOrStartsItsOwn) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  Article joined = MakeArticle("u:b", kBase);
  joined.story_id = "u:a";
  const IngestPlan plan = Ingest(*store, MakeFeed(), {MakeArticle("u:a", kBase), joined});
  ASSERT_EQ(plan.items.size(), 2u);
  EXPECT_EQ((*store->GetArticle("u:a"))->story_id, "u:a");
  EXPECT_EQ((*store->GetArticle("u:b"))->story_id, "u:a");
}

TEST_F(StoreTest, ScanStoriesListsRecentArticlesOldestFirstWithTheirSignatures) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  Article b = MakeArticle("u:b", 2, 1, 3000);
  b.story_id = "u:a";
  Ingest(*store, MakeFeed(),
         {MakeArticle("u:c", 3, 1, 1000), MakeArticle("u:a", 1, 1, 2000), b});
  std::vector<Store::StoryEntry> seen;
  ASSERT_OK(store->ScanStories(UnixSeconds(seconds(2000)),
                               [&](Store::StoryEntry e) { seen.push_back(std::move(e)); }));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].article_id, "u:a");
  EXPECT_EQ(seen[0].story_id, "u:a");
  EXPECT_EQ(seen[0].signature, "sig:1");
  EXPECT_EQ(seen[0].fetched, UnixSeconds(seconds(2000)));
  EXPECT_EQ(seen[1].article_id, "u:b");
  EXPECT_EQ(seen[1].story_id, "u:a");
  EXPECT_EQ(seen[1].signature, "sig:2");
  // An update moves the entry to the new fetch time.
  Article edited = MakeArticle("u:c", 9, 2, 4000);
  Ingest(*store, MakeFeed(), {edited});
  seen.clear();
  ASSERT_OK(store->ScanStories(UnixSeconds(seconds(0)),
                               [&](Store::StoryEntry e) { seen.push_back(std::move(e)); }));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].article_id, "u:c");
  EXPECT_EQ(seen[2].signature, "sig:9");
  EXPECT_EQ(seen[2].story_id, "u:c");
}

TEST_F(StoreTest, ReopenKeepsFeedsArticlesAndCounts) {
  FeedState feed = MakeFeed();
  feed.etag = "\"v1\"";
  feed.last_fetch = UnixSeconds(seconds(1234));
  std::vector<Article> batch = {MakeArticle("u:a", kBase), MakeArticle("u:b", Flip(kBase, {3}))};
  IngestPlan plan;
  {
    std::unique_ptr<Store> store = OpenStore();
    ASSERT_NE(store, nullptr);
    plan = Ingest(*store, feed, batch);
    FeedState other = MakeFeed("https://other.example.org/rss");
    other.outcome = FetchOutcome::kFailed;
    other.last_error = "HTTP 503";
    ASSERT_OK(store->PutFeed(other));
  }
  std::unique_ptr<Store> store = OpenStore({.create_if_missing = false});
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Counts().feeds, 2u);
  EXPECT_EQ(store->Counts().articles, 2u);
  Result<std::optional<FeedState>> got = store->GetFeed(feed.url);
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, plan.feed);
  for (const IngestItem& item : plan.items) {
    Result<std::optional<Article>> a = store->GetArticle(item.article.id);
    ASSERT_OK(a);
    ASSERT_TRUE(a->has_value());
    EXPECT_EQ(**a, item.article);
  }
  Result<IngestPlan> again = store->Plan(plan.feed, batch);
  ASSERT_OK(again);
  EXPECT_EQ(again->duplicate_count(), 2u);
}

TEST_F(StoreTest, ASyncedStoreKeepsWhatItWrote) {
  {
    std::unique_ptr<Store> store = OpenStore({.sync = true});
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(Ingest(*store, MakeFeed(), {MakeArticle("u:a", kBase)}).new_count(), 1u);
  }
  std::unique_ptr<Store> store = OpenStore({.create_if_missing = false});
  ASSERT_NE(store, nullptr);
  Result<std::optional<Article>> a = store->GetArticle("u:a");
  ASSERT_OK(a);
  EXPECT_TRUE(a->has_value());
}

TEST_F(StoreTest, ListFeedsIsSortedByUrlAndPutFeedCountsAFeedOnce) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> urls = {"https://c.example/feed", "https://a.example/feed",
                                         "https://b.example/atom"};
  for (const std::string& u : urls) ASSERT_OK(store->PutFeed(MakeFeed(u)));
  FeedState changed = MakeFeed(urls[0]);
  changed.consecutive_failures = 3;
  ASSERT_OK(store->PutFeed(changed));
  EXPECT_EQ(store->Counts().feeds, 3u);
  Result<std::vector<FeedState>> feeds = store->ListFeeds();
  ASSERT_OK(feeds);
  ASSERT_EQ(feeds->size(), 3u);
  EXPECT_EQ((*feeds)[0].url, "https://a.example/feed");
  EXPECT_EQ((*feeds)[1].url, "https://b.example/atom");
  EXPECT_EQ((*feeds)[2], changed);
}

TEST_F(StoreTest, PutFeedsWritesEveryStateCountsNewFeedsOnceAndKeepsTheLastOfARepeatedUrl) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->PutFeed(MakeFeed("https://a.example/feed")));
  FeedState a = MakeFeed("https://a.example/feed");
  a.outcome = FetchOutcome::kNotModified;
  FeedState b = MakeFeed("https://b.example/feed");
  FeedState c_first = MakeFeed("https://c.example/feed");
  FeedState c_last = c_first;
  c_last.consecutive_failures = 2;
  const std::vector<FeedState> batch = {a, b, c_first, c_last};
  ASSERT_OK(store->PutFeeds(batch));
  EXPECT_EQ(store->Counts().feeds, 3u);
  Result<std::vector<FeedState>> feeds = store->ListFeeds();
  ASSERT_OK(feeds);
  ASSERT_EQ(feeds->size(), 3u);
  EXPECT_EQ((*feeds)[0], a);
  EXPECT_EQ((*feeds)[1], b);
  EXPECT_EQ((*feeds)[2], c_last);
  ASSERT_OK(store->PutFeeds({}));
  EXPECT_EQ(store->Counts().feeds, 3u);
}

TEST_F(StoreTest, PutFeedsWithAnEmptyUrlWritesNothing) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::vector<FeedState> batch = {MakeFeed("https://a.example/feed"), MakeFeed("")};
  EXPECT_EQ(store->PutFeeds(batch).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Counts().feeds, 0u);
  Result<std::optional<FeedState>> got = store->GetFeed("https://a.example/feed");
  ASSERT_OK(got);
  EXPECT_FALSE(got->has_value());
}

TEST_F(StoreTest, CloseFinishesTheCompactionOfASmallFamilyInsteadOfLeavingItToTheNextOpen) {
  // Each run writes one feed state larger than a memtable, flushed during
  // the run, at its close or at the next open: nine runs take the feeds
  // family to the level-0 compaction trigger (8 files), whose compaction
  // that run's close finishes rather than cancels, so no close leaves the
  // trigger reached.
  for (int run = 0; run < 9; ++run) {
    std::unique_ptr<Store> store = OpenStore();
    ASSERT_NE(store, nullptr);
    FeedState f = MakeFeed("https://feeds.example.com/" + std::to_string(run));
    f.last_error = std::string(5u << 20, static_cast<char>('a' + run));
    ASSERT_OK(store->PutFeed(f));
  }
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path_, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const std::string& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(
      rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path_, descs, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string level0;
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    if (h->GetName() == "feeds") {
      EXPECT_TRUE(db->GetProperty(h, "rocksdb.num-files-at-level0", &level0));
    }
  }
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  ASSERT_FALSE(level0.empty());
  EXPECT_LT(std::stoul(level0), 8u) << "level-0 files left at the compaction trigger";
  std::unique_ptr<Store> store = OpenStore({.create_if_missing = false});
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Counts().feeds, 9u);
}

TEST_F(StoreTest, PlanRejectsAnArticleWithoutId) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<IngestPlan> plan = store->Plan(MakeFeed(), {MakeArticle("u:a", 1), MakeArticle("", 2)});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(plan.error().message().find("article 1"), std::string::npos)
      << plan.error().message();
}

TEST_F(StoreTest, ApplyRefusesAPlanTheStoreNoLongerMatches) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<IngestPlan> plan = store->Plan(MakeFeed(), {MakeArticle("u:a", kBase)});
  ASSERT_OK(plan);
  ASSERT_OK(store->Apply(*plan));
  // The same plan again would count u:a twice.
  Status s = store->Apply(*plan);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(store->Counts().articles, 1u);
}

TEST_F(StoreTest, ACorruptStoredArticleIsReportedAsCorruption) {
  { ASSERT_NE(OpenStore(), nullptr); }
  RawPut(path_, internal::kArticlesFamily, "u:bad", std::string("\x01\x05u:b", 4));
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<std::optional<Article>> a = store->GetArticle("u:bad");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), StatusCode::kCorruption);
  EXPECT_NE(a.error().message().find("u:bad"), std::string::npos) << a.error().message();
  Result<IngestPlan> plan = store->Plan(MakeFeed(), {MakeArticle("u:bad", 1)});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code(), StatusCode::kCorruption);
}

TEST_F(StoreTest, AStoreFromANewerSchemaIsRefusedNamingBothVersions) {
  { ASSERT_NE(OpenStore(), nullptr); }
  std::string v2;
  internal::PutFixed32(&v2, kSchemaVersion + 1);
  RawPut(path_, internal::kMetaFamily, std::string(internal::kSchemaVersionKey), v2);
  Result<std::unique_ptr<Store>> store = Store::Open(path_, {});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), StatusCode::kFailedPrecondition);
  const std::string& m = store.error().message();
  EXPECT_NE(m.find("schema version " + std::to_string(kSchemaVersion + 1)), std::string::npos) << m;
  EXPECT_NE(m.find("version " + std::to_string(kSchemaVersion) + " "), std::string::npos) << m;
  EXPECT_NE(m.find(path_), std::string::npos) << m;

  TempDir scratch;
  Result<std::unique_ptr<Store>> secondary = Store::OpenSecondary(path_, scratch.Sub("s"));
  ASSERT_FALSE(secondary);
  EXPECT_EQ(secondary.error().code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, AMissingStoreIsNotFoundWhenCreationIsOff) {
  Result<std::unique_ptr<Store>> store = Store::Open(path_, {.create_if_missing = false});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), StatusCode::kNotFound);
  EXPECT_NE(store.error().message().find(path_), std::string::npos) << store.error().message();
  EXPECT_FALSE(std::filesystem::exists(path_)) << "a failed open must not create the store";

  Result<std::unique_ptr<Store>> secondary = Store::OpenSecondary(path_, dir_.Sub("scratch"));
  ASSERT_FALSE(secondary);
  EXPECT_EQ(secondary.error().code(), StatusCode::kNotFound);
  EXPECT_NE(secondary.error().message().find(path_), std::string::npos);
}

TEST_F(StoreTest, ASecondOpenInThisProcessIsRefused) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<std::unique_ptr<Store>> second = Store::Open(path_, {});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(second.error().message(), "store " + path_ + " is already open in this process");
}

TEST_F(StoreTest, AStoreHeldByAnotherProcessIsRefused) {
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(RunChild({{"ASSAY_STORE_CHILD", "lock"}, {"ASSAY_STORE_PATH", path_}}),
            kChildPassed);
}

TEST_F(StoreTest, SecondarySeesThePrimarysWritesAfterCatchUp) {
  std::unique_ptr<Store> primary = OpenStore();
  ASSERT_NE(primary, nullptr);
  Ingest(*primary, MakeFeed(), {MakeArticle("u:a", kBase)});

  Result<std::unique_ptr<Store>> opened = Store::OpenSecondary(path_, dir_.Sub("secondary"));
  ASSERT_OK(opened);
  Store& secondary = **opened;
  EXPECT_EQ(secondary.Counts().articles, 1u);
  Result<std::optional<Article>> a = secondary.GetArticle("u:a");
  ASSERT_OK(a);
  EXPECT_TRUE(a->has_value());

  Ingest(*primary, MakeFeed("https://second.example/rss"), {MakeArticle("u:b", ~kBase)});
  Result<std::optional<Article>> before = secondary.GetArticle("u:b");
  ASSERT_OK(before);
  EXPECT_FALSE(before->has_value()) << "a secondary moves only on CatchUp()";

  ASSERT_OK(secondary.CatchUp());
  Result<std::optional<Article>> after = secondary.GetArticle("u:b");
  ASSERT_OK(after);
  ASSERT_TRUE(after->has_value());
  EXPECT_EQ((*after)->story_id, "u:b");
  EXPECT_EQ(secondary.Counts().articles, 2u);
  EXPECT_EQ(secondary.Counts().feeds, 2u);
  Result<std::vector<FeedState>> feeds = secondary.ListFeeds();
  ASSERT_OK(feeds);
  EXPECT_EQ(feeds->size(), 2u);

  EXPECT_EQ(secondary.PutFeed(MakeFeed()).code(), StatusCode::kFailedPrecondition);
  const std::vector<FeedState> feeds_to_put = {MakeFeed()};
  EXPECT_EQ(secondary.PutFeeds(feeds_to_put).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(secondary.Plan(MakeFeed(), {}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(primary->CatchUp().code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, SecondaryInAnotherProcessReadsWhileThePrimaryIsOpen) {
  std::unique_ptr<Store> primary = OpenStore();
  ASSERT_NE(primary, nullptr);
  Ingest(*primary, MakeFeed(), {MakeArticle("u:a", kBase), MakeArticle("u:b", ~kBase)});
  EXPECT_EQ(RunChild({{"ASSAY_STORE_CHILD", "secondary"},
                      {"ASSAY_STORE_PATH", path_},
                      {"ASSAY_STORE_SCRATCH", dir_.Sub("child-secondary")},
                      {"ASSAY_EXPECT_ARTICLES", "2"},
                      {"ASSAY_EXPECT_ARTICLE", "u:b"}}),
            kChildPassed);
  // The primary is unaffected and still writes.
  Ingest(*primary, MakeFeed(), {MakeArticle("u:c", Flip(kBase, {9}))});
  EXPECT_EQ(primary->Counts().articles, 3u);
}

// Provokes a real failed write: a child process lowers its file size limit
// (RLIMIT_FSIZE) so that the WAL append of a large batch fails with EFBIG.
// (A read-only directory would not do: the tests may run as root.) The
// batch must leave no trace.
TEST_F(StoreTest, AFailedWriteLeavesNothingHalfWritten) {
  FeedState feed = MakeFeed();
  {
    std::unique_ptr<Store> store = OpenStore();
    ASSERT_NE(store, nullptr);
    feed = Ingest(*store, feed, {MakeArticle("u:a", kBase)}).feed;
  }
  ASSERT_EQ(RunChild({{"ASSAY_STORE_CHILD", "fail_write"}, {"ASSAY_STORE_PATH", path_}}),
            kChildPassed);
  std::unique_ptr<Store> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Counts().articles, 1u);
  EXPECT_EQ(store->Counts().feeds, 1u);
  Result<std::optional<FeedState>> got = store->GetFeed(feed.url);
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, feed);
  for (const char* id : {"u:big0", "u:big1", "u:big2"}) {
    Result<std::optional<Article>> a = store->GetArticle(id);
    ASSERT_OK(a);
    EXPECT_FALSE(a->has_value()) << id;
  }
  // And the store is healthy: the same ingest now succeeds.
  const IngestPlan plan = Ingest(*store, feed, {MakeArticle("u:big0", 5)});
  EXPECT_EQ(plan.new_count(), 1u);
  store.reset();
  EXPECT_EQ(RawEntries(path_, internal::kArticleTimeFamily).size(), 2u);
}

// Child-process side of the tests above.
TEST(StoreChildProcess, Run) {
  const char* mode = std::getenv("ASSAY_STORE_CHILD");
  if (mode == nullptr) GTEST_SKIP() << "runs only as a child of other StoreTest cases";
  const std::string path = std::getenv("ASSAY_STORE_PATH");
  const std::string m = mode;
  if (m == "lock") {
    Result<std::unique_ptr<Store>> store = Store::Open(path, {});
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(store.error().message(), "store " + path + " is in use by another process");
  } else if (m == "secondary") {
    Result<std::unique_ptr<Store>> store =
        Store::OpenSecondary(path, std::getenv("ASSAY_STORE_SCRATCH"));
    ASSERT_OK(store);
    EXPECT_EQ(std::to_string((*store)->Counts().articles), std::getenv("ASSAY_EXPECT_ARTICLES"));
    Result<std::optional<Article>> a = (*store)->GetArticle(std::getenv("ASSAY_EXPECT_ARTICLE"));
    ASSERT_OK(a);
    EXPECT_TRUE(a->has_value());
  } else if (m == "fail_write") {
    Result<std::unique_ptr<Store>> store = Store::Open(path, {});
    ASSERT_OK(store);
    // Beyond the limit, write(2) fails with EFBIG instead of killing us.
    ASSERT_NE(signal(SIGXFSZ, SIG_IGN), SIG_ERR);
    rlimit limit{256 * 1024, 256 * 1024};
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
    FeedState feed = MakeFeed();
    feed.etag = "\"never stored\"";
    std::vector<Article> big;
    for (int i = 0; i < 3; ++i) {
      Article a = MakeArticle("u:big" + std::to_string(i), kBase + static_cast<uint64_t>(i));
      a.content.assign(200 * 1024, static_cast<char>('a' + i));
      big.push_back(std::move(a));
    }
    Result<IngestPlan> plan = (*store)->Plan(feed, big);
    ASSERT_OK(plan);
    Status s = (*store)->Apply(*plan);
    ASSERT_FALSE(s.ok()) << "the write was expected to exceed RLIMIT_FSIZE";
    std::printf("failed as intended: %s\n", s.ToString().c_str());
    EXPECT_NE(s.message().find("feeds.example.com"), std::string::npos) << s.ToString();
    EXPECT_EQ((*store)->Counts().articles, 1u);
  } else {
    FAIL() << "unknown child mode " << m;
  }
  if (!HasFailure()) std::exit(kChildPassed);
}

// ---------------------------------------------------------------------------
// The store against a model (google/leveldb db/db_test.cc, ModelDB): random
// ingests, every plan and every read compared.

class ModelStore {
 public:
  IngestPlan Plan(const FeedState& feed, std::vector<Article> in) const {
    IngestPlan plan;
    plan.feed = feed;
    std::set<std::string> seen;
    // The store's state as if the batch were ingested one article at a time.
    std::map<std::string, Article> state = articles_;
    for (Article& a : in) {
      if (!seen.insert(a.id).second) continue;
      IngestItem item{std::move(a), ArticleChange::kNew, std::nullopt};
      auto stored = articles_.find(item.article.id);
      if (stored != articles_.end()) {
        item.article.story_id = stored->second.story_id;
        item.change = stored->second.content_hash == item.article.content_hash
                          ? ArticleChange::kDuplicate
                          : ArticleChange::kUpdated;
      } else if (item.article.story_id.empty()) {
        item.article.story_id = item.article.id;  // as Apply() stores it
      }
      if (item.change != ArticleChange::kDuplicate) state[item.article.id] = item.article;
      plan.items.push_back(std::move(item));
    }
    plan.feed.article_count += plan.new_count();
    return plan;
  }

  void Apply(const IngestPlan& plan) {
    feeds_[plan.feed.url] = plan.feed;
    for (const IngestItem& item : plan.items) {
      if (item.change != ArticleChange::kDuplicate) articles_[item.article.id] = item.article;
    }
  }

  const std::map<std::string, Article>& articles() const { return articles_; }
  const std::map<std::string, FeedState>& feeds() const { return feeds_; }

 private:
  std::map<std::string, Article> articles_;
  std::map<std::string, FeedState> feeds_;
};

void ExpectSameItems(const IngestPlan& got, const IngestPlan& want) {
  EXPECT_EQ(got.feed, want.feed);
  ASSERT_EQ(got.items.size(), want.items.size());
  for (size_t i = 0; i < got.items.size(); ++i) {
    EXPECT_EQ(ArticleChangeName(got.items[i].change), ArticleChangeName(want.items[i].change))
        << got.items[i].article.id;
    EXPECT_EQ(got.items[i].article, want.items[i].article) << got.items[i].article.id;
  }
}

TEST_F(StoreTest, RandomIngestsMatchAModel) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TempDir dir;
    const std::string path = dir.Sub("store");
    std::mt19937_64 rng(seed);
    const std::vector<std::string> feeds = {"https://a.example/rss", "https://b.example/atom",
                                            "https://c.example/feed.json"};

    ModelStore model;
    Result<std::unique_ptr<Store>> opened = Store::Open(path, {});
    ASSERT_OK(opened);
    std::unique_ptr<Store> store = std::move(*opened);
    size_t updates = 0, duplicates = 0, joined = 0;
    for (int round = 0; round < 150; ++round) {
      const std::string& url = feeds[rng() % feeds.size()];
      FeedState feed = model.feeds().contains(url) ? model.feeds().at(url) : MakeFeed(url);
      feed.etag = "\"" + std::to_string(rng() % 1000) + "\"";
      feed.last_fetch = UnixSeconds(seconds(1'700'000'000 + round));
      std::vector<Article> batch;
      for (size_t n = rng() % 10; n > 0; --n) {
        Article a = MakeArticle("u:https://example.com/" + std::to_string(rng() % 40), rng() % 5,
                                rng() % 3, 1'700'000'000 + static_cast<int64_t>(rng() % 100000));
        a.feed_url = url;
        // The caller (the daemon's story index) names the story of some.
        if (rng() % 3 == 0) a.story_id = "u:https://example.com/" + std::to_string(rng() % 40);
        batch.push_back(std::move(a));
      }
      const IngestPlan want = model.Plan(feed, batch);
      Result<IngestPlan> got = store->Plan(feed, batch);
      ASSERT_OK(got);
      ExpectSameItems(*got, want);
      if (HasFailure()) return;
      ASSERT_OK(store->Apply(*got));
      model.Apply(want);
      updates += want.updated_count();
      duplicates += want.duplicate_count();
      for (const IngestItem& item : want.items) {
        joined += item.change == ArticleChange::kNew && item.article.story_id != item.article.id;
      }

      EXPECT_EQ(store->Counts().articles, model.articles().size());
      EXPECT_EQ(store->Counts().feeds, model.feeds().size());
      if (round % 50 == 49) {  // reopen: everything must come back
        store.reset();
        Result<std::unique_ptr<Store>> again = Store::Open(path, {.create_if_missing = false});
        ASSERT_OK(again);
        store = std::move(*again);
        EXPECT_EQ(store->Counts().articles, model.articles().size());
      }
    }
    // The sequence exercised every path.
    EXPECT_GT(updates, 0u);
    EXPECT_GT(duplicates, 0u);
    EXPECT_GT(joined, 0u);

    for (const auto& [id, article] : model.articles()) {
      Result<std::optional<Article>> a = store->GetArticle(id);
      ASSERT_OK(a);
      ASSERT_TRUE(a->has_value()) << id;
      EXPECT_EQ(**a, article);
    }
    Result<std::vector<FeedState>> listed = store->ListFeeds();
    ASSERT_OK(listed);
    std::vector<FeedState> want_feeds;
    for (const auto& [url, f] : model.feeds()) want_feeds.push_back(f);
    EXPECT_EQ(*listed, want_feeds);
    store.reset();

    // The time index holds exactly one entry per article, with its story and
    // signature, and nothing else.
    std::set<std::string> want_time, got_time;
    for (const auto& [id, a] : model.articles()) {
      want_time.insert(ArticleTimeKey::Encode(internal::ToMicrosSaturated(a.fetched), id) + "=" +
                       internal::ArticleTimeValue::Encode(a.story_id, a.story_signature));
    }
    for (const auto& [k, v] : RawEntries(path, internal::kArticleTimeFamily)) {
      got_time.insert(k + "=" + v);
    }
    EXPECT_EQ(got_time, want_time);
  }
}

}  // namespace
}  // namespace assay::storage
