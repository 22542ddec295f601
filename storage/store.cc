#include "storage/store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "storage/internal/coding.h"
#include "storage/internal/alert_records.h"
#include "storage/internal/keys.h"
#include "storage/internal/raw_db.h"
#include "storage/internal/records.h"
#include "storage/internal/rocks_status.h"

namespace assay::storage {

std::string_view ArticleChangeName(ArticleChange c) {
  switch (c) {
    case ArticleChange::kNew: return "new";
    case ArticleChange::kUpdated: return "updated";
    case ArticleChange::kDuplicate: return "duplicate";
  }
  return "unknown";
}

std::optional<int> SeverityRank(std::string_view severity) {
  static constexpr std::array<std::string_view, 5> kNames = {"info", "low", "medium", "high",
                                                             "critical"};
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == severity) return static_cast<int>(i);
  }
  return std::nullopt;
}

namespace {
size_t CountChanges(const std::vector<IngestItem>& items, ArticleChange c) {
  return static_cast<size_t>(std::count_if(items.begin(), items.end(),
                                           [c](const IngestItem& i) { return i.change == c; }));
}
}  // namespace

size_t IngestPlan::new_count() const { return CountChanges(items, ArticleChange::kNew); }
size_t IngestPlan::updated_count() const {
  return CountChanges(items, ArticleChange::kUpdated);
}
size_t IngestPlan::duplicate_count() const {
  return CountChanges(items, ArticleChange::kDuplicate);
}

namespace {

using internal::ArticleTimeKey;
using internal::DecodeEvent;
using internal::EncodeEvent;
using internal::DecodeArticle;
using internal::DecodeFeedState;
using internal::EncodeArticle;
using internal::EncodeFeedState;
using internal::Family;
using internal::FromRocks;
using internal::kAllFamilies;
using internal::kFamilyCount;
using internal::ToMicrosSaturated;


// ---------------------------------------------------------------------------
// RocksDB tuning. The store is write-mostly: every poll appends articles and
// rewrites a feed record; reads are point lookups by id (ingest
// classification, the CLI) and range scans (article_time, events, index).
// The machine is small and shared, and the daemon should stay near 100 MB.

// 8 MiB of uncompressed blocks, shared by all column families: enough for
// the index and filter blocks and the hot end of the articles, small beside a
// daemon watching thousands of feeds.
constexpr size_t kBlockCacheBytes = 8u << 20;
// All memtables together. Eight column families with RocksDB's default 64 MiB
// each could pin half a gigabyte; this cap flushes the largest first. A
// memtable being flushed still counts, so the articles' 8 MiB plus the small
// families stay under it with one flush in progress.
constexpr size_t kTotalMemtableBytes = 16u << 20;
// Old WAL files are kept until every family that wrote to them has flushed;
// the rarely written families would otherwise pin them indefinitely.
constexpr uint64_t kMaxTotalWalBytes = 128u << 20;
constexpr uint64_t kLevel0CompactionTrigger = 8;  // see MakeFamilyOptions()
// Memtables holding less than this at close are not flushed: the next open
// replays their WAL instead (milliseconds for this much).
constexpr uint64_t kMinCloseFlushBytes = 4u << 20;
// A family with a compaction pending at close is compacted before the store
// closes when its table files hold at most this much (a few hundred
// milliseconds of work at most); larger ones are left to the background.
constexpr uint64_t kMaxCloseCompactionBytes = 48u << 20;

rocksdb::CompressionType PickCompression(std::initializer_list<rocksdb::CompressionType> wanted) {
  static const std::vector<rocksdb::CompressionType> supported =
      rocksdb::GetSupportedCompressions();
  for (rocksdb::CompressionType t : wanted) {
    if (std::find(supported.begin(), supported.end(), t) != supported.end()) return t;
  }
  return rocksdb::kNoCompression;
}

rocksdb::DBOptions MakeDbOptions() {
  rocksdb::DBOptions o;
  // Families are created by Open() after the schema check, so that a store
  // from a newer schema is refused before anything is added to it.
  o.create_missing_column_families = false;
  // Two cores shared with the fetcher: one flush and one compaction at once.
  o.max_background_jobs = 2;
  o.db_write_buffer_size = kTotalMemtableBytes;
  o.max_total_wal_size = kMaxTotalWalBytes;
  // Smooth write-back of large SST files instead of one burst at close.
  o.bytes_per_sync = 1u << 20;
  // The info LOG is for post-mortems; a few files are enough.
  o.keep_log_file_num = 4;
  o.max_log_file_size = 8u << 20;
  // The write buffer of each open file (WAL, flush and compaction outputs);
  // RocksDB's 1 MiB default costs a few MB of resident memory for no
  // measurable gain on this write pattern.
  o.writable_file_max_buffer_size = 256u << 10;
  // A short WAL left by a close that did not flush (see ~RocksStore) is
  // replayed into memtables at open without writing table files.
  o.avoid_flush_during_recovery = true;
  return o;
}

rocksdb::ColumnFamilyOptions MakeFamilyOptions(std::string_view name,
                                               const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  // The Debian 12 librocksdb links lz4 and zstd (checked at run time, in
  // case another build does not). Level 0 (memtable flushes) is not
  // compressed: its files live until the next compaction, which then reads
  // them without decompressing, and a flush on the ingest path costs only
  // the write. lz4 for the middle levels; zstd at its fastest level for the
  // bottom, where almost all article text ends up and is read rarely (zstd's
  // default level 3 cost a third more compaction CPU for no smaller a store).
  o.compression_per_level = {
      rocksdb::kNoCompression,
      PickCompression({rocksdb::kLZ4Compression, rocksdb::kSnappyCompression})};
  o.bottommost_compression =
      PickCompression({rocksdb::kZSTD, rocksdb::kLZ4Compression, rocksdb::kSnappyCompression});
  if (o.bottommost_compression == rocksdb::kZSTD) {
    o.bottommost_compression_opts.level = 1;
    o.bottommost_compression_opts.enabled = true;
  }
  // Article ids are hashes, so every level-0 file overlaps all of level 1 and
  // each L0->L1 compaction rewrites level 1 whole: compacting every 8 files
  // instead of RocksDB's 4 halves that rewriting during a large ingest
  // (lookups stay one Bloom probe per file). Still far below the write
  // slowdown at 20 files.
  o.level0_file_num_compaction_trigger = kLevel0CompactionTrigger;
  o.write_buffer_size = (name == internal::kArticlesFamily ? 8u : 2u) << 20;

  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  // Format 5 filters: faster and smaller for the same false-positive rate.
  t.format_version = 5;
  if (name == internal::kMetaFamily || name == internal::kFeedsFamily ||
      name == internal::kArticlesFamily) {
    // Point lookups, most of them (re-polled articles aside) for keys that
    // exist; a 10 bits/key Bloom filter (~1% false positives) still saves a
    // disk read per new article on a cold cache.
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  // article_time, events and indexes are read by ranges: no filter.
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

std::vector<rocksdb::ColumnFamilyDescriptor> Descriptors(
    const std::vector<std::string>& names, const std::shared_ptr<rocksdb::Cache>& cache) {
  std::vector<rocksdb::ColumnFamilyDescriptor> out;
  out.reserve(names.size());
  for (const std::string& n : names) out.emplace_back(n, MakeFamilyOptions(n, cache));
  return out;
}

bool IsLockError(const rocksdb::Status& s) {
  // RocksDB reports a held LOCK file as an IOError: "While lock file:
  // <path>/LOCK: Resource temporarily unavailable" from another process,
  // "lock hold by current process" from this one.
  // Match those phrases exactly: "lock" alone also occurs in "block".
  if (!s.IsIOError()) return false;
  const std::string text = s.ToString();
  return text.find("While lock file") != std::string::npos ||
         text.find("lock hold by current process") != std::string::npos;
}

bool StoreExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::path(path) / "CURRENT", ec);
}

Result<std::optional<uint64_t>> ReadFixed64(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                            std::string_view key) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), cf, key, &value);
  if (s.IsNotFound()) return std::optional<uint64_t>();
  if (!s.ok()) return FromRocks(s, "reading meta key '" + std::string(key) + "'");
  if (value.size() != 8) {
    return Corruption("meta key '" + std::string(key) + "' holds " +
                      std::to_string(value.size()) + " bytes, expected 8");
  }
  return std::optional<uint64_t>(internal::DecodeFixed64(value.data()));
}

