// Feed parsing: bytes → Feed. Pure: no I/O, no clock, no network, no
// external entities.
//
// Accepts RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed 1.0/1.1, broken as
// real feeds are: wrong or missing charsets, HTML entities in XML, unescaped
// ampersands, truncated documents. What a reader would recover is recovered
// and a warning recorded. Every text field comes out as trimmed plain UTF-8
// text (HTML stripped, entities decoded, ASCII whitespace collapsed, no
// control characters); dates as UTC; links absolute.
//
//   FetchInfo info{.url = "https://example.org/feed.xml",
//                  .content_type = "application/rss+xml; charset=utf-8"};
//   Result<Feed> feed = ParseFeed(body, info);
//   if (!feed) log(feed.error().message());  // e.g. "not a feed: HTML page"
#ifndef ASSAY_PARSERS_FEED_H_
#define ASSAY_PARSERS_FEED_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/article.h"
#include "core/status.h"
#include "core/time.h"

namespace assay::parsers {

enum class FeedFormat : uint8_t {
  kRss090,  // "rss0.9x": RSS 0.90/0.91/0.92/0.93/0.94
  kRss10,   // "rss1.0" (RDF)
  kRss20,   // "rss2.0"
  kAtom03,  // "atom0.3"
  kAtom10,  // "atom1.0"
  kJsonFeed,  // "jsonfeed1"
};
// The name used by `assay parse --json` ("rss2.0", "atom1.0", "jsonfeed1"...).
std::string_view FeedFormatName(FeedFormat f);

// One entry as the document gives it. Missing values are empty/nullopt.
struct Entry {
  std::optional<std::string> id;
  std::optional<std::string> title;
  std::optional<std::string> link;
  std::optional<UnixSeconds> published;
  std::optional<UnixSeconds> updated;
  std::optional<std::string> author;
  std::optional<std::string> summary;
  std::optional<std::string> content;
  std::vector<std::string> categories;
  std::vector<Enclosure> enclosures;
  // True when `id` came from an RSS guid that is a permalink (no
  // isPermaLink="false"); such a guid also serves as `link` when the entry
  // has none.
  bool id_is_permalink = false;
};

struct Feed {
  FeedFormat format = FeedFormat::kRss20;
  std::optional<std::string> title;
  std::optional<std::string> link;
  std::optional<std::string> id;
  std::optional<std::string> subtitle;
  std::optional<std::string> language;
  std::optional<UnixSeconds> updated;
  std::optional<std::string> author;
  // RSS <ttl> in minutes → seconds; a hint for the scheduler. 0 = none.
  int64_t ttl_seconds = 0;
  std::vector<Entry> entries;
  // What was recovered or dropped ("line 12: unescaped '&'", "entity
  // declaration ignored", "truncated document").
  std::vector<std::string> warnings;
};

// What the fetcher knows about the bytes.
struct FetchInfo {
  std::string url;           // base for relative links; may be empty
  std::string content_type;  // the Content-Type header, with its charset
};

// Caps that keep hostile documents bounded. The defaults are far above any
// real feed.
struct ParseLimits {
  size_t max_items = 10'000;        // further entries are dropped with a warning
  size_t max_field_bytes = 1 << 20;  // longer text is cut at a UTF-8 boundary
  int max_depth = 256;               // deeper documents are refused
};

// Fails with InvalidArgument when the bytes are not a feed ("not a feed: the
// document is an HTML page", "not a feed: empty body"), or cannot be
// recovered at all. A recovered document succeeds with warnings.
Result<Feed> ParseFeed(std::string_view body, const FetchInfo& info,
                       const ParseLimits& limits = {});

}  // namespace assay::parsers

#endif  // ASSAY_PARSERS_FEED_H_
