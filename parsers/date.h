// Feed dates in every format feeds use, to UTC. Pure.
#ifndef ASSAY_PARSERS_DATE_H_
#define ASSAY_PARSERS_DATE_H_

#include <optional>
#include <string_view>

#include "core/time.h"

namespace assay::parsers {

// RFC 822/1123/2822 and their variants (two-digit years, missing weekday or
// seconds, named zones such as EST or CEST, military zones), W3C-DTF and ISO
// 8601 variants (basic and extended, week dates, ordinal dates, missing
// zone = UTC, date only = midnight), asctime, and the other formats
// feedparser's test suite covers. Returns nullopt for anything unparseable
// or invalid (hour 25, 30 February).
std::optional<UnixSeconds> ParseDate(std::string_view text);

}  // namespace assay::parsers

#endif  // ASSAY_PARSERS_DATE_H_