std::string Fixed64(uint64_t v) {
  std::string out;
  internal::PutFixed64(&out, v);
  return out;
}

std::string Fixed32(uint32_t v) {
  std::string out;
  internal::PutFixed32(&out, v);
  return out;
}

// The one Store implementation: a RocksDB database, primary or secondary.
class RocksStore final : public Store {
 public:
  RocksStore(std::string path, bool read_only, bool sync,
             std::shared_ptr<rocksdb::Cache> cache)
      : path_(std::move(path)), read_only_(read_only), cache_(std::move(cache)) {
    write_options_.sync = sync;
  }

  ~RocksStore() override {
    if (db_ == nullptr) return;
    if (!read_only_) {
      // RocksDB does not flush on close while the WAL is on, so the next
      // open would replay the whole WAL into memtables (seconds after a
      // large ingest). Flushing here moves that cost to the end of a run
      // that wrote, and a run that wrote nothing has nothing to flush. A
      // failure only means the next open replays the WAL.
      // A run that wrote little (a warm poll writes only feed states) skips
      // the flush: its fsyncs and table file cost more than the next open's
      // replay of that short WAL, which keeps it in memtables
      // (avoid_flush_during_recovery) until they fill.
      uint64_t unflushed = 0;
      if (!db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables,
                                         &unflushed) ||
          unflushed >= kMinCloseFlushBytes) {
        rocksdb::FlushOptions flush;
        flush.allow_write_stall = true;
        db_->Flush(flush, all_handles_).PermitUncheckedError();
      }
      FinishSmallCompactions();
    }
    // Handles first: RocksDB requires them gone before the DB is deleted.
    for (rocksdb::ColumnFamilyHandle* h : all_handles_) {
      db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    db_.reset();
  }

  // At close, after the flush: a family that RocksDB would compact next
  // (enough level-0 files) is compacted now when it is small, rather than
  // left for the next open, which would start that compaction again in the
  // background of its own run (a short `assayd --once` then spent a third
  // of its CPU on it, only to cancel it at its exit). Large families are
  // left to the background: their compaction could hold the exit for
  // seconds. Failures only leave the compaction to the next open.
  void FinishSmallCompactions() {
    for (rocksdb::ColumnFamilyHandle* h : all_handles_) {
      // Level-0 files at the trigger: a compaction is pending, or running
      // (and would be cancelled by the close); CompactRange waits for a
      // running one, then compacts what is left.
      uint64_t pending = 0;
      std::string level0;
      const bool due =
          (db_->GetIntProperty(h, rocksdb::DB::Properties::kCompactionPending, &pending) &&
           pending > 0) ||
          (db_->GetProperty(h, rocksdb::DB::Properties::kNumFilesAtLevelPrefix + "0", &level0) &&
           std::strtoull(level0.c_str(), nullptr, 10) >= kLevel0CompactionTrigger);
      if (!due) continue;
      uint64_t size = 0;
      if (!db_->GetIntProperty(h, rocksdb::DB::Properties::kTotalSstFilesSize, &size) ||
          size > kMaxCloseCompactionBytes) {
        continue;
      }
      rocksdb::CompactRangeOptions o;
      o.exclusive_manual_compaction = false;
      db_->CompactRange(o, h, nullptr, nullptr).PermitUncheckedError();
    }
  }

  // Takes ownership of `db` and of every handle, and files the known ones.
  void Adopt(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles) {
    db_.reset(db);
    all_handles_ = std::move(handles);
    for (rocksdb::ColumnFamilyHandle* h : all_handles_) File(h);
  }

