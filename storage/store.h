// The assay store: one RocksDB database with a column family per record
// kind. Key layout and value encodings: storage/FORMAT.md.
//
// Threads: one Store opened for writing has exactly one writer thread (the
// daemon's storage thread); Plan() and Apply() must be called from it, in
// pairs, with no other write in between. Readers (Get*/List*) may be called
// from any thread. A read-only Store (OpenSecondary) follows a running
// writer with CatchUp().
//
//   auto store = Store::Open("var/assay", {});
//   if (!store) return store.error();
//   Result<IngestPlan> plan = (*store)->Plan(state, articles);
//   ... attach tagging results to plan->items ...
//   ASSAY_RETURN_IF_ERROR((*store)->Apply(*plan));
#ifndef ASSAY_STORAGE_STORE_H_
#define ASSAY_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/alert.h"
#include "core/article.h"
#include "core/event.h"
#include "core/status.h"

namespace assay::storage {

namespace internal {
struct RawDb;  // storage/internal/raw_db.h
}  // namespace internal

inline constexpr uint32_t kSchemaVersion = 1;

struct StoreOptions {
  // Create the database and its column families when absent. The CLI opens
  // with false so that a mistyped path is an error, not a new empty store.
  bool create_if_missing = true;
  // fsync the WAL on every Apply(). Off by default: a process crash loses
  // nothing (the WAL is in the OS), power loss may lose the last writes, and
  // those come back on the next conditional fetch because feed state and
  // articles are written in one batch.
  bool sync = false;
};

// What happened to one article in an ingest.
enum class ArticleChange : uint8_t {
  kNew,        // identity not seen before
  kUpdated,    // same identity, different content hash
  kDuplicate,  // same identity and content: nothing to write
};
std::string_view ArticleChangeName(ArticleChange c);

struct IngestItem {
  // An updated article gets its stored story_id from Plan(); a new one
  // keeps the story_id the caller gave it (its own id when empty), which
  // the caller may change before Apply().
  Article article;
  ArticleChange change = ArticleChange::kNew;
  // Set by the caller between Plan() and Apply() for a new or updated
  // article that has tags. Apply() writes it with its index entries; for an
  // updated article it replaces the article's earlier event in place (same
  // key and time), or deletes it when the article no longer has an event.
  std::optional<Event> event;
};

// One fetched feed's changes, prepared by Plan() and written whole by
// Apply(). The caller may read the items (for example to tag the new and
// updated ones) between the two calls.
struct IngestPlan {
  FeedState feed;  // article_count already advanced by the new articles
  std::vector<IngestItem> items;
  // Set by the caller between Plan() and Apply(): the alerts the plan's
  // events changed and the notifications they owe, written in the same
  // batch (the outbox), so that an event is never stored without its
  // alerts, nor an alert without its notifications.
  std::vector<AlertRecord> alerts;
  std::vector<Notification> notifications;
  size_t new_count() const;
  size_t updated_count() const;
  size_t duplicate_count() const;
};

struct StoreCounts {
  uint64_t feeds = 0;
  uint64_t articles = 0;
  uint64_t events = 0;
};

// The rank of an event severity: "info" 0, "low" 1, "medium" 2, "high" 3,
// "critical" 4; nullopt for any other string.
std::optional<int> SeverityRank(std::string_view severity);

// A time-ordered, filtered read of the event log. Every condition that is
// set must hold (an empty list or an unset optional is no condition).
// Results are in event-key order (time, then article id), newest or oldest
// first, at most `limit` of them.
struct EventQuery {
  std::optional<UnixMicros> since;  // inclusive
  std::optional<UnixMicros> until;  // exclusive
  size_t limit = 100;               // 0 = no limit
  bool newest_first = true;

