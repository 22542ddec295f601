// libFuzzer target: arbitrary bytes through ParseFeed and Normalise.
// Invariants: no crash, every output string valid UTF-8 without control
// characters other than none (text fields are collapsed), sizes bounded by
// the parse limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "parsers/feed.h"
#include "parsers/html.h"
#include "parsers/normalize.h"

namespace {

void Check(const std::string& s, size_t cap) {
  if (!assay::parsers::IsValidUtf8(s) || s.size() > cap + 4) std::abort();
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) std::abort();
  }
}

void Check(const std::optional<std::string>& s, size_t cap) {
  if (s) Check(*s, cap);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  assay::parsers::ParseLimits limits;
  limits.max_items = 200;
  limits.max_field_bytes = 4096;
  assay::parsers::FetchInfo info{.url = "https://fuzz.example/feed", .content_type = ""};
  assay::Result<assay::parsers::Feed> feed = assay::parsers::ParseFeed(body, info, limits);
  if (!feed) return 0;
  if (feed->entries.size() > limits.max_items) std::abort();
  Check(feed->title, limits.max_field_bytes);
  Check(feed->subtitle, limits.max_field_bytes);
  for (const auto& e : feed->entries) {
    Check(e.title, limits.max_field_bytes);
    Check(e.summary, limits.max_field_bytes);
    Check(e.content, limits.max_field_bytes);
    Check(e.author, limits.max_field_bytes);
  }
  for (const assay::Article& a : assay::parsers::Normalise(*feed, info.url, {})) {
    if (a.id.empty()) std::abort();
  }
  return 0;
}
