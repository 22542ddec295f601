// Byte-level encodings of the store: varints, fixed-width integers,
// length-prefixed strings, and the versioned value records for Article and
// FeedState. Layouts: storage/FORMAT.md.
//
// Internal to storage/ (and its tests). Pure functions: no I/O, no state,
// callable from any thread.
//
// Decoders never trust their input: a truncated, garbled or over-long value
// yields a Corruption status naming the record and field, never a crash or
// an allocation the bytes cannot back.
#ifndef ASSAY_STORAGE_INTERNAL_CODING_H_
#define ASSAY_STORAGE_INTERNAL_CODING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/article.h"
#include "core/event.h"
#include "core/status.h"

namespace assay::storage::internal {

// The first byte of every Article and FeedState value. Bump it (and teach
// the decoder the old layout) when a record's layout changes; bump
// kSchemaVersion only when old code must refuse the store.
inline constexpr uint8_t kArticleRecordVersion = 1;
inline constexpr uint8_t kFeedRecordVersion = 1;
inline constexpr uint8_t kEventRecordVersion = 1;

// --- primitives (append to *dst) ---
void PutVarint64(std::string* dst, uint64_t v);
void PutSignedVarint64(std::string* dst, int64_t v);  // zigzag, then varint
void PutFixed32(std::string* dst, uint32_t v);        // little-endian
void PutFixed64(std::string* dst, uint64_t v);        // little-endian
void PutFixed64BigEndian(std::string* dst, uint64_t v);
void PutLengthPrefixed(std::string* dst, std::string_view s);  // varint len + bytes

// Reads values off the front of a byte string. Every Get* returns false,
// consuming nothing useful, when the bytes run out or are malformed; the
// caller turns that into a Corruption naming the field.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool GetVarint64(uint64_t* v);
  bool GetSignedVarint64(int64_t* v);
  bool GetFixed32(uint32_t* v);
  bool GetFixed64(uint64_t* v);
  bool GetFixed64BigEndian(uint64_t* v);
  bool GetByte(uint8_t* v);
  bool GetLengthPrefixed(std::string* s);
  // A count of items each at least `min_item_bytes` long; refuses counts
  // the remaining bytes cannot hold, so that a garbled count never causes a
  // huge allocation.
  bool GetCount(uint64_t* n, size_t min_item_bytes);
  size_t remaining() const { return in_.size(); }
  bool empty() const { return in_.empty(); }

 private:
  std::string_view in_;
};

uint32_t DecodeFixed32(const char* p);
uint64_t DecodeFixed64(const char* p);

// --- records ---
std::string EncodeArticle(const Article& a);
Result<Article> DecodeArticle(std::string_view value);

std::string EncodeFeedState(const FeedState& f);
// The event's time is in its key, not in the value; Decode leaves it unset.
std::string EncodeEvent(const Event& e);
Result<Event> DecodeEvent(std::string_view value);
Result<FeedState> DecodeFeedState(std::string_view value);

}  // namespace assay::storage::internal

#endif  // ASSAY_STORAGE_INTERNAL_CODING_H_
