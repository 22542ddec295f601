#include "cli/time_flags.h"

#include "query/event_filter.h"

namespace assay::cli {

Result<UnixMicros> ParseTimeFlag(std::string_view flag, const std::string& text, UnixMicros now) {
  return query::ParseTimeBound(flag, text, now);
}

}  // namespace assay::cli
