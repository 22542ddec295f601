// The time flags the query subcommands share (--since, --until).
#ifndef ASSAY_CLI_TIME_FLAGS_H_
#define ASSAY_CLI_TIME_FLAGS_H_

#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"

namespace assay::cli {

// A duration before `now` ("24h", "7d", "1h30m") or an RFC 3339 time. Fails
// with InvalidArgument naming `flag`.
Result<UnixMicros> ParseTimeFlag(std::string_view flag, const std::string& text, UnixMicros now);

}  // namespace assay::cli

#endif  // ASSAY_CLI_TIME_FLAGS_H_
