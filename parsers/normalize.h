// Normalising parsed entries into Articles: canonical URLs, identity,
// content hash and the near-duplicate fingerprint. Pure: no I/O.
#ifndef ASSAY_PARSERS_NORMALIZE_H_
#define ASSAY_PARSERS_NORMALIZE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/article.h"
#include "parsers/feed.h"

namespace assay::parsers {

// Canonical form of an absolute http(s) URL: scheme and host lower-cased,
// default port dropped, empty path as "/", fragment dropped, tracking
// parameters (utm_*, fbclid, gclid, mc_cid, mc_eid, ...) dropped, the rest of
// the query kept in order. Returns nullopt for anything that is not an
// absolute URL with a host.
std::optional<std::string> CanonicalUrl(std::string_view url);

// Resolves `ref` against `base` (RFC 3986 §5.2). Returns `ref` unchanged when
// it is already absolute or `base` is empty.
std::string ResolveUrl(std::string_view base, std::string_view ref);

// FNV-1a 64 over title, summary and content, for edit detection.
uint64_t ContentHash(std::string_view title, std::string_view summary,
                     std::string_view content);

// Turns a parsed feed's entries into Articles. `feed_url` is the configured
// URL of the feed (Article::feed_url); `fetched` stamps each article.
// Identity: "u:" + CanonicalUrl(link), else "g:" + guid, else "h:" + hex of
// ContentHash(feed_url, title, summary). Entries that end up with the same
// id within one document are merged (the first wins).
std::vector<Article> Normalise(const Feed& feed, std::string_view feed_url,
                               UnixSeconds fetched);

}  // namespace assay::parsers

#endif  // ASSAY_PARSERS_NORMALIZE_H_
