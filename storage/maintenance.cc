// The store's maintenance operations (store.h): event rewrites for rules
// replay, verification of the internal references, logical backups and
// their restore, full compaction.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/convenience.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include "core/time.h"
#include "storage/internal/coding.h"
#include "storage/internal/keys.h"
#include "storage/internal/raw_db.h"
#include "storage/internal/records.h"
#include "storage/internal/rocks_status.h"
#include "storage/store.h"

namespace assay::storage {
namespace {

namespace fs = std::filesystem;
using internal::FromRocks;
using internal::RawDb;

std::string Fixed64(uint64_t v) {
  std::string out;
  internal::PutFixed64(&out, v);
  return out;
}

// "CN-000123 @ 2026-11-28T09:00:00.000000Z" for an event key.
std::string DescribeEventKey(std::string_view event_key) {
  std::optional<internal::EventKey> k = internal::EventKey::Decode(event_key);
  if (!k) return "a malformed event key of " + std::to_string(event_key.size()) + " bytes";
  return k->article_id + " @ " + FormatRfc3339Micros(k->time);
}

std::string_view KindName(char kind) {
  switch (kind) {
    case 't': return "tag";
    case 'm': return "mineral";
    case 'c': return "country";
    case 'b': return "bloc";
    case 'f': return "feed";
    case 's': return "story";
    case 'a': return "article";
  }
  return "";
}

// "tag=export_controls -> <event>" for an index key (not an 'a' pointer).
std::string DescribeIndexKey(std::string_view key) {
  std::optional<std::string_view> ek = internal::EventKeyOfIndexKey(key);
  if (!ek || KindName(key[0]).empty()) {
    return "a malformed index key of " + std::to_string(key.size()) + " bytes";
  }
  const std::string_view value = key.substr(1, key.size() - ek->size() - 2);
  return std::string(KindName(key[0])) + "=" + std::string(value) + " -> " +
         DescribeEventKey(*ek);
}

// Reads through a snapshot on a primary; a secondary's view is fixed
// between catch-ups already (and RocksDB 7.8 secondaries take no
// snapshots).
class ConsistentReads {
 public:
  explicit ConsistentReads(const RawDb& raw) : db_(raw.db) {
    if (!raw.read_only) snapshot_ = db_->GetSnapshot();
    options_.snapshot = snapshot_;
  }
  ~ConsistentReads() {
    if (snapshot_ != nullptr) db_->ReleaseSnapshot(snapshot_);
  }
  ConsistentReads(const ConsistentReads&) = delete;
  ConsistentReads& operator=(const ConsistentReads&) = delete;
  const rocksdb::ReadOptions& options() const { return options_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_ = nullptr;
  rocksdb::ReadOptions options_;
};

}  // namespace

// --- RewriteEvents ---

Status Store::RewriteEvents(std::span<const EventRewrite> rewrites) {
  RawDb raw = Raw();
  if (raw.read_only) {
    return FailedPrecondition("RewriteEvents: store " + *raw.path +
                              " is open read-only (secondary)");
  }
  {
    std::unordered_set<std::string_view> seen;
    for (const EventRewrite& r : rewrites) {
      if (!seen.insert(r.article_id).second) {
        return InvalidArgument("RewriteEvents: article " + r.article_id + " is named twice");
      }
    }
  }
  std::lock_guard lock(*raw.write_mu);
  rocksdb::ColumnFamilyHandle* index_cf = raw.cf(internal::kIndex);
  rocksdb::ColumnFamilyHandle* events_cf = raw.cf(internal::kEvents);
  rocksdb::WriteBatch batch;
  rocksdb::Status bs;
  auto put = [&](rocksdb::ColumnFamilyHandle* cf, std::string_view k, std::string_view v) {
    if (bs.ok()) bs = batch.Put(cf, k, v);
  };
  auto del = [&](rocksdb::ColumnFamilyHandle* cf, std::string_view k) {
    if (bs.ok()) bs = batch.Delete(cf, k);
  };
  int64_t delta = 0;
  const rocksdb::ReadOptions ro;
  for (const EventRewrite& r : rewrites) {
    std::string value;
    rocksdb::Status s = raw.db->Get(ro, raw.cf(internal::kArticles), r.article_id, &value);
    if (s.IsNotFound()) {
      return NotFound("RewriteEvents: article " + r.article_id + " is not stored");
    }
    if (!s.ok()) return FromRocks(s, "RewriteEvents: reading article " + r.article_id);
    Result<Article> a = internal::DecodeArticle(value);
    if (!a) return a.error().WithContext("RewriteEvents: articles[" + r.article_id + "]");

    const std::string pointer = internal::ArticleEventKey(r.article_id);
    std::optional<std::string> old_key;
    std::optional<Event> old_event;
    std::string key;
    s = raw.db->Get(ro, index_cf, pointer, &key);
    if (s.ok()) {
      old_key = key;
      std::string old_value;
      rocksdb::Status g = raw.db->Get(ro, events_cf, key, &old_value);
      if (g.ok()) {
        Result<Event> e = internal::DecodeEventEntry(key, old_value);
        if (!e) return e.error().WithContext("RewriteEvents");
        old_event = std::move(*e);
      } else if (!g.IsNotFound()) {
        return FromRocks(g, "RewriteEvents: reading the event of article " + r.article_id);
      }
    } else if (!s.IsNotFound()) {
      return FromRocks(s, "RewriteEvents: reading the event pointer of article " + r.article_id);
    }

    if (old_event) {
      for (const std::string& k : internal::IndexEntries(*old_event, *old_key)) del(index_cf, k);
    }
    if (r.event) {
      Event e = *r.event;
      e.article_id = a->id;
      e.feed_url = a->feed_url;
      e.story_id = a->story_id.empty() ? a->id : a->story_id;
      const std::string k = old_key ? *old_key : internal::EventKey::Encode(e.time, a->id);
      put(events_cf, k, internal::EncodeEvent(e));
      for (const std::string& entry : internal::IndexEntries(e, k)) put(index_cf, entry, "");
      if (!old_key) put(index_cf, pointer, k);
      if (!old_event) ++delta;
    } else if (old_key) {
      if (old_event) {
        del(events_cf, *old_key);
        --delta;
      }
      del(index_cf, pointer);
    }
  }
  const uint64_t events = static_cast<uint64_t>(
      std::max<int64_t>(0, static_cast<int64_t>(raw.event_count->load(std::memory_order_relaxed)) + delta));
  if (delta != 0) put(raw.cf(internal::kMeta), internal::kEventCountKey, Fixed64(events));
  ASSAY_RETURN_IF_ERROR(FromRocks(bs, "RewriteEvents: building the batch"));
  ASSAY_RETURN_IF_ERROR(FromRocks(raw.db->Write(*raw.write_options, &batch),
                                  "RewriteEvents: writing " + std::to_string(rewrites.size()) +
                                      " events to store " + *raw.path));
  raw.event_count->store(events, std::memory_order_relaxed);
  return Status::Ok();
}

// --- Verify ---

Result<VerifyReport> Store::Verify(size_t max_problems) const {
  // Reads only; Raw() is non-const because writers share it.
  const RawDb raw = const_cast<Store*>(this)->Raw();
  const ConsistentReads reads(raw);
  const rocksdb::ReadOptions& ro = reads.options();
  VerifyReport report;
  auto problem = [&](std::string text) {
    ++report.problem_count;
    if (report.problems.size() < max_problems) report.problems.push_back(std::move(text));
  };
  auto scan = [&](internal::Family family, auto fn) -> Status {
    std::unique_ptr<rocksdb::Iterator> it(raw.db->NewIterator(ro, raw.cf(family)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ASSAY_RETURN_IF_ERROR(fn(it->key().ToStringView(), it->value().ToStringView()));
    }
    return FromRocks(it->status(), "verify: reading " +
                                       std::string(internal::kAllFamilies[family]) +
                                       " of store " + *raw.path);
  };
  // Looks up `key`: the value, nullopt when absent.
  auto get = [&](internal::Family family,
                 std::string_view key) -> Result<std::optional<std::string>> {
    std::string value;
    rocksdb::Status s = raw.db->Get(ro, raw.cf(family), key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, "verify: reading store " + *raw.path);
    return std::optional<std::string>(std::move(value));
  };

  // 1. Every event: decodable, its index entries, its 'a' pointer, its
  // article.
  ASSAY_RETURN_IF_ERROR(scan(internal::kEvents, [&](std::string_view key,
                                                    std::string_view value) -> Status {
    ++report.events;
    Result<Event> e = internal::DecodeEventEntry(key, value);
    if (!e) {
      problem("event " + DescribeEventKey(key) + ": " + e.error().message());
      return Status::Ok();
    }
    std::vector<std::string> wanted = internal::IndexEntries(*e, key);
    std::vector<rocksdb::Slice> slices(wanted.begin(), wanted.end());
    std::vector<rocksdb::PinnableSlice> values(wanted.size());
    std::vector<rocksdb::Status> statuses(wanted.size());
    raw.db->MultiGet(ro, raw.cf(internal::kIndex), slices.size(), slices.data(), values.data(),
                     statuses.data());
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (statuses[i].IsNotFound()) {
        problem("event " + DescribeEventKey(key) + ": index entry " +
                DescribeIndexKey(wanted[i]) + " is missing");
      } else if (!statuses[i].ok()) {
        return FromRocks(statuses[i], "verify: reading the index of store " + *raw.path);
      }
    }
    Result<std::optional<std::string>> pointer =
        get(internal::kIndex, internal::ArticleEventKey(e->article_id));
    if (!pointer) return pointer.error();
    if (!*pointer) {
      problem("event " + DescribeEventKey(key) + ": the article's event pointer is missing");
    } else if (**pointer != key) {
      problem("event " + DescribeEventKey(key) + ": the article's event pointer names " +
              DescribeEventKey(**pointer));
    }
    Result<std::optional<std::string>> article = get(internal::kArticles, e->article_id);
    if (!article) return article.error();
    if (!*article) problem("event " + DescribeEventKey(key) + ": its article is missing");
    return Status::Ok();
  }));

  // 2. Every index entry: an event that exists and carries it.
  ASSAY_RETURN_IF_ERROR(scan(internal::kIndex, [&](std::string_view key,
                                                   std::string_view value) -> Status {
    ++report.index_entries;
    if (!key.empty() && key[0] == 'a') {
      const std::string_view id = key.substr(1);
      Result<std::optional<std::string>> event = get(internal::kEvents, value);
      if (!event) return event.error();
      std::optional<internal::EventKey> k = internal::EventKey::Decode(value);
      if (!*event) {
        problem("event pointer of article " + std::string(id) + " names a missing event " +
                DescribeEventKey(value));
      } else if (!k || k->article_id != id) {
        problem("event pointer of article " + std::string(id) + " names the event of another article: " +
                DescribeEventKey(value));
      }
      return Status::Ok();
    }
    std::optional<std::string_view> event_key = internal::EventKeyOfIndexKey(key);
    if (!event_key || KindName(key[0]).empty()) {
      problem("index entry " + DescribeIndexKey(key) + " is malformed");
      return Status::Ok();
    }
    Result<std::optional<std::string>> event = get(internal::kEvents, *event_key);
    if (!event) return event.error();
    if (!*event) {
      problem("index entry " + DescribeIndexKey(key) + " points at a missing event");
      return Status::Ok();
    }
    Result<Event> e = internal::DecodeEventEntry(*event_key, **event);
    if (!e) return Status::Ok();  // reported by the events pass
    std::vector<std::string> entries = internal::IndexEntries(*e, *event_key);
    if (std::find(entries.begin(), entries.end(), key) == entries.end()) {
      problem("index entry " + DescribeIndexKey(key) + ": the event does not carry it");
    }
    return Status::Ok();
  }));

  // 3. Every article_time entry: the article, fetched at that time.
  ASSAY_RETURN_IF_ERROR(scan(internal::kArticleTime, [&](std::string_view key,
                                                         std::string_view) -> Status {
    ++report.article_time_entries;
    std::optional<internal::ArticleTimeKey> k = internal::ArticleTimeKey::Decode(key);
    if (!k) {
      problem("article_time entry of " + std::to_string(key.size()) + " bytes is malformed");
      return Status::Ok();
    }
    const std::string what = "article_time entry " + k->article_id + " @ " +
                             FormatRfc3339Micros(k->fetched);
    Result<std::optional<std::string>> value = get(internal::kArticles, k->article_id);
    if (!value) return value.error();
    if (!*value) {
      problem(what + " points at a missing article");
      return Status::Ok();
    }
    Result<Article> a = internal::DecodeArticle(**value);
    if (!a) {
      problem("article " + k->article_id + ": " + a.error().message());
    } else if (internal::ToMicrosSaturated(a->fetched) != k->fetched) {
      problem(what + ": the article was fetched at " +
              FormatRfc3339Micros(internal::ToMicrosSaturated(a->fetched)));
    }
    return Status::Ok();
  }));

  // 4. Every article has an article_time entry (the entry's own checks
  // above make this one-to-one when the counts agree).
  uint64_t feeds = 0;
  ASSAY_RETURN_IF_ERROR(scan(internal::kArticles, [&](std::string_view, std::string_view) {
    ++report.articles;
    return Status::Ok();
  }));
  ASSAY_RETURN_IF_ERROR(scan(internal::kFeeds, [&](std::string_view, std::string_view) {
    ++feeds;
    return Status::Ok();
  }));
  if (report.articles != report.article_time_entries) {
    problem(std::to_string(report.articles) + " articles but " +
            std::to_string(report.article_time_entries) + " article_time entries");
  }

  // 5. The meta counters.
  auto check_counter = [&](std::string_view name, uint64_t actual) -> Status {
    Result<std::optional<std::string>> v = get(internal::kMeta, name);
    if (!v) return v.error();
    if (!*v || (*v)->size() != 8) {
      problem("meta counter " + std::string(name) + " is missing or malformed");
    } else if (uint64_t stored = internal::DecodeFixed64((*v)->data()); stored != actual) {
      problem("meta counter " + std::string(name) + " says " + std::to_string(stored) +
              ", the store holds " + std::to_string(actual));
    }
    return Status::Ok();
  };
  ASSAY_RETURN_IF_ERROR(check_counter(internal::kFeedCountKey, feeds));
  ASSAY_RETURN_IF_ERROR(check_counter(internal::kArticleCountKey, report.articles));
  ASSAY_RETURN_IF_ERROR(check_counter(internal::kEventCountKey, report.events));
  return report;
}

// --- WriteBackup / RestoreBackup ---

Result<BackupInfo> Store::WriteBackup(const std::string& dir) const {
  const RawDb raw = const_cast<Store*>(this)->Raw();  // reads only
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return FailedPrecondition("backup directory " + dir + " is not empty");
  }
  // The table files are written beside the new database (RocksDB would
  // treat stray .sst files inside it as its own), then moved into it.
  const fs::path staging = fs::path(dir) / "staging";
  fs::create_directories(staging, ec);
  if (ec) return IOError("creating " + staging.string() + ": " + ec.message());

