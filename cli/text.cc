#include "cli/text.h"

#include <charconv>

#include "query/event_filter.h"

namespace assay::cli {

std::string Join(const std::vector<std::string>& values, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += sep;
    out += values[i];
  }
  return out;
}

std::string FormatScore(double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "?";
  return std::string(buf, p);
}

std::string Fit(const std::string& s, size_t width) {
  std::string out;
  size_t cols = 0, i = 0;
  while (i < s.size() && cols < width) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (cols + 1 == width && i + len < s.size()) break;  // room for the ellipsis only
    if (c < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out.append(s, i, len);
    }
    i += len;
    ++cols;
  }
  if (i < s.size()) {
    out += "\u2026";
    ++cols;
  }
  out.append(width > cols ? width - cols : 0, ' ');
  return out;
}

std::string SourceName(const std::optional<FeedState>& feed) {
  return query::SourceName(feed);
}

}  // namespace assay::cli
