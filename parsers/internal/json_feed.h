// JSON Feed 1.0/1.1 → Feed. Internal to parsers/; ParseFeed dispatches here
// when the body starts with '{'.
#ifndef ASSAY_PARSERS_INTERNAL_JSON_FEED_H_
#define ASSAY_PARSERS_INTERNAL_JSON_FEED_H_

#include <string_view>

#include "core/status.h"
#include "parsers/feed.h"

namespace assay::parsers::internal {

// `doc` is UTF-8. Fills *feed (format, fields, entries, warnings). Fails
// with InvalidArgument when the JSON is malformed or not a JSON Feed, and
// ResourceExhausted when it nests deeper than limits.max_depth.
Status ParseJsonFeed(std::string_view doc, const FetchInfo& info,
                     const ParseLimits& limits, Feed* feed);

}  // namespace assay::parsers::internal

#endif  // ASSAY_PARSERS_INTERNAL_JSON_FEED_H_
