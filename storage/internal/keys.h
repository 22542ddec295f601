// Key layouts of the store's column families, as small Encode/Decode pairs.
// Layouts and their reasons: storage/FORMAT.md. These must stay in sync
// with that document.
//
// Internal to storage/ (and its tests). Pure functions: any thread.
#ifndef ASSAY_STORAGE_INTERNAL_KEYS_H_
#define ASSAY_STORAGE_INTERNAL_KEYS_H_

#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace assay::storage::internal {

// Column family names. Checklist: a new name goes here, into kAllFamilies,
// into Family, and into FORMAT.md.
inline constexpr std::string_view kMetaFamily = "meta";
inline constexpr std::string_view kFeedsFamily = "feeds";
inline constexpr std::string_view kArticlesFamily = "articles";
inline constexpr std::string_view kArticleTimeFamily = "article_time";
inline constexpr std::string_view kEventsFamily = "events";
inline constexpr std::string_view kIndexFamily = "index";
inline constexpr std::string_view kAlertsFamily = "alerts";
inline constexpr std::string_view kOutboxFamily = "outbox";

// Index into kAllFamilies (and the store's handle array).
enum Family : size_t {
  kMeta = 0,
  kFeeds,
  kArticles,
  kArticleTime,
  kEvents,
  kIndex,
  kAlerts,
  kOutbox,
  kFamilyCount,
};
inline constexpr std::array<std::string_view, kFamilyCount> kAllFamilies = {
    kMetaFamily,  kFeedsFamily,  kArticlesFamily, kArticleTimeFamily,
    kEventsFamily, kIndexFamily, kAlertsFamily,   kOutboxFamily,
};

// Keys of the `meta` family. Values: fixed32 LE (schema version) and
// fixed64 LE (counters).
inline constexpr std::string_view kSchemaVersionKey = "schema_version";
inline constexpr std::string_view kFeedCountKey = "count/feeds";
inline constexpr std::string_view kArticleCountKey = "count/articles";
inline constexpr std::string_view kEventCountKey = "count/events";

// --- time ---
// An instant as 8 bytes whose bytewise order is time order: microseconds
// since the epoch as int64 with the sign bit flipped, big-endian. Instants
// outside the int64 microsecond range (about ±292,000 years) saturate.
std::string EncodeTimeMicros(UnixMicros t);
std::optional<UnixMicros> DecodeTimeMicros(std::string_view eight_bytes);
// Seconds → microseconds, saturating instead of overflowing.
UnixMicros ToMicrosSaturated(UnixSeconds t);

// --- article_time: time(fetched) + article id; value ArticleTimeValue ---
struct ArticleTimeKey {
  UnixMicros fetched;
  std::string article_id;
  static std::string Encode(UnixMicros fetched, std::string_view article_id);
  static std::optional<ArticleTimeKey> Decode(std::string_view key);
};

// Value of an `article_time` entry: the article's story id
// (length-prefixed) and its story signature (the rest), so that the story
// index is rebuilt from this family alone.
struct ArticleTimeValue {
  std::string story_id;
  std::string signature;
  static std::string Encode(std::string_view story_id, std::string_view signature);
  static std::optional<ArticleTimeValue> Decode(std::string_view value);
};

// --- events: time(event) + article id; value EventRecord ---
struct EventKey {
  UnixMicros time;
  std::string article_id;
  static std::string Encode(UnixMicros time, std::string_view article_id);
  static std::optional<EventKey> Decode(std::string_view key);
};

// --- index: kind byte, value, 0x00, event key; value empty ---
// Kinds: checklist, in sync with FORMAT.md and IndexEntries() in store.cc.
enum class IndexKind : char {
  kTag = 't',
  kMineral = 'm',
  kCountry = 'c',
  kBloc = 'b',
  kFeed = 'f',
  kStory = 's',
};
// The prefix of every entry for (kind, value): scan it for all events with
// that value, in time order.
std::string IndexPrefix(IndexKind kind, std::string_view value);
std::string IndexKey(IndexKind kind, std::string_view value, std::string_view event_key);
// The event key at the end of an index key; nullopt if malformed.
std::optional<std::string_view> EventKeyOfIndexKey(std::string_view key);

// The article → event pointer, also in `index`: 'a', article id; value: the
// event key. An article has at most one event.
std::string ArticleEventKey(std::string_view article_id);

}  // namespace assay::storage::internal

#endif  // ASSAY_STORAGE_INTERNAL_KEYS_H_
