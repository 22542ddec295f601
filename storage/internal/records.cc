#include "storage/internal/records.h"

#include <optional>

#include "storage/internal/coding.h"
#include "storage/internal/keys.h"

namespace assay::storage::internal {

std::vector<std::string> IndexEntries(const Event& e, std::string_view event_key) {
  std::vector<std::string> out;
  out.reserve(e.tags.size() + e.minerals.size() + e.countries.size() + e.blocs.size() + 2);
  for (const auto& v : e.tags) out.push_back(IndexKey(IndexKind::kTag, v, event_key));
  for (const auto& v : e.minerals) out.push_back(IndexKey(IndexKind::kMineral, v, event_key));
  for (const auto& v : e.countries) out.push_back(IndexKey(IndexKind::kCountry, v, event_key));
  for (const auto& v : e.blocs) out.push_back(IndexKey(IndexKind::kBloc, v, event_key));
  out.push_back(IndexKey(IndexKind::kFeed, e.feed_url, event_key));
  if (!e.story_id.empty()) out.push_back(IndexKey(IndexKind::kStory, e.story_id, event_key));
  return out;
}

Result<Event> DecodeEventEntry(std::string_view key, std::string_view value) {
  std::optional<EventKey> k = EventKey::Decode(key);
  if (!k) return Corruption("events: malformed key of " + std::to_string(key.size()) + " bytes");
  Result<Event> e = DecodeEvent(value);
  if (!e) return e.error().WithContext("events[" + k->article_id + "]");
  if (e->article_id != k->article_id) {
    return Corruption("events[" + k->article_id + "]: record names article " + e->article_id);
  }
  e->time = k->time;
  return e;
}

}  // namespace assay::storage::internal
