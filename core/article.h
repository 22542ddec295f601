// The model types that flow down the spine: an Article (one normalised feed
// entry, as stored) and a FeedState (what assay knows about one feed).
//
// Plain values: copyable, comparable, no behaviour beyond small queries.
#ifndef ASSAY_CORE_ARTICLE_H_
#define ASSAY_CORE_ARTICLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"

namespace assay {

struct Enclosure {
  std::string url;
  std::string type;
  std::optional<int64_t> length;  // bytes
  friend bool operator==(const Enclosure&, const Enclosure&) = default;
};

// One article, normalised: every text field is valid UTF-8 plain text with no
// control characters; links are absolute and canonical.
struct Article {
  // Identity, stable across polls and feeds: "u:" + canonical link, else
  // "g:" + guid, else "h:" + hex content hash. See parsers/normalize.h.
  std::string id;
  std::string feed_url;  // the configured URL of the feed it came from
  std::string link;      // canonical absolute link, or empty
  std::string guid;
  std::string title;
  std::string summary;
  std::string content;
  std::string author;
  std::vector<std::string> categories;
  std::vector<Enclosure> enclosures;
  std::optional<UnixSeconds> published;
  std::optional<UnixSeconds> updated;
  UnixSeconds fetched{};  // when this version was fetched

  // Hash of title, summary and content: a changed value with the same id is
  // an edit.
  uint64_t content_hash = 0;
  // The story signature of title + summary (parsers/story.h encoding):
  // reports of one event from different outlets have similar signatures.
  std::string story_signature;
  // The story this article belongs to (its own id when it starts a story):
  // assigned on ingest from the signatures of recent articles, kept across
  // updates.
  std::string story_id;

  friend bool operator==(const Article&, const Article&) = default;
};

enum class FetchOutcome : uint8_t {
  kNever = 0,    // not fetched yet
  kOk,           // 200 and parsed
  kNotModified,  // 304
  kFailed,       // network, HTTP or parse error
};

std::string_view FetchOutcomeName(FetchOutcome o);

// Everything assay keeps about one feed, keyed by its configured URL.
struct FeedState {
  std::string url;          // as configured; the key
  std::string current_url;  // after permanent redirects; fetch this
  std::string name;         // configured name, or empty
  std::string title;        // from the feed document
  std::string etag;
  std::string last_modified;
  FetchOutcome outcome = FetchOutcome::kNever;
  long http_status = 0;
  std::string last_error;  // empty after a success
  // Recoveries in the last parsed document ("unescaped '&' at line 3"):
  // how many, and the first one.
  uint32_t warning_count = 0;
  std::string last_warning;
  std::optional<UnixSeconds> last_fetch;
  std::optional<UnixSeconds> last_success;
  std::optional<UnixSeconds> next_attempt;
  uint32_t consecutive_failures = 0;
  // The feed's own hint (RSS ttl, Cache-Control max-age, Retry-After) for
  // the shortest sensible interval; 0 = none.
  int64_t hint_seconds = 0;
  uint64_t article_count = 0;  // distinct articles stored from this feed

  friend bool operator==(const FeedState&, const FeedState&) = default;
};

}  // namespace assay

#endif  // ASSAY_CORE_ARTICLE_H_
