// The HTML5 named character reference table, generated into
// html_entities.cc by gen_entities.py from html_entities.txt.
#ifndef ASSAY_PARSERS_INTERNAL_HTML_ENTITIES_H_
#define ASSAY_PARSERS_INTERNAL_HTML_ENTITIES_H_

#include <cstddef>
#include <optional>
#include <string_view>

namespace assay::parsers::internal {

struct EntityRow {
  const char* name;  // "amp;" or, for the legacy forms, "amp"
  const char* utf8;  // the replacement text
};

// Sorted by name (bytewise).
extern const EntityRow kHtmlEntities[];
extern const size_t kHtmlEntityCount;

// Looks up an exact name, with its trailing ';' when it has one.
std::optional<std::string_view> LookupHtmlEntity(std::string_view name);

}  // namespace assay::parsers::internal

#endif  // ASSAY_PARSERS_INTERNAL_HTML_ENTITIES_H_
