#include "storage/internal/keys.h"

#include <chrono>
#include <limits>

#include "storage/internal/coding.h"

namespace assay::storage::internal {

namespace {
constexpr uint64_t kSignBit = uint64_t{1} << 63;
}  // namespace

std::string EncodeTimeMicros(UnixMicros t) {
  std::string out;
  out.reserve(8);
  PutFixed64BigEndian(&out, static_cast<uint64_t>(t.time_since_epoch().count()) ^ kSignBit);
  return out;
}

std::optional<UnixMicros> DecodeTimeMicros(std::string_view eight_bytes) {
  if (eight_bytes.size() != 8) return std::nullopt;
  Reader r(eight_bytes);
  uint64_t v = 0;
  if (!r.GetFixed64BigEndian(&v)) return std::nullopt;
  return UnixMicros(std::chrono::microseconds(static_cast<int64_t>(v ^ kSignBit)));
}

UnixMicros ToMicrosSaturated(UnixSeconds t) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 1'000'000;
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min() / 1'000'000;
  const int64_t s = t.time_since_epoch().count();
  if (s > kMax) return UnixMicros(std::chrono::microseconds::max());
  if (s < kMin) return UnixMicros(std::chrono::microseconds::min());
  return UnixMicros(std::chrono::microseconds(s * 1'000'000));
}

std::string ArticleTimeKey::Encode(UnixMicros fetched, std::string_view article_id) {
  std::string out = EncodeTimeMicros(fetched);
  out.append(article_id);
  return out;
}

std::optional<ArticleTimeKey> ArticleTimeKey::Decode(std::string_view key) {
  if (key.size() < 8) return std::nullopt;
  std::optional<UnixMicros> t = DecodeTimeMicros(key.substr(0, 8));
  if (!t) return std::nullopt;
  return ArticleTimeKey{*t, std::string(key.substr(8))};
}

std::string ArticleTimeValue::Encode(std::string_view story_id, std::string_view signature) {
  std::string v;
  v.reserve(story_id.size() + signature.size() + 2);
  uint64_t n = story_id.size();
  while (n >= 0x80) {
    v.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  v.push_back(static_cast<char>(n));
  v.append(story_id);
  v.append(signature);
  return v;
}

std::optional<ArticleTimeValue> ArticleTimeValue::Decode(std::string_view value) {
  uint64_t n = 0;
  size_t i = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    if (i >= value.size()) return std::nullopt;
    const auto b = static_cast<unsigned char>(value[i++]);
    n |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) {
      if (n > value.size() - i) return std::nullopt;
      return ArticleTimeValue{std::string(value.substr(i, n)), std::string(value.substr(i + n))};
    }
  }
  return std::nullopt;
}

std::string EventKey::Encode(UnixMicros time, std::string_view article_id) {
  std::string key = EncodeTimeMicros(time);
  key.append(article_id);
  return key;
}

std::optional<EventKey> EventKey::Decode(std::string_view key) {
  if (key.size() <= 8) return std::nullopt;
  std::optional<UnixMicros> t = DecodeTimeMicros(key.substr(0, 8));
  if (!t) return std::nullopt;
  return EventKey{*t, std::string(key.substr(8))};
}

std::string IndexPrefix(IndexKind kind, std::string_view value) {
  std::string p;
  p.reserve(value.size() + 2);
  p.push_back(static_cast<char>(kind));
  p.append(value);
  p.push_back('\0');
  return p;
}

std::string IndexKey(IndexKind kind, std::string_view value, std::string_view event_key) {
  std::string k = IndexPrefix(kind, value);
  k.append(event_key);
  return k;
}

std::optional<std::string_view> EventKeyOfIndexKey(std::string_view key) {
  // Values never contain NUL (stored strings are control-free UTF-8), so the
  // first NUL after the kind byte ends the value.
  const size_t nul = key.find('\0', 1);
  if (key.empty() || nul == std::string_view::npos || key.size() - nul - 1 <= 8) {
    return std::nullopt;
  }
  return key.substr(nul + 1);
}

std::string ArticleEventKey(std::string_view article_id) {
  std::string k = "a";
  k.append(article_id);
  return k;
}

}  // namespace assay::storage::internal