  BackupInfo info;
  std::vector<std::pair<internal::Family, std::string>> files;
  {
    const ConsistentReads reads(raw);
    rocksdb::Options sst_options;
    // Whatever the store itself uses, the copy is cold data: zstd when this
    // RocksDB build has it, else lz4, else none.
    const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
    for (rocksdb::CompressionType t : {rocksdb::kZSTD, rocksdb::kLZ4Compression}) {
      if (std::find(supported.begin(), supported.end(), t) != supported.end()) {
        sst_options.compression = t;
        break;
      }
    }
    for (size_t f = 0; f < internal::kFamilyCount; ++f) {
      const auto family = static_cast<internal::Family>(f);
      const std::string path =
          (staging / (std::string(internal::kAllFamilies[f]) + ".sst")).string();
      rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), sst_options);
      std::unique_ptr<rocksdb::Iterator> it(raw.db->NewIterator(reads.options(), raw.cf(family)));
      bool open = false;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (!open) {
          ASSAY_RETURN_IF_ERROR(FromRocks(writer.Open(path), "backup: creating " + path));
          open = true;
        }
        ASSAY_RETURN_IF_ERROR(
            FromRocks(writer.Put(it->key(), it->value()), "backup: writing " + path));
        ++info.keys;
        info.bytes += it->key().size() + it->value().size();
      }
      ASSAY_RETURN_IF_ERROR(FromRocks(it->status(), "backup: reading store " + *raw.path));
      if (!open) continue;  // an empty family: nothing to ingest
      ASSAY_RETURN_IF_ERROR(FromRocks(writer.Finish(), "backup: finishing " + path));
      files.emplace_back(family, path);
    }
  }
  {
    Result<std::unique_ptr<Store>> copy = Store::Open(dir, StoreOptions{});
    if (!copy) return copy.error().WithContext("backup");
    RawDb target = (*copy)->Raw();
    for (const auto& [family, path] : files) {
      rocksdb::IngestExternalFileOptions opts;
      opts.move_files = true;
      ASSAY_RETURN_IF_ERROR(FromRocks(
          target.db->IngestExternalFile(target.cf(family), {path}, opts),
          "backup: ingesting " + path + " into " + dir));
    }
  }
  fs::remove_all(staging, ec);
  // Reopened to read the copied counters (and to prove the copy opens).
  Result<std::unique_ptr<Store>> copy = Store::Open(dir, StoreOptions{.create_if_missing = false});
  if (!copy) return copy.error().WithContext("backup: reopening " + dir);
  info.counts = (*copy)->Counts();
  return info;
}

