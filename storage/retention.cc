// Store::DropOlderThan: retention by time ranges (store.h, FORMAT.md
// "Retention").
//
// Two passes, each a walk up to the cutoff in key order, deleting in
// batches: first `events` (keys start with the event time), then
// `article_time` (keys start with the fetch time). Each batch holds the
// writer lock only while it is built and written, and rewrites the meta
// counters it changes, so that it is atomic like an ingest batch. A pass
// resumes after the last key it deleted rather than from the start of the
// family, so that it never rescans its own tombstones.
#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "storage/internal/coding.h"
#include "storage/internal/keys.h"
#include "storage/internal/raw_db.h"
#include "storage/internal/records.h"
#include "storage/internal/rocks_status.h"
#include "storage/store.h"

namespace assay::storage {
namespace {

using internal::FromRocks;
using internal::RawDb;

std::string Fixed64(uint64_t v) {
  std::string out;
  internal::PutFixed64(&out, v);
  return out;
}

// One batch under construction: the deletions and how many of each.
struct DropBatch {
  rocksdb::WriteBatch batch;
  rocksdb::Status status;
  RetentionCounts counts;
  void Delete(rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
    if (status.ok()) status = batch.Delete(cf, key);
  }
};

// Deletes the event at `event_key` (already read: `value`) with its index
// entries and, when it points here, its article's 'a' pointer.
Status DeleteEvent(const RawDb& raw, std::string_view event_key, std::string_view value,
                   DropBatch* b) {
  Result<Event> e = internal::DecodeEventEntry(event_key, value);
  if (!e) return e.error().WithContext("retention");
  for (const std::string& k : internal::IndexEntries(*e, event_key)) {
    b->Delete(raw.cf(internal::kIndex), k);
    ++b->counts.index_entries;
  }
  const std::string pointer = internal::ArticleEventKey(e->article_id);
  std::string target;
  rocksdb::Status s = raw.db->Get(rocksdb::ReadOptions(), raw.cf(internal::kIndex), pointer, &target);
  if (s.ok() && target == event_key) {
    b->Delete(raw.cf(internal::kIndex), pointer);
    ++b->counts.index_entries;
  } else if (!s.ok() && !s.IsNotFound()) {
    return FromRocks(s, "retention: reading the event pointer of article " + e->article_id);
  }
  b->Delete(raw.cf(internal::kEvents), event_key);
  ++b->counts.events;
  return Status::Ok();
}

// Deletes the article of the article_time entry `time_key` (when the
// record is still the version fetched at that time), its event, and the
// entry itself.
Status DeleteArticle(const RawDb& raw, std::string_view time_key, DropBatch* b) {
  std::optional<internal::ArticleTimeKey> k = internal::ArticleTimeKey::Decode(time_key);
  if (!k) return Corruption("retention: malformed article_time key in store " + *raw.path);
  b->Delete(raw.cf(internal::kArticleTime), time_key);
  ++b->counts.article_time_entries;

  std::string value;
  rocksdb::Status s =
      raw.db->Get(rocksdb::ReadOptions(), raw.cf(internal::kArticles), k->article_id, &value);
  if (s.IsNotFound()) return Status::Ok();  // a dangling entry: dropping it is all
  if (!s.ok()) return FromRocks(s, "retention: reading article " + k->article_id);
  Result<Article> a = internal::DecodeArticle(value);
  if (!a) return a.error().WithContext("retention: articles[" + k->article_id + "]");
  // An entry left behind by an update points at an older version; the
  // current one has its own, later entry.
  if (internal::ToMicrosSaturated(a->fetched) != k->fetched) return Status::Ok();

  std::string event_key;
  s = raw.db->Get(rocksdb::ReadOptions(), raw.cf(internal::kIndex),
                  internal::ArticleEventKey(k->article_id), &event_key);
  if (s.ok()) {
    std::string event;
    rocksdb::Status g =
        raw.db->Get(rocksdb::ReadOptions(), raw.cf(internal::kEvents), event_key, &event);
    if (g.ok()) {
      ASSAY_RETURN_IF_ERROR(DeleteEvent(raw, event_key, event, b));
    } else if (g.IsNotFound()) {
      b->Delete(raw.cf(internal::kIndex), internal::ArticleEventKey(k->article_id));
      ++b->counts.index_entries;
    } else {
      return FromRocks(g, "retention: reading the event of article " + k->article_id);
    }
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "retention: reading the event pointer of article " + k->article_id);
  }
  b->Delete(raw.cf(internal::kArticles), k->article_id);
  ++b->counts.articles;
  return Status::Ok();
}

void Add(RetentionCounts* total, const RetentionCounts& batch) {
  total->events += batch.events;
  total->index_entries += batch.index_entries;
  total->articles += batch.articles;
  total->article_time_entries += batch.article_time_entries;
  ++total->batches;
}

}  // namespace