  // The names of the families this build uses that are not open yet.
  std::vector<std::string> MissingFamilies() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < kFamilyCount; ++i) {
      if (handles_[i] == nullptr) out.emplace_back(kAllFamilies[i]);
    }
    return out;
  }

  Status CreateMissingFamilies() {
    for (const std::string& name : MissingFamilies()) {
      rocksdb::ColumnFamilyHandle* h = nullptr;
      rocksdb::Status s =
          db_->CreateColumnFamily(MakeFamilyOptions(name, cache_), name, &h);
      if (!s.ok()) {
        return FromRocks(s, "creating column family '" + name + "' in store " + path_);
      }
      all_handles_.push_back(h);
      File(h);
    }
    return Status::Ok();
  }

  // Reads the schema version: nullopt when none was written yet.
  Result<std::optional<uint32_t>> ReadSchemaVersion() const {
    rocksdb::ColumnFamilyHandle* meta = handles_[internal::kMeta];
    if (meta == nullptr) return std::optional<uint32_t>();
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), meta, internal::kSchemaVersionKey, &value);
    if (s.IsNotFound()) return std::optional<uint32_t>();
    if (!s.ok()) return FromRocks(s, "reading schema version of store " + path_);
    if (value.size() != 4) {
      return Corruption("store " + path_ + ": schema version holds " +
                        std::to_string(value.size()) + " bytes, expected 4");
    }
    return std::optional<uint32_t>(internal::DecodeFixed32(value.data()));
  }

  Status CheckSchemaVersion(uint32_t version) const {
    if (version > kSchemaVersion) {
      return FailedPrecondition("store " + path_ + " has schema version " +
                                std::to_string(version) + ", newer than version " +
                                std::to_string(kSchemaVersion) +
                                " that this build reads; use a newer assay");
    }
    if (version < kSchemaVersion) {
      return FailedPrecondition("store " + path_ + " has schema version " +
                                std::to_string(version) + ", older than version " +
                                std::to_string(kSchemaVersion) +
                                " that this build reads, and no migration exists");
    }
    return Status::Ok();
  }

  // A new store: the schema version and zero counters, in one batch.
  Status InitializeMeta() {
    rocksdb::WriteBatch batch;
    rocksdb::ColumnFamilyHandle* meta = handles_[internal::kMeta];
    batch.Put(meta, internal::kSchemaVersionKey, Fixed32(kSchemaVersion)).PermitUncheckedError();
    batch.Put(meta, internal::kFeedCountKey, Fixed64(0)).PermitUncheckedError();
    batch.Put(meta, internal::kArticleCountKey, Fixed64(0)).PermitUncheckedError();
    batch.Put(meta, internal::kEventCountKey, Fixed64(0)).PermitUncheckedError();
    rocksdb::WriteOptions wo;
    wo.sync = true;  // once per store; a lost version would make it "new" again
    return FromRocks(db_->Write(wo, &batch), "writing schema version of store " + path_);
  }

  Status LoadCounts() {
    rocksdb::ColumnFamilyHandle* meta = handles_[internal::kMeta];
    Result<std::optional<uint64_t>> feeds = ReadFixed64(db_.get(), meta, internal::kFeedCountKey);
    if (!feeds) return feeds.error().WithContext("store " + path_);
    Result<std::optional<uint64_t>> articles =
        ReadFixed64(db_.get(), meta, internal::kArticleCountKey);
    if (!articles) return articles.error().WithContext("store " + path_);
    Result<std::optional<uint64_t>> events = ReadFixed64(db_.get(), meta, internal::kEventCountKey);
    if (!events) return events.error().WithContext("store " + path_);
    feed_count_.store(feeds->value_or(0), std::memory_order_relaxed);
    article_count_.store(articles->value_or(0), std::memory_order_relaxed);
    event_count_.store(events->value_or(0), std::memory_order_relaxed);
    return Status::Ok();
  }

  // --- Store ---

  Status CatchUp() override {
    if (!read_only_) return FailedPrecondition("CatchUp(): store " + path_ + " is the primary");
    ASSAY_RETURN_IF_ERROR(
        FromRocks(db_->TryCatchUpWithPrimary(), "catching up with primary of store " + path_));
    return LoadCounts();
  }

  internal::RawDb Raw() override {
    return internal::RawDb{&path_,         read_only_,     db_.get(),      &handles_,
                           &write_mu_,     &article_count_, &event_count_, &write_options_};
  }

  Result<std::optional<FeedState>> GetFeed(std::string_view url) const override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), handles_[internal::kFeeds], url, &value);
    if (s.IsNotFound()) return std::optional<FeedState>();
    if (!s.ok()) return FromRocks(s, "reading feed " + std::string(url));
    Result<FeedState> feed = DecodeFeedRecord(url, value);
    if (!feed) return feed.error();
    return std::optional<FeedState>(std::move(*feed));
  }

  Result<std::vector<FeedState>> ListFeeds() const override {
    std::vector<FeedState> out;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[internal::kFeeds]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      Result<FeedState> feed =
          DecodeFeedRecord(it->key().ToStringView(), it->value().ToStringView());
      if (!feed) return feed.error();
      out.push_back(std::move(*feed));
    }
    ASSAY_RETURN_IF_ERROR(FromRocks(it->status(), "listing feeds of store " + path_));
    return out;
  }

  Status PutFeed(const FeedState& feed) override {
    ASSAY_RETURN_IF_ERROR(CheckWritable("PutFeed"));
    if (feed.url.empty()) return InvalidArgument("PutFeed: feed url is empty");
    std::lock_guard lock(write_mu_);
    Result<bool> exists = FeedExists(feed.url);
    if (!exists) return exists.error();
    rocksdb::WriteBatch batch;
    ASSAY_RETURN_IF_ERROR(FromRocks(
        batch.Put(handles_[internal::kFeeds], feed.url, EncodeFeedState(feed)), "PutFeed"));
    const uint64_t feeds = feed_count_.load(std::memory_order_relaxed) + (*exists ? 0 : 1);
    if (!*exists) {
      ASSAY_RETURN_IF_ERROR(FromRocks(
          batch.Put(handles_[internal::kMeta], internal::kFeedCountKey, Fixed64(feeds)),
          "PutFeed"));
    }
    ASSAY_RETURN_IF_ERROR(
        FromRocks(db_->Write(write_options_, &batch), "writing feed " + feed.url));
    feed_count_.store(feeds, std::memory_order_relaxed);
    return Status::Ok();
  }

  Status PutFeeds(std::span<const FeedState> feeds) override {
    ASSAY_RETURN_IF_ERROR(CheckWritable("PutFeeds"));
    if (feeds.empty()) return Status::Ok();
    for (const FeedState& f : feeds) {
      if (f.url.empty()) return InvalidArgument("PutFeeds: feed url is empty");
    }
    // The last state of each URL, in order of first appearance.
    std::vector<const FeedState*> last;
    last.reserve(feeds.size());
    {
      std::unordered_map<std::string_view, size_t> index;
      index.reserve(feeds.size());
      for (const FeedState& f : feeds) {
        auto [it, inserted] = index.emplace(f.url, last.size());
        if (inserted) {
          last.push_back(&f);
        } else {
          last[it->second] = &f;
        }
      }
    }
    std::lock_guard lock(write_mu_);
    // Which are new to the store: one MultiGet for the batch.
    std::vector<rocksdb::Slice> keys;
    keys.reserve(last.size());
    for (const FeedState* f : last) keys.emplace_back(f->url);
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db_->MultiGet(rocksdb::ReadOptions(), handles_[internal::kFeeds], keys.size(), keys.data(),
                  values.data(), statuses.data());
    uint64_t added = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].IsNotFound()) {
        ++added;
      } else if (!statuses[i].ok()) {
        return FromRocks(statuses[i], "reading feed " + last[i]->url);
      }
    }
    rocksdb::WriteBatch batch;
    for (const FeedState* f : last) {
      ASSAY_RETURN_IF_ERROR(FromRocks(
          batch.Put(handles_[internal::kFeeds], f->url, EncodeFeedState(*f)), "PutFeeds"));
    }
    const uint64_t count = feed_count_.load(std::memory_order_relaxed) + added;
    if (added > 0) {
      ASSAY_RETURN_IF_ERROR(FromRocks(
          batch.Put(handles_[internal::kMeta], internal::kFeedCountKey, Fixed64(count)),
          "PutFeeds"));
    }
    ASSAY_RETURN_IF_ERROR(FromRocks(db_->Write(write_options_, &batch),
                                    "writing " + std::to_string(last.size()) + " feeds"));
    feed_count_.store(count, std::memory_order_relaxed);
    return Status::Ok();
  }

  Result<std::optional<Article>> GetArticle(std::string_view id) const override {
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), handles_[internal::kArticles], id, &value);
    if (s.IsNotFound()) return std::optional<Article>();
    if (!s.ok()) return FromRocks(s, "reading article " + std::string(id));
    Result<Article> article = DecodeArticleRecord(id, value);
    if (!article) return article.error();
    return std::optional<Article>(std::move(*article));
  }

  StoreCounts Counts() const override {
    return StoreCounts{feed_count_.load(std::memory_order_relaxed),
                       article_count_.load(std::memory_order_relaxed),
                       event_count_.load(std::memory_order_relaxed)};
  }

  // Filtered event reads (store.h, FORMAT.md "Reading events"):
  //  1. Candidate prefixes: one index prefix per all_tags, minerals,
  //     countries and blocs value, the feed, the story, and any_tags when it
  //     holds exactly one tag. None: the `events` family itself (prefix "").
  //  2. Probe each candidate: count its entries within [since, until), up to
  //     kProbeEntries, and keep the one with the fewest (first on ties).
  //  3. Walk the chosen range in the requested order, collect event keys in
  //     batches of kFetchBatch, MultiGet them from `events`, and keep the
  //     decoded events that meet every condition, until `limit` are kept.
  Result<std::vector<Event>> Events(const EventQuery& query) const override {
    if (query.since && query.until && *query.since >= *query.until) return std::vector<Event>();
    std::vector<std::string> candidates;
    auto add = [&](internal::IndexKind kind, const std::vector<std::string>& values) {
      for (const std::string& v : values) candidates.push_back(internal::IndexPrefix(kind, v));
    };
    add(internal::IndexKind::kTag, query.all_tags);
    if (query.any_tags.size() == 1) add(internal::IndexKind::kTag, query.any_tags);
    add(internal::IndexKind::kMineral, query.minerals);
    add(internal::IndexKind::kCountry, query.countries);
    add(internal::IndexKind::kBloc, query.blocs);
    if (query.feed) candidates.push_back(internal::IndexPrefix(internal::IndexKind::kFeed, *query.feed));
    if (query.story) {
      candidates.push_back(internal::IndexPrefix(internal::IndexKind::kStory, *query.story));
    }
    if (candidates.empty()) return ScanEvents(query);

    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    std::vector<std::pair<size_t, std::string>> probed;  // (entries, prefix)
    for (std::string& c : candidates) {
      Result<size_t> n = CountIndexRange(c, query);
      if (!n) return n.error();
      if (*n == 0) return std::vector<Event>();  // a required value with no entry
      probed.emplace_back(*n, std::move(c));
    }
    // The sparsest first (stable: the first named wins a tie).
    std::stable_sort(probed.begin(), probed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> prefixes;
    for (auto& [n, prefix] : probed) prefixes.push_back(std::move(prefix));
    // One sparse prefix (within the probe) is cheapest to walk alone;
    // otherwise the event keys under every prefix are intersected first.
    if (prefixes.size() == 1 || probed.front().first < kProbeEntries / 4) {
      return ScanIndex(prefixes.front(), query);
    }
    return ScanIntersection(prefixes, query);
  }

  Result<std::optional<Event>> GetEventForArticle(std::string_view article_id) const override {
    std::string key;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[internal::kIndex],
                                 internal::ArticleEventKey(article_id), &key);
    if (s.IsNotFound()) return std::optional<Event>();
    if (!s.ok()) return FromRocks(s, "reading the event of article " + std::string(article_id));
    std::string value;
    s = db_->Get(rocksdb::ReadOptions(), handles_[internal::kEvents], key, &value);
    if (s.IsNotFound()) {
      return Corruption("article " + std::string(article_id) + " points at a missing event");
    }
    if (!s.ok()) return FromRocks(s, "reading the event of article " + std::string(article_id));
    Result<Event> e = DecodeEventRecord(key, value);
    if (!e) return e.error();
    return std::optional<Event>(std::move(*e));
  }

  Result<IngestPlan> Plan(const FeedState& feed, std::vector<Article> articles) override;
  Status Apply(const IngestPlan& plan) override;

 private:
  void File(rocksdb::ColumnFamilyHandle* h) {
    for (size_t i = 0; i < kFamilyCount; ++i) {
      if (h->GetName() == kAllFamilies[i]) handles_[i] = h;
    }
  }

  Status CheckWritable(std::string_view op) const {
    if (!read_only_) return Status::Ok();
    return FailedPrecondition(std::string(op) + ": store " + path_ +
                              " is open read-only (secondary)");
  }

  Result<bool> FeedExists(const std::string& url) const {
    rocksdb::PinnableSlice value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), handles_[internal::kFeeds], url, &value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return FromRocks(s, "reading feed " + url);
    return true;
  }

  static Result<FeedState> DecodeFeedRecord(std::string_view key, std::string_view value) {
    Result<FeedState> feed = DecodeFeedState(value);
    if (!feed) return feed.error().WithContext("feeds[" + std::string(key) + "]");
    if (feed->url != key) {
      return Corruption("feeds[" + std::string(key) + "]: record names url " + feed->url);
    }
    return feed;
  }

  static Result<Article> DecodeArticleRecord(std::string_view key, std::string_view value) {
    Result<Article> article = DecodeArticle(value);
    if (!article) return article.error().WithContext("articles[" + std::string(key) + "]");
    if (article->id != key) {
      return Corruption("articles[" + std::string(key) + "]: record names id " + article->id);
    }
    return article;
  }

  Status ScanStories(UnixSeconds since, const std::function<void(StoryEntry)>& fn) const override {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[internal::kArticleTime]));
    for (it->Seek(internal::EncodeTimeMicros(ToMicrosSaturated(since))); it->Valid(); it->Next()) {
      std::optional<ArticleTimeKey> k = ArticleTimeKey::Decode(it->key().ToStringView());
      std::optional<internal::ArticleTimeValue> v =
          internal::ArticleTimeValue::Decode(it->value().ToStringView());
      if (!k || !v) return Corruption("article_time: malformed entry in store " + path_);
      fn(StoryEntry{std::chrono::floor<std::chrono::seconds>(k->fetched), std::move(k->article_id),
                    std::move(v->story_id), std::move(v->signature)});
    }
    return FromRocks(it->status(), "scanning stories of store " + path_);
  }

  static Result<Event> DecodeEventRecord(std::string_view key, std::string_view value) {
    return internal::DecodeEventEntry(key, value);
  }

  // The key range [lower, upper) of the entries under `prefix` (a full
  // index prefix, or "" for the `events` family) within the query's time
  // range. An empty upper means no upper bound.
  struct KeyRange {
    std::string lower;
    std::string upper;
  };
  static KeyRange RangeOf(std::string_view prefix, const EventQuery& query) {
    KeyRange r;
    r.lower = std::string(prefix);
    if (query.since) r.lower += internal::EncodeTimeMicros(*query.since);
    if (query.until) {
      r.upper = std::string(prefix) + internal::EncodeTimeMicros(*query.until);
    } else if (!prefix.empty()) {
      // The prefix ends with 0x00: the next prefix ends with 0x01.
      r.upper = std::string(prefix);
      r.upper.back() = '\x01';
    }
    return r;
  }

  // An iterator over `range` of family `cf`, positioned at its first entry
  // in the requested order (possibly not Valid()).
  std::unique_ptr<rocksdb::Iterator> OpenRange(internal::Family cf, const KeyRange& range,
                                               bool newest_first, rocksdb::Slice* lower,
                                               rocksdb::Slice* upper) const {
    rocksdb::ReadOptions ro;
    *lower = rocksdb::Slice(range.lower);
    *upper = rocksdb::Slice(range.upper);
    ro.iterate_lower_bound = lower;
    if (!range.upper.empty()) ro.iterate_upper_bound = upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[cf]));
    newest_first ? it->SeekToLast() : it->SeekToFirst();
    return it;
  }

  static bool InRange(const KeyRange& range, std::string_view key) {
    return key >= std::string_view(range.lower) &&
           (range.upper.empty() || key < std::string_view(range.upper));
  }

  // Index entries a candidate prefix is probed for (FORMAT.md).
  static constexpr size_t kProbeEntries = 512;

  // The number of index entries under `prefix` in the time range, counting
  // at most kProbeEntries.
  Result<size_t> CountIndexRange(const std::string& prefix, const EventQuery& query) const {
    const KeyRange range = RangeOf(prefix, query);
    rocksdb::Slice lower, upper;
    std::unique_ptr<rocksdb::Iterator> it =
        OpenRange(internal::kIndex, range, /*newest_first=*/false, &lower, &upper);
    size_t n = 0;
    for (; it->Valid() && InRange(range, it->key().ToStringView()) && n < kProbeEntries;
         it->Next()) {
      ++n;
    }
    ASSAY_RETURN_IF_ERROR(FromRocks(it->status(), "probing the index of store " + path_));
    return n;
  }

  // Whether `e` meets the query's conditions (the time range aside, which
  // the key range already enforces).
  static bool Matches(const Event& e, const EventQuery& q) {
    auto has = [](const std::vector<std::string>& set, const std::string& v) {
      return std::find(set.begin(), set.end(), v) != set.end();
    };
    auto has_all = [&](const std::vector<std::string>& set, const std::vector<std::string>& want) {
      return std::all_of(want.begin(), want.end(),
                         [&](const std::string& v) { return has(set, v); });
    };
    if (!has_all(e.tags, q.all_tags) || !has_all(e.minerals, q.minerals) ||
        !has_all(e.countries, q.countries) || !has_all(e.blocs, q.blocs)) {
      return false;
    }
    if (!q.any_tags.empty() &&
        std::none_of(q.any_tags.begin(), q.any_tags.end(),
                     [&](const std::string& v) { return has(e.tags, v); })) {
      return false;
    }
    if (q.feed && e.feed_url != *q.feed) return false;
    if (q.story && e.story_id != *q.story) return false;
    if (q.min_score && !(e.score >= *q.min_score)) return false;
    if (q.min_severity_rank) {
      std::optional<int> rank = SeverityRank(e.severity);
      if (!rank || *rank < *q.min_severity_rank) return false;
    }
    return true;
  }

  static bool Full(const std::vector<Event>& out, const EventQuery& q) {
    return q.limit != 0 && out.size() >= q.limit;
  }

  // Appends the `candidates` that meet the query's article filter (all of
  // them when it has none) to *out, until the query's limit. The articles
  // are read in one MultiGet; an event without its article never passes.
  Status KeepArticleMatches(std::vector<Event>* candidates, const EventQuery& query,
                            std::vector<Event>* out) const {
    if (!query.article_filter) {
      for (Event& e : *candidates) {
        if (Full(*out, query)) break;
        out->push_back(std::move(e));
      }
      candidates->clear();
      return Status::Ok();
    }
    std::vector<std::string_view> ids;
    ids.reserve(candidates->size());
    for (const Event& e : *candidates) ids.push_back(e.article_id);
    Result<std::vector<std::optional<Article>>> articles = MultiGetArticles(ids);
    if (!articles) return articles.error();
    for (size_t i = 0; i < candidates->size() && !Full(*out, query); ++i) {
      const std::optional<Article>& a = (*articles)[i];
      if (a && query.article_filter(*a)) out->push_back(std::move((*candidates)[i]));
    }
    candidates->clear();
    return Status::Ok();
  }

  // Events are decoded and checked in batches of this many, so that the
  // article filter reads its articles with one MultiGet per batch.
  static constexpr size_t kFetchBatch = 64;

  // Walks `events` by time, keeping the events that match.
  Result<std::vector<Event>> ScanEvents(const EventQuery& query) const {
    std::vector<Event> out;
    std::vector<Event> candidates;
    const KeyRange range = RangeOf("", query);
    rocksdb::Slice lower, upper;
    std::unique_ptr<rocksdb::Iterator> it =
        OpenRange(internal::kEvents, range, query.newest_first, &lower, &upper);
    for (; it->Valid() && InRange(range, it->key().ToStringView()) && !Full(out, query);
         query.newest_first ? it->Prev() : it->Next()) {
      Result<Event> e = DecodeEventRecord(it->key().ToStringView(), it->value().ToStringView());
      if (!e) return e.error();
      if (!Matches(*e, query)) continue;
      candidates.push_back(std::move(*e));
      if (candidates.size() == kFetchBatch) {
        ASSAY_RETURN_IF_ERROR(KeepArticleMatches(&candidates, query, &out));
      }
    }
    ASSAY_RETURN_IF_ERROR(FromRocks(it->status(), "reading events of store " + path_));
    ASSAY_RETURN_IF_ERROR(KeepArticleMatches(&candidates, query, &out));
    return out;
  }

  // Reads the events at `keys` with one MultiGet and appends those that meet
  // the query (article filter included) to *out, until its limit; clears
  // `keys`.
  Status FetchAndKeep(std::vector<std::string>* keys, const EventQuery& query,
                      std::vector<Event>* out) const {
    const size_t n = keys->size();
    std::vector<rocksdb::Slice> slices(keys->begin(), keys->end());
    std::vector<rocksdb::PinnableSlice> values(n);
    std::vector<rocksdb::Status> statuses(n);
    if (n > 0) {
      db_->MultiGet(rocksdb::ReadOptions(), handles_[internal::kEvents], n, slices.data(),
                    values.data(), statuses.data());
    }
    std::vector<Event> candidates;
    for (size_t i = 0; i < n; ++i) {
      // An index entry without its event: the event was rewritten or
      // deleted (in one batch with the entry) after the entry was read.
      if (statuses[i].IsNotFound()) continue;
      if (!statuses[i].ok()) return FromRocks(statuses[i], "reading events of store " + path_);
      Result<Event> e = DecodeEventRecord((*keys)[i], values[i].ToStringView());
      if (!e) return e.error();
      if (Matches(*e, query)) candidates.push_back(std::move(*e));
    }
    keys->clear();
    return KeepArticleMatches(&candidates, query, out);
  }

  // Walks the index entries under `prefix`, fetching their events in
  // batches and keeping the ones that match.
  Result<std::vector<Event>> ScanIndex(const std::string& prefix, const EventQuery& query) const {
    std::vector<Event> out;
    const KeyRange range = RangeOf(prefix, query);
    rocksdb::Slice lower, upper;
    std::unique_ptr<rocksdb::Iterator> it =
        OpenRange(internal::kIndex, range, query.newest_first, &lower, &upper);
    std::vector<std::string> keys;
    keys.reserve(kFetchBatch);
    for (; it->Valid() && InRange(range, it->key().ToStringView()) && !Full(out, query);
         query.newest_first ? it->Prev() : it->Next()) {
      std::string_view key = it->key().ToStringView();
      if (key.size() <= prefix.size() || key.substr(0, prefix.size()) != prefix) {
        return Corruption("index: malformed entry under a " + std::to_string(prefix.size()) +
                          "-byte prefix in store " + path_);
      }
      keys.emplace_back(key.substr(prefix.size()));
      if (keys.size() == kFetchBatch) ASSAY_RETURN_IF_ERROR(FetchAndKeep(&keys, query, &out));
    }
    ASSAY_RETURN_IF_ERROR(FromRocks(it->status(), "reading the index of store " + path_));
    if (!Full(out, query)) ASSAY_RETURN_IF_ERROR(FetchAndKeep(&keys, query, &out));
    return out;
  }

  // Several required index values (--mineral M --country C): a leapfrog
  // join of their index ranges on the event key that ends every entry,
  // so that only events under every prefix are read. One iterator per
  // prefix; the candidate is the current key of the last iterator that
  // moved; each other iterator in turn seeks to it (Seek, or SeekForPrev
  // newest first) and either lands on it (one more agrees) or on the next
  // key in the requested order (the new candidate). When all agree the key
  // is emitted and the iterator steps past it. Seeks are bounded by about
  // the entries of the sparsest prefix, and usually far fewer.
  Result<std::vector<Event>> ScanIntersection(const std::vector<std::string>& prefixes,
                                              const EventQuery& query) const {
    const size_t n = prefixes.size();
    const bool newest = query.newest_first;
    std::vector<KeyRange> ranges;
    std::vector<rocksdb::Slice> lowers(n), uppers(n);  // borrowed by the iterators
    std::vector<std::unique_ptr<rocksdb::Iterator>> its;
    ranges.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      ranges.push_back(RangeOf(prefixes[i], query));
      its.push_back(OpenRange(internal::kIndex, ranges[i], newest, &lowers[i], &uppers[i]));
    }
    auto valid = [&](size_t i) {
      return its[i]->Valid() && InRange(ranges[i], its[i]->key().ToStringView());
    };
    auto suffix = [&](size_t i) {
      return its[i]->key().ToStringView().substr(prefixes[i].size());
    };
    auto status = [&]() -> Status {
      for (const auto& it : its) {
        ASSAY_RETURN_IF_ERROR(FromRocks(it->status(), "reading the index of store " + path_));
      }
      return Status::Ok();
    };

    std::vector<Event> out;
    std::vector<std::string> keys;
    keys.reserve(kFetchBatch);
    if (valid(0)) {
      std::string candidate(suffix(0));
      size_t agreeing = 1;
      size_t i = 1 % n;
      while (!Full(out, query)) {
        if (agreeing < n) {
          const std::string target = prefixes[i] + candidate;
          newest ? its[i]->SeekForPrev(target) : its[i]->Seek(target);
          if (!valid(i)) break;
          if (suffix(i) == candidate) {
            ++agreeing;
          } else {
            candidate = std::string(suffix(i));
            agreeing = 1;
          }
        }
        if (agreeing == n) {
          keys.push_back(candidate);
          if (keys.size() == kFetchBatch) ASSAY_RETURN_IF_ERROR(FetchAndKeep(&keys, query, &out));
          newest ? its[i]->Prev() : its[i]->Next();
          if (!valid(i)) break;
          candidate = std::string(suffix(i));
          agreeing = 1;
        }
        i = (i + 1) % n;
      }
    }
    ASSAY_RETURN_IF_ERROR(status());
    if (!Full(out, query)) ASSAY_RETURN_IF_ERROR(FetchAndKeep(&keys, query, &out));
    return out;
  }

  // Reads the stored versions of `ids` (nullopt where absent) in one MultiGet.
  Result<std::vector<std::optional<Article>>> MultiGetArticles(
      const std::vector<std::string_view>& ids) const;

  const std::string path_;
  const bool read_only_;
  std::shared_ptr<rocksdb::Cache> cache_;
  rocksdb::WriteOptions write_options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> all_handles_;  // owned
  std::array<rocksdb::ColumnFamilyHandle*, kFamilyCount> handles_{};  // borrowed from above
  // One writer thread is the contract (store.h); the mutex makes a second
  // one safe rather than silently corrupting the counters.
  std::mutex write_mu_;
  std::atomic<uint64_t> feed_count_{0};
  std::atomic<uint64_t> article_count_{0};
  std::atomic<uint64_t> event_count_{0};
};

