// libFuzzer target: the date parser and URL canonicalisation/resolution on
// arbitrary text. Invariants: no crash; a parsed date lies in a sane range;
// a canonical URL is idempotent, valid UTF-8 and starts with http(s)://.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "parsers/date.h"
#include "parsers/html.h"
#include "parsers/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (std::optional<assay::UnixSeconds> t = assay::parsers::ParseDate(text)) {
    const auto year = std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(*t)).year();
    if (year < std::chrono::year(-30000) || year > std::chrono::year(30000)) std::abort();
  }
  if (std::optional<std::string> c = assay::parsers::CanonicalUrl(text)) {
    if (!c->starts_with("http://") && !c->starts_with("https://")) std::abort();
    std::optional<std::string> again = assay::parsers::CanonicalUrl(*c);
    if (!again || *again != *c) std::abort();
  }
  const size_t half = size / 2;
  const std::string resolved =
      assay::parsers::ResolveUrl(text.substr(0, half), text.substr(half));
  (void)resolved;
  return 0;
}
