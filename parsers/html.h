// Text helpers shared by the feed parsers: HTML → plain text, character
// references, and the final clean-up every text field goes through. Pure
// functions; safe on any thread.
#ifndef ASSAY_PARSERS_HTML_H_
#define ASSAY_PARSERS_HTML_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace assay::parsers {

// Appends the UTF-8 form of `cp` to *out. Surrogates, values above U+10FFFF
// and U+0000 become U+FFFD.
void AppendUtf8(char32_t cp, std::string* out);

// Decodes one character reference at the start of `s` (which begins with
// '&'), following HTML's rules: named references from the full HTML5 table
// (legacy names such as "&amp" also without ';' unless `in_attribute` and
// followed by an alphanumeric or '='), decimal and hex numeric references
// (C1 values map to windows-1252 as browsers do). Appends the replacement
// to *out and returns the number of bytes consumed, or 0 when `s` does not
// start with a reference (the '&' is then literal).
size_t DecodeHtmlReference(std::string_view s, bool in_attribute,
                           std::string* out);

// Decodes every character reference in `s`; other text is copied.
std::string DecodeHtmlEntities(std::string_view s);

// HTML (or XHTML) fragment → plain text in a single pass: tags are removed
// (block-level tags and <br> become a space), comments, processing
// instructions, <script> and <style> content are dropped, CDATA sections
// are kept as text, references are decoded, and the result is cleaned as
// CleanText does. A '<' that cannot open a tag is literal text.
std::string HtmlToText(std::string_view html, size_t max_bytes = SIZE_MAX);

// Guesses whether text declared as plain (RSS elements) is in fact HTML:
// true when it holds an end tag ("</b>") or a character reference.
bool LooksLikeHtml(std::string_view text);

// The clean-up for every output string: invalid UTF-8 bytes are read as
// windows-1252, control characters (C0 other than whitespace, DEL, C1) are
// removed, runs of ASCII whitespace (space, tab, LF, CR, FF) become one
// space, the ends are trimmed, and the result is cut to at most `max_bytes`
// at a character boundary.
std::string CleanText(std::string_view text, size_t max_bytes = SIZE_MAX);

// True when `s` is valid UTF-8 (no overlongs, surrogates or values above
// U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace assay::parsers

#endif  // ASSAY_PARSERS_HTML_H_