using internal::IndexEntries;

Result<std::vector<std::optional<Article>>> RocksStore::MultiGetArticles(
    const std::vector<std::string_view>& ids) const {
  const size_t n = ids.size();
  std::vector<rocksdb::Slice> keys;
  keys.reserve(n);
  for (std::string_view id : ids) keys.emplace_back(id.data(), id.size());
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  if (n > 0) {
    db_->MultiGet(rocksdb::ReadOptions(), handles_[internal::kArticles], n, keys.data(),
                  values.data(), statuses.data());
  }
  std::vector<std::optional<Article>> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return FromRocks(statuses[i], "reading article " + std::string(ids[i]));
    Result<Article> a = DecodeArticleRecord(ids[i], values[i].ToStringView());
    if (!a) return a.error();
    out[i] = std::move(*a);
  }
  return out;
}

Result<IngestPlan> RocksStore::Plan(const FeedState& feed, std::vector<Article> articles) {
  ASSAY_RETURN_IF_ERROR(CheckWritable("Plan"));
  if (feed.url.empty()) return InvalidArgument("Plan: feed url is empty");
  IngestPlan plan;
  plan.feed = feed;
  plan.items.reserve(articles.size());
  for (size_t i = 0; i < articles.size(); ++i) {
    if (articles[i].id.empty()) {
      return InvalidArgument("Plan: feed " + feed.url + ": article " + std::to_string(i) +
                             " has an empty id");
    }
  }
  {
    // The first occurrence of an id wins; later repeats are dropped.
    std::unordered_set<std::string> seen;
    for (Article& a : articles) {
      if (!seen.insert(a.id).second) continue;
      plan.items.push_back(IngestItem{std::move(a), ArticleChange::kNew, std::nullopt});
    }
  }

  std::vector<std::string_view> ids;
  ids.reserve(plan.items.size());
  for (const IngestItem& item : plan.items) ids.push_back(item.article.id);
  Result<std::vector<std::optional<Article>>> stored = MultiGetArticles(ids);
  if (!stored) return stored.error().WithContext("Plan: feed " + feed.url);

  for (size_t i = 0; i < plan.items.size(); ++i) {
    IngestItem& item = plan.items[i];
    const std::optional<Article>& old = (*stored)[i];
    if (!old) {
      // kNew: the caller's story, or its own; the caller may still change
      // it before Apply().
      if (item.article.story_id.empty()) item.article.story_id = item.article.id;
      continue;
    }
    item.article.story_id = old->story_id;
    item.change = old->content_hash == item.article.content_hash ? ArticleChange::kDuplicate
                                                                 : ArticleChange::kUpdated;
  }
  plan.feed.article_count += plan.new_count();
  return plan;
}

