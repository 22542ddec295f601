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
inline constexpr std::string_view kStoriesFamily = "stories";
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
  kStories,
  kArticleTime,
  kEvents,
  kIndex,
  kAlerts,
  kOutbox,
  kFamilyCount,
};
inline constexpr std::array<std::string_view, kFamilyCount> kAllFamilies = {
    kMetaFamily,   kFeedsFamily, kArticlesFamily, kStoriesFamily, kArticleTimeFamily,
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

// --- article_time: time(fetched) + article id; value empty ---
struct ArticleTimeKey {
  UnixMicros fetched;
  std::string article_id;
  static std::string Encode(UnixMicros fetched, std::string_view article_id);
  static std::optional<ArticleTimeKey> Decode(std::string_view key);
};

// --- stories: band number, band bits, article id ---
// A 64-bit SimHash is cut into kSimhashBands bands of 16 bits; band 0 is the
// most significant. Two hashes within Hamming distance < kSimhashBands agree
// on at least one band (pigeonhole), so looking up every band of a hash finds
// every stored hash within distance 3.
inline constexpr int kSimhashBands = 4;
inline constexpr int kSimhashBandBits = 16;
inline constexpr size_t kStoryKeyPrefixSize = 3;  // band byte + 2 band bytes

inline uint16_t SimhashBand(uint64_t simhash, int band) {
  return static_cast<uint16_t>(simhash >> (kSimhashBandBits * (kSimhashBands - 1 - band)));
}
inline int HammingDistance(uint64_t a, uint64_t b) { return std::popcount(a ^ b); }

struct StoryKey {
  uint8_t band = 0;
  uint16_t bits = 0;
  std::string article_id;
  // The 3-byte prefix shared by all articles with these band bits.
  static std::string EncodePrefix(uint8_t band, uint16_t bits);
  static std::string Encode(uint8_t band, uint16_t bits, std::string_view article_id);
  static std::optional<StoryKey> Decode(std::string_view key);
};

// Value of a `stories` entry: the article's full SimHash (fixed64 LE) and its
// story id (the rest of the value), so that a lookup needs no article read.
struct StoryValue {
  uint64_t simhash = 0;
  std::string story_id;
  static std::string Encode(uint64_t simhash, std::string_view story_id);
  static std::optional<StoryValue> Decode(std::string_view value);
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