  std::vector<std::string> all_tags;   // the event has every one of these tags
  std::vector<std::string> any_tags;   // ... and at least one of these
  std::vector<std::string> minerals;   // ... and every one of these minerals
  std::vector<std::string> countries;  // ... every one of these countries
  std::vector<std::string> blocs;      // ... every one of these blocs
  std::optional<std::string> feed;     // feed URL, exact
  std::optional<std::string> story;    // story id, exact
  std::optional<double> min_score;     // score >= min_score
  // SeverityRank(event.severity) >= min_severity_rank; an event with an
  // unknown severity never passes.
  std::optional<int> min_severity_rank;
  // Checked last, on the event's article, for the events that meet every
  // other condition (the CLI's --grep, an RE2 over title and summary,
  // lives outside storage/). Unset: no condition. An event whose article is
  // missing never passes. Called on the reading thread; must not call back
  // into the store.
  std::function<bool(const Article&)> article_filter;
};

// --- retention (storage/retention.cc) ---

struct RetentionOptions {
  // Events or articles deleted per WriteBatch (each with its index or
  // article_time entries: about 10 keys per event). A batch of 1000 takes a
  // few milliseconds to build and write, so ingest waits at most that long
  // for the writer lock between two batches.
  size_t batch_records = 1000;
  // Stop after this many batches (0: run until nothing older remains). The
  // daemon passes a small number and calls again later while
  // RetentionCounts::complete is false, so that retention shares the
  // storage thread with ingest instead of holding it.
  size_t max_batches = 0;
};

struct RetentionCounts {
  uint64_t events = 0;                // events deleted
  uint64_t index_entries = 0;         // index entries deleted ('a' pointers included)
  uint64_t articles = 0;              // article records deleted
  uint64_t article_time_entries = 0;  // article_time entries deleted
  uint64_t batches = 0;               // WriteBatches written
  bool complete = false;              // nothing older than the cutoff is left
};

// --- event rewrites (storage/maintenance.cc) ---

// Sets an article's event: `event` replaces the article's current event in
// place (same key and time; `event->time` is then ignored) or, when the
// article has none, is written at `event->time`; nullopt deletes the
// article's event. Article id, feed and story always come from the stored
// article record.
struct EventRewrite {
  std::string article_id;
  std::optional<Event> event;
};

// --- verification (storage/maintenance.cc) ---

struct VerifyReport {
  uint64_t events = 0;         // events read
  uint64_t index_entries = 0;  // index entries read ('a' pointers included)
  uint64_t articles = 0;       // article records counted
  uint64_t article_time_entries = 0;
  uint64_t problem_count = 0;         // all problems found
  std::vector<std::string> problems;  // the first max_problems of them, one line each
  bool ok() const { return problem_count == 0; }
};

// --- backup (storage/maintenance.cc) ---

struct BackupInfo {
  uint64_t keys = 0;   // key-value pairs copied, all families
  uint64_t bytes = 0;  // key and value bytes copied
  StoreCounts counts;  // the counters of the copied store
};

class Store {
 public:
  // Opens (or creates) the store at `path` for writing. Fails with
  // FailedPrecondition when the store was written by a newer schema version
  // (naming both versions; nothing is written), and when another process
  // holds it for writing ("store <path> is in use by another process"); with
  // NotFound naming the path when there is no store and
  // options.create_if_missing is false.
  static Result<std::unique_ptr<Store>> Open(const std::string& path,
                                             const StoreOptions& options);

  // Opens the store read-only as a RocksDB secondary instance, which works
  // while a daemon holds the primary. `scratch_dir` holds the secondary's
  // own files (a fresh temporary directory is fine; it is created if
  // missing). Fails with NotFound when there is no store at `path`, and with
  // FailedPrecondition for a newer schema version. Plan, Apply and PutFeed on
  // a secondary fail with FailedPrecondition.
  static Result<std::unique_ptr<Store>> OpenSecondary(
      const std::string& path, const std::string& scratch_dir);

