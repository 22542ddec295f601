// Small text helpers the subcommands share for their output.
#ifndef ASSAY_CLI_TEXT_H_
#define ASSAY_CLI_TEXT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/article.h"

namespace assay::cli {

// "a,b,c" with `sep` between the values.
std::string Join(const std::vector<std::string>& values, std::string_view sep);

// The shortest text that reads back as the same double.
std::string FormatScore(double v);

// Cuts `s` to `width` display columns (UTF-8 code points; control
// characters shown as spaces), marking a cut with an ellipsis, and pads it:
// one table cell.
std::string Fit(const std::string& s, size_t width);

// What to call a feed: its configured name, else its own title.
std::string SourceName(const std::optional<FeedState>& feed);

}  // namespace assay::cli

#endif  // ASSAY_CLI_TEXT_H_
