// The event-log filters that `assay events` (flags) and the daemon's
// GET /api/v1/events (URL parameters of the same names) share: the filters
// as a user writes them, turned into a storage::EventQuery; and the event
// rows both print, with their article's and feed's fields, as JSON.
//
// Threads: pure functions, except LoadEventRows, which reads the store
// (any thread, like the store's other readers).
#ifndef ASSAY_QUERY_EVENT_FILTER_H_
#define ASSAY_QUERY_EVENT_FILTER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/article.h"
#include "core/event.h"
#include "core/status.h"
#include "core/time.h"
#include "storage/store.h"

namespace assay::query {

// Every filter as text, unparsed; empty is no condition.
struct EventFilter {
  std::string since;  // a duration before now (24h, 7d) or an RFC 3339 time
  std::string until;  // same; exclusive
  std::vector<std::string> tags;       // every one of these tags
  std::vector<std::string> any_tags;   // at least one of these
  std::vector<std::string> minerals;   // every one of these
  std::vector<std::string> countries;  // every one of these
  std::vector<std::string> blocs;      // every one of these
  std::string feed;                    // configured feed URL
  std::string story;                   // story id
  std::string min_severity;            // info, low, medium, high, critical
  std::string min_score;               // a number
  std::string limit = "50";            // 0: no limit
  bool oldest_first = false;
  std::string grep;  // RE2 over the article's title and summary
};

// A duration before `now` ("24h", "7d", "1h30m") or an RFC 3339 time.
// Fails with InvalidArgument naming `name`.
Result<UnixMicros> ParseTimeBound(std::string_view name, const std::string& text, UnixMicros now);

// Builds the query; InvalidArgument naming the filter, as `prefix` + its
// name ("--min-score" for the CLI's flags with prefix "--", "min-score" for
// URL parameters with prefix "").
Result<storage::EventQuery> BuildEventQuery(const EventFilter& filter, UnixMicros now,
                                            std::string_view prefix);

// One event with its article's title and link and its feed's name.
struct EventRow {
  std::string id;  // the article id
  UnixMicros time{};
  std::string feed;
  std::string source;
  std::string title;
  std::string link;
  std::vector<std::string> tags;
  std::vector<std::string> minerals;
  std::vector<std::string> countries;
  std::vector<std::string> blocs;
  double score = 0;
  std::string severity;
  std::string story;
};

// A feed's display name: its configured name, else its title.
std::string SourceName(const std::optional<FeedState>& feed);

// The events with their articles and feeds (each feed read once).
Result<std::vector<EventRow>> LoadEventRows(const storage::Store& store, std::vector<Event> events);

// {"id", "time" (RFC 3339, microseconds), "feed", "source", "title", "link",
//  "tags", "minerals", "countries", "blocs", "score", "severity", "story"},
// in that order.
nlohmann::ordered_json EventRowJson(const EventRow& row);

}  // namespace assay::query

#endif  // ASSAY_QUERY_EVENT_FILTER_H_