  // Closing a store opened for writing flushes its memtables when they
  // hold 4 MiB or more (less is replayed from the WAL by the next open,
  // without writing table files), then compacts each family whose
  // compaction is due (level-0 files at the trigger) and whose table files
  // hold at most 48 MiB, so that the next open does not start it again.
  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Secondary only: reads what the primary has written since (and refreshes
  // Counts()). FailedPrecondition on a primary.
  virtual Status CatchUp() = 0;

  // --- feeds ---
  virtual Result<std::optional<FeedState>> GetFeed(std::string_view url) const = 0;
  virtual Result<std::vector<FeedState>> ListFeeds() const = 0;
  // Writes a feed state alone (a failed fetch, a config change).
  virtual Status PutFeed(const FeedState& feed) = 0;
  // Writes several feed states in one atomic WriteBatch (with the feed
  // counter for the feeds new to the store): the daemon's storage thread
  // coalesces the polls that wrote no article (304s, failures) into one
  // write instead of one per feed. A URL named twice is written once, the
  // last state winning. Fails, writing nothing, with InvalidArgument for an
  // empty URL, FailedPrecondition on a secondary, IOError/Unavailable when
  // RocksDB cannot write. Writer thread only, like Apply().
  virtual Status PutFeeds(std::span<const FeedState> feeds) = 0;

  // --- articles ---
  virtual Result<std::optional<Article>> GetArticle(std::string_view id) const = 0;
  // Exact, from counters written in the same batches as the records; no I/O.
  virtual StoreCounts Counts() const = 0;

  // --- events ---
  // Reads the events matching `query`. With a tag, any-tag (exactly one),
  // mineral, country, bloc, feed or story condition the read walks the
  // `index` family (the most selective of those prefixes within the time
  // range) and checks the other conditions on each event; otherwise it walks
  // `events` by time. Cost: the entries scanned before `limit` matches are
  // found, plus a bounded probe of each candidate prefix. Corruption for an
  // unreadable record.
  virtual Result<std::vector<Event>> Events(const EventQuery& query) const = 0;
  virtual Result<std::optional<Event>> GetEventForArticle(std::string_view article_id) const = 0;

  // --- stories ---
  // Calls `fn` for every article fetched at or after `since`, oldest first,
  // with its story id and story signature: what the daemon's story index is
  // rebuilt from at start-up.
  struct StoryEntry {
    UnixSeconds fetched;
    std::string article_id;
    std::string story_id;
    std::string signature;
  };
  virtual Status ScanStories(UnixSeconds since,
                             const std::function<void(StoryEntry)>& fn) const = 0;

  // --- ingest ---
  // Classifies each article against the store (new, updated, duplicate); an
  // updated article keeps its stored story id. Articles repeated within
  // `articles` count once: the first occurrence is kept, later ones are
  // dropped from the plan. Fails with InvalidArgument for an empty feed URL
  // or article id, Corruption for an unreadable stored record.
  virtual Result<IngestPlan> Plan(const FeedState& feed,
                                  std::vector<Article> articles) = 0;
  // Writes the feed state, every new and updated article, their events and
  // all their index entries in one atomic WriteBatch. Duplicates write
  // nothing. Fails with
  // FailedPrecondition, writing nothing, when the plan no longer matches the
  // store (a "new" article that is stored, an "updated" one that is not);
  // with IOError/Unavailable when RocksDB cannot write, also writing nothing.
  virtual Status Apply(const IngestPlan& plan) = 0;

  // --- retention (storage/retention.cc) ---
  // Deletes every event whose time is before `cutoff` with all its index
  // entries (and its article's 'a' pointer), then every article fetched
  // before `cutoff` with its article_time entry (and its event, whatever
  // its time, so that no event outlives its article), oldest first, in
  // batches of options.batch_records, each batch atomic with the meta
  // counters. Takes the writer lock per batch only: call it from the writer
  // thread (or any thread of a process whose writer is idle). Feed records
  // are kept. FailedPrecondition on a secondary; IOError/Unavailable when
  // RocksDB cannot write, after the batches already written (they stay).
  //
  //   for (;;) {
  //     Result<RetentionCounts> r = store.DropOlderThan(now - 365 * 24h, {.max_batches = 4});
  //     if (!r || r->complete) break;
  //     ... let ingest run ...
  //   }
  Result<RetentionCounts> DropOlderThan(UnixMicros cutoff, const RetentionOptions& options = {});

  // --- maintenance (storage/maintenance.cc) ---
  // Rewrites the events of stored articles (rules replay --apply) in one
  // atomic WriteBatch with their index entries and the event counter.
  // Fails, writing nothing, with NotFound for an article that is not
  // stored, InvalidArgument for an article named twice, FailedPrecondition
  // on a secondary. Writer thread only, like Apply().
  Status RewriteEvents(std::span<const EventRewrite> rewrites);

  // Checks the store's internal references: every index entry points at an
  // existing event that carries its value; every event has all its index
  // entries and its article's 'a' pointer; every 'a' pointer points at the
  // article's event; every article_time entry points at a stored article
  // fetched at that time; the meta counters equal the records counted.
  // Reads everything (O(store), a few point reads per record); works on a
  // secondary (consistent as of its last CatchUp()). The error is for a
  // failed read; problems found are in the report.
  Result<VerifyReport> Verify(size_t max_problems = 1000) const;

  // Writes a consistent copy of the whole store to `dir` (which must not
  // exist or be empty) as a new RocksDB database that Store::Open reads:
  // every family is read at one point in time (a snapshot on a primary; a
  // secondary changes only in CatchUp(), which applies whole write
  // batches) and written as sorted table files that are ingested into the
  // new database. Works on a secondary beside a running daemon, which is
  // why it is a logical copy rather than a rocksdb::Checkpoint (a
  // checkpoint needs a primary handle: RocksDB 7.8 cannot checkpoint a
  // secondary). FailedPrecondition when `dir` holds anything.
  Result<BackupInfo> WriteBackup(const std::string& dir) const;

  // Replaces the store at `store_path` with a copy of the backup in
  // `backup_dir` (written by WriteBackup). The copy is made beside the
  // target, opened once to check it (schema version, families), and then
  // renamed into place, so that a failure leaves the old store as it was.
  // Refuses, changing nothing, with FailedPrecondition when `store_path`
  // holds anything and `force` is false, when it holds something that is
  // not a store (even with `force`), and when a process holds the store
  // (a running daemon); NotFound when `backup_dir` holds no store.
  static Status RestoreBackup(const std::string& backup_dir, const std::string& store_path,
                              bool force);

  // Compacts every family fully (dropping deleted keys and overwritten
  // values). Primary only: FailedPrecondition on a secondary.
  Status CompactAll();

  // --- alerts and the outbox (storage/alerts.cc) ---
  // Writes alert records and notifications in one batch (alert changes not
  // tied to an ingest: resolution, acknowledgement, a test message). Writer
  // thread only, like Apply().
  Status WriteAlerts(std::span<const AlertRecord> alerts,
                     std::span<const Notification> notifications);
  Result<std::optional<AlertRecord>> GetAlert(std::string_view id) const;
  // Every alert, most recently changed first.
  Result<std::vector<AlertRecord>> ListAlerts() const;
  // The notifications of one alert (every one when `alert_id` is empty),
  // oldest first.
  Result<std::vector<Notification>> ListNotifications(std::string_view alert_id = {}) const;
  // Pending notifications due at `now`, soonest first, at most `limit`.
  Result<std::vector<Notification>> DueNotifications(UnixMicros now, size_t limit) const;
  // Rewrites a notification after a delivery attempt; `previous_next_attempt`
  // is the next_attempt it was read with (its pending entry moves or goes).
  // Writer thread only.
  Status UpdateNotification(const Notification& n, UnixMicros previous_next_attempt);
  // Silences, kept (expired ones too) under their id in `alerts`.
  Status PutSilence(const SilenceRecord& s);
  Result<std::vector<SilenceRecord>> ListSilences() const;

 protected:
  Store() = default;
  // The database behind the store, for retention.cc and maintenance.cc.
  virtual internal::RawDb Raw() = 0;
};

}  // namespace assay::storage

#endif  // ASSAY_STORAGE_STORE_H_
