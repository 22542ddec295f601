// An Event: one tagged article in the event log, with everything needed to
// explain it (which rule matched which text where) and to find it again
// (by time, tag, entity, feed and story).
#ifndef ASSAY_CORE_EVENT_H_
#define ASSAY_CORE_EVENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"

namespace assay {

// One matched span: rule `rule` matched `text` at bytes [start, end) of
// `field` ("title", "summary" or "content") of the article.
struct EventMatch {
  std::string rule;
  std::string field;
  uint32_t start = 0;
  uint32_t end = 0;
  std::string text;
  friend bool operator==(const EventMatch&, const EventMatch&) = default;
};

struct Event {
  // When the event entered the log (the article's first tagging); the
  // event key starts with it, so time ranges are prefix scans. An article
  // that is edited later keeps its event time.
  UnixMicros time{};
  std::string article_id;
  std::string feed_url;
  std::string story_id;
  std::vector<std::string> tags;       // sorted, unique
  std::vector<std::string> minerals;   // canonical ids, sorted
  std::vector<std::string> countries;  // ISO 3166-1 alpha-2, sorted
  std::vector<std::string> blocs;      // sorted
  double score = 0;
  std::string severity;  // "info", "low", "medium", "high", "critical"
  std::vector<EventMatch> matches;
  std::string pack_version;  // rule pack that produced it

  friend bool operator==(const Event&, const Event&) = default;
};

}  // namespace assay

#endif  // ASSAY_CORE_EVENT_H_
