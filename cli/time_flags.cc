#include "cli/time_flags.h"

#include "config/config.h"

namespace assay::cli {

Result<UnixMicros> ParseTimeFlag(std::string_view flag, const std::string& text, UnixMicros now) {
  if (std::optional<UnixSeconds> t = ParseRfc3339(text)) return UnixMicros(*t);
  if (Result<std::chrono::seconds> d = config::ParseDuration(text); d && d->count() >= 0) {
    return now - std::chrono::duration_cast<std::chrono::microseconds>(*d);
  }
  return InvalidArgument(std::string(flag) + ": '" + text +
                         "' is neither a duration before now (24h, 7d) nor an RFC 3339 time");
}

}  // namespace assay::cli