Status RocksStore::Apply(const IngestPlan& plan) {
  ASSAY_RETURN_IF_ERROR(CheckWritable("Apply"));
  const std::string& url = plan.feed.url;
  if (url.empty()) return InvalidArgument("Apply: feed url is empty");
  std::lock_guard lock(write_mu_);

  std::vector<const IngestItem*> writes;
  std::vector<std::string_view> ids;
  {
    std::unordered_set<std::string_view> seen;
    for (const IngestItem& item : plan.items) {
      if (item.change == ArticleChange::kDuplicate) continue;
      if (item.article.id.empty()) return InvalidArgument("Apply: feed " + url + ": empty article id");
      if (!seen.insert(item.article.id).second) {
        return InvalidArgument("Apply: feed " + url + ": article " + item.article.id +
                               " appears twice in the plan");
      }
      writes.push_back(&item);
      ids.push_back(item.article.id);
    }
  }
  // The stored versions: an update must replace the old index entries, and a
  // plan that no longer matches the store (a write between Plan and Apply)
  // is refused rather than miscounted.
  Result<std::vector<std::optional<Article>>> stored = MultiGetArticles(ids);
  if (!stored) return stored.error().WithContext("Apply: feed " + url);
  Result<bool> feed_exists = FeedExists(url);
  if (!feed_exists) return feed_exists.error();

  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* articles_cf = handles_[internal::kArticles];
  rocksdb::ColumnFamilyHandle* time_cf = handles_[internal::kArticleTime];
  rocksdb::Status s;
  auto put = [&](rocksdb::ColumnFamilyHandle* cf, std::string_view k, std::string_view v) {
    if (s.ok()) s = batch.Put(cf, k, v);
  };
  auto del = [&](rocksdb::ColumnFamilyHandle* cf, std::string_view k) {
    if (s.ok()) s = batch.Delete(cf, k);
  };

  rocksdb::ColumnFamilyHandle* events_cf = handles_[internal::kEvents];
  rocksdb::ColumnFamilyHandle* index_cf = handles_[internal::kIndex];
  put(handles_[internal::kFeeds], url, EncodeFeedState(plan.feed));
  uint64_t new_articles = 0;
  int64_t event_delta = 0;
  for (size_t i = 0; i < writes.size(); ++i) {
    const IngestItem& item = *writes[i];
    const std::optional<Article>& old = (*stored)[i];
    const bool is_new = item.change == ArticleChange::kNew;
    if (is_new == old.has_value()) {
      return FailedPrecondition("Apply: feed " + url + ": article " + item.article.id +
                                " was planned as " +
                                std::string(ArticleChangeName(item.change)) +
                                " but is " + (old ? "" : "not ") +
                                "stored; Plan() and Apply() must be paired");
    }
    if (old) {
      del(time_cf, ArticleTimeKey::Encode(ToMicrosSaturated(old->fetched), old->id));
    } else {
      ++new_articles;
    }
    const Article& a = item.article;
    const std::string& story_id = a.story_id.empty() ? a.id : a.story_id;
    if (a.story_id.empty()) {
      // No story given: the article starts its own.
      Article copy = a;
      copy.story_id = a.id;
      put(articles_cf, a.id, EncodeArticle(copy));
    } else {
      put(articles_cf, a.id, EncodeArticle(a));
    }
    put(time_cf, ArticleTimeKey::Encode(ToMicrosSaturated(a.fetched), a.id),
        internal::ArticleTimeValue::Encode(story_id, a.story_signature));

    // The article's event: an update replaces the earlier one in place.
    std::optional<std::string> old_key;
    if (old) {
      std::string key;
      rocksdb::Status g = db_->Get(rocksdb::ReadOptions(), index_cf, internal::ArticleEventKey(a.id), &key);
      if (g.ok()) {
        old_key = std::move(key);
      } else if (!g.IsNotFound()) {
        return FromRocks(g, "Apply: reading the event of article " + a.id);
      }
    }
    if (old_key) {
      std::string value;
      rocksdb::Status g = db_->Get(rocksdb::ReadOptions(), events_cf, *old_key, &value);
      if (!g.ok() && !g.IsNotFound()) return FromRocks(g, "Apply: reading event of article " + a.id);
      if (g.ok()) {
        Result<Event> old_event = DecodeEventRecord(*old_key, value);
        if (!old_event) return old_event.error();
        for (const std::string& k : IndexEntries(*old_event, *old_key)) del(index_cf, k);
      }
      if (!item.event) {
        del(events_cf, *old_key);
        del(index_cf, internal::ArticleEventKey(a.id));
        --event_delta;
      }
    }
    if (item.event) {
      Event e = *item.event;
      e.article_id = a.id;
      e.feed_url = a.feed_url;
      e.story_id = story_id;
      const std::string key = old_key ? *old_key : internal::EventKey::Encode(e.time, a.id);
      put(events_cf, key, EncodeEvent(e));
      for (const std::string& k : IndexEntries(e, key)) put(index_cf, k, "");
      if (!old_key) {
        put(index_cf, internal::ArticleEventKey(a.id), key);
        ++event_delta;
      }
    }
  }
  const uint64_t feeds = feed_count_.load(std::memory_order_relaxed) + (*feed_exists ? 0 : 1);
  const uint64_t total = article_count_.load(std::memory_order_relaxed) + new_articles;
  if (!*feed_exists) put(handles_[internal::kMeta], internal::kFeedCountKey, Fixed64(feeds));
  if (new_articles > 0) {
    put(handles_[internal::kMeta], internal::kArticleCountKey, Fixed64(total));
  }
  const uint64_t events =
      static_cast<uint64_t>(static_cast<int64_t>(event_count_.load(std::memory_order_relaxed)) + event_delta);
  if (event_delta != 0) put(handles_[internal::kMeta], internal::kEventCountKey, Fixed64(events));
  if (s.ok()) {
    s = internal::PutAlertRecords(&batch, handles_[internal::kAlerts], handles_[internal::kOutbox],
                                  plan.alerts, plan.notifications);
  }
  ASSAY_RETURN_IF_ERROR(FromRocks(s, "Apply: building batch for feed " + url));
  ASSAY_RETURN_IF_ERROR(FromRocks(db_->Write(write_options_, &batch),
                                  "Apply: writing " + std::to_string(writes.size()) +
                                      " articles of feed " + url + " to store " + path_));
  feed_count_.store(feeds, std::memory_order_relaxed);
  article_count_.store(total, std::memory_order_relaxed);
  event_count_.store(events, std::memory_order_relaxed);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                           const StoreOptions& options) {
  const bool exists = StoreExists(path);
  if (!exists && !options.create_if_missing) {
    return NotFound("no store at " + path);
  }
  rocksdb::DBOptions db_options = MakeDbOptions();
  db_options.create_if_missing = options.create_if_missing;

  std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName};
  if (exists) {
    names.clear();
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, path, &names);
    if (!s.ok()) return FromRocks(s, "listing column families of store " + path);
  }
  auto cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, path, Descriptors(names, cache), &handles, &raw);
  if (!s.ok()) {
    if (IsLockError(s)) {
      if (s.ToString().find("current process") != std::string::npos) {
        return FailedPrecondition("store " + path + " is already open in this process");
      }
      return FailedPrecondition("store " + path + " is in use by another process");
    }
    return FromRocks(s, "opening store " + path);
  }
  auto store = std::make_unique<RocksStore>(path, /*read_only=*/false, options.sync, cache);
  store->Adopt(raw, std::move(handles));

  // Check the version before adding anything: a newer schema's store is left
  // as it was.
  Result<std::optional<uint32_t>> version = store->ReadSchemaVersion();
  if (!version) return version.error();
  if (*version) ASSAY_RETURN_IF_ERROR(store->CheckSchemaVersion(**version));
  ASSAY_RETURN_IF_ERROR(store->CreateMissingFamilies());
  // No version yet: a new store, or one whose creation stopped before the
  // version was written (the version is written last).
  if (!*version) ASSAY_RETURN_IF_ERROR(store->InitializeMeta());
  ASSAY_RETURN_IF_ERROR(store->LoadCounts());
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> Store::OpenSecondary(const std::string& path,
                                                    const std::string& scratch_dir) {
  if (!StoreExists(path)) return NotFound("no store at " + path);
  std::error_code ec;
  std::filesystem::create_directories(scratch_dir, ec);
  if (ec) {
    return IOError("creating secondary scratch directory " + scratch_dir + ": " +
                   ec.message());
  }
  rocksdb::DBOptions db_options = MakeDbOptions();
  // Required by secondaries: they must keep every table file open, since
  // the primary may delete it after a compaction.
  db_options.max_open_files = -1;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, path, &names);
  if (!s.ok()) return FromRocks(s, "listing column families of store " + path);

  auto cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenAsSecondary(db_options, path, scratch_dir, Descriptors(names, cache),
                                   &handles, &raw);
  if (!s.ok()) return FromRocks(s, "opening store " + path + " as secondary");
  auto store = std::make_unique<RocksStore>(path, /*read_only=*/true, /*sync=*/false, cache);
  store->Adopt(raw, std::move(handles));

  Result<std::optional<uint32_t>> version = store->ReadSchemaVersion();
  if (!version) return version.error();
  if (!*version) {
    return FailedPrecondition("store " + path +
                              " has no schema version yet; open it for writing first");
  }
  ASSAY_RETURN_IF_ERROR(store->CheckSchemaVersion(**version));
  if (std::vector<std::string> missing = store->MissingFamilies(); !missing.empty()) {
    return FailedPrecondition("store " + path + " lacks column family '" + missing.front() +
                              "'; open it for writing once to create it");
  }
  ASSAY_RETURN_IF_ERROR(store->LoadCounts());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace assay::storage