Result<RetentionCounts> Store::DropOlderThan(UnixMicros cutoff, const RetentionOptions& options) {
  RawDb raw = Raw();
  if (raw.read_only) {
    return FailedPrecondition("DropOlderThan: store " + *raw.path + " is open read-only (secondary)");
  }
  const size_t per_batch = std::max<size_t>(options.batch_records, 1);
  const std::string end = internal::EncodeTimeMicros(cutoff);
  RetentionCounts total;

  // One pass over `family` below the cutoff; `drop` deletes one entry.
  // Returns whether the pass finished (false: max_batches ran out).
  auto pass = [&](internal::Family family, auto drop) -> Result<bool> {
    std::string resume;  // the next batch starts after this key
    bool started = false;
    for (;;) {
      if (options.max_batches != 0 && total.batches >= options.max_batches) return false;
      std::lock_guard lock(*raw.write_mu);
      rocksdb::ReadOptions ro;
      rocksdb::Slice upper(end);
      ro.iterate_upper_bound = &upper;
      std::unique_ptr<rocksdb::Iterator> it(raw.db->NewIterator(ro, raw.cf(family)));
      if (started) {
        it->Seek(resume);
        if (it->Valid() && it->key() == rocksdb::Slice(resume)) it->Next();
      } else {
        it->SeekToFirst();
      }
      DropBatch b;
      size_t n = 0;
      for (; it->Valid() && n < per_batch; it->Next(), ++n) {
        ASSAY_RETURN_IF_ERROR(drop(it->key().ToStringView(), it->value().ToStringView(), &b));
        resume = it->key().ToString();
      }
      ASSAY_RETURN_IF_ERROR(FromRocks(it->status(), "retention: reading store " + *raw.path));
      it.reset();
      if (n == 0) return true;
      started = true;
      // The counters, as absolute values in the same batch (as Apply()
      // writes them), so that they are exact after a crash.
      auto minus = [](uint64_t a, uint64_t d) { return a > d ? a - d : 0; };
      const uint64_t events = minus(raw.event_count->load(std::memory_order_relaxed), b.counts.events);
      const uint64_t articles =
          minus(raw.article_count->load(std::memory_order_relaxed), b.counts.articles);
      if (b.status.ok() && b.counts.events > 0) {
        b.status = b.batch.Put(raw.cf(internal::kMeta), internal::kEventCountKey, Fixed64(events));
      }
      if (b.status.ok() && b.counts.articles > 0) {
        b.status =
            b.batch.Put(raw.cf(internal::kMeta), internal::kArticleCountKey, Fixed64(articles));
      }
      ASSAY_RETURN_IF_ERROR(FromRocks(b.status, "retention: building a batch"));
      ASSAY_RETURN_IF_ERROR(FromRocks(raw.db->Write(*raw.write_options, &b.batch),
                                      "retention: writing a batch to store " + *raw.path));
      raw.event_count->store(events, std::memory_order_relaxed);
      raw.article_count->store(articles, std::memory_order_relaxed);
      Add(&total, b.counts);
    }
  };

  Result<bool> events_done = pass(
      internal::kEvents, [&](std::string_view key, std::string_view value, DropBatch* b) {
        return DeleteEvent(raw, key, value, b);
      });
  if (!events_done) return events_done.error();
  if (!*events_done) return total;
  Result<bool> articles_done =
      pass(internal::kArticleTime, [&](std::string_view key, std::string_view, DropBatch* b) {
        return DeleteArticle(raw, key, b);
      });
  if (!articles_done) return articles_done.error();
  total.complete = *articles_done;
  return total;
}

}  // namespace assay::storage