Status Store::RestoreBackup(const std::string& backup_dir, const std::string& store_path,
                            bool force) {
  std::error_code ec;
  if (!fs::exists(fs::path(backup_dir) / "CURRENT", ec)) {
    return NotFound("no backup at " + backup_dir);
  }
  const bool target_exists = fs::exists(store_path, ec) && !fs::is_empty(store_path, ec);
  if (target_exists) {
    if (!fs::exists(fs::path(store_path) / "CURRENT", ec)) {
      return FailedPrecondition(store_path + " is not empty and holds no store; not replacing it");
    }
    if (!force) {
      return FailedPrecondition("store " + store_path +
                                " exists; pass --force to replace it with the backup");
    }
    // A daemon holding the store makes this fail with "in use".
    Result<std::unique_ptr<Store>> held =
        Store::Open(store_path, StoreOptions{.create_if_missing = false});
    if (!held) return held.error().WithContext("restore");
  }
  const std::string pid = std::to_string(getpid());
  const fs::path target = fs::path(store_path).lexically_normal();
  const fs::path incoming = target.string() + ".restoring-" + pid;
  const fs::path outgoing = target.string() + ".replaced-" + pid;
  fs::remove_all(incoming, ec);
  fs::create_directories(incoming.parent_path(), ec);
  fs::copy(backup_dir, incoming, fs::copy_options::recursive, ec);
  if (ec) {
    fs::remove_all(incoming, ec);
    return IOError("restore: copying " + backup_dir + " to " + incoming.string() + ": " +
                   ec.message());
  }
  {
    Result<std::unique_ptr<Store>> check =
        Store::Open(incoming.string(), StoreOptions{.create_if_missing = false});
    if (!check) {
      std::error_code ignored;
      fs::remove_all(incoming, ignored);
      return check.error().WithContext("restore: the backup in " + backup_dir);
    }
  }
  if (fs::exists(target, ec)) {
    fs::rename(target, outgoing, ec);
    if (ec) return IOError("restore: moving " + target.string() + " aside: " + ec.message());
  }
  fs::rename(incoming, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::rename(outgoing, target, ignored);
    return IOError("restore: moving the copy into " + target.string() + ": " + ec.message());
  }
  fs::remove_all(outgoing, ec);
  return Status::Ok();
}

// --- CompactAll ---

Status Store::CompactAll() {
  RawDb raw = Raw();
  if (raw.read_only) {
    return FailedPrecondition("CompactAll: store " + *raw.path + " is open read-only (secondary)");
  }
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* h : *raw.handles) {
    if (h == nullptr) continue;
    ASSAY_RETURN_IF_ERROR(FromRocks(raw.db->CompactRange(options, h, nullptr, nullptr),
                                    "compacting " + h->GetName() + " of store " + *raw.path));
  }
  return Status::Ok();
}

}  // namespace assay::storage
