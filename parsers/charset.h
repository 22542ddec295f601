// Character sets: which one a feed's bytes are in, and conversion to UTF-8.
// Pure functions; safe on any thread (glibc iconv descriptors are opened
// per call).
#ifndef ASSAY_PARSERS_CHARSET_H_
#define ASSAY_PARSERS_CHARSET_H_

#include <string>
#include <string_view>
#include <vector>

namespace assay::parsers {

// The charset a document is in, by precedence: a byte-order mark, the
// HTTP Content-Type charset, the XML declaration's encoding, else "utf-8".
// Labels are returned lower-cased and mapped as the WHATWG Encoding
// standard does for legacy labels (iso-8859-1, us-ascii → windows-1252),
// since feeds that say Latin-1 use windows-1252 bytes.
std::string DetectCharset(std::string_view body, std::string_view content_type);

// The charset parameter of a Content-Type value, lower-cased; empty when
// absent.
std::string CharsetFromContentType(std::string_view content_type);

// Converts `body` from `charset` to UTF-8 (dropping any BOM). A label
// iconv does not know, or bytes invalid in it, fall back to windows-1252
// for the affected bytes; each fallback adds a warning. The result is
// always valid UTF-8.
std::string ConvertToUtf8(std::string_view body, std::string_view charset,
                          std::vector<std::string>* warnings);

}  // namespace assay::parsers

#endif  // ASSAY_PARSERS_CHARSET_H_
