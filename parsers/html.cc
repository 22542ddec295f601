#include "parsers/html.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "parsers/internal/html_entities.h"
#include "parsers/internal/text_builder.h"

namespace assay::parsers {
namespace internal {

std::optional<std::string_view> LookupHtmlEntity(std::string_view name) {
  const EntityRow* begin = kHtmlEntities;
  const EntityRow* end = kHtmlEntities + kHtmlEntityCount;
  const EntityRow* it = std::lower_bound(
      begin, end, name, [](const EntityRow& row, std::string_view n) {
        return std::string_view(row.name) < n;
      });
  if (it == end || std::string_view(it->name) != name) return std::nullopt;
  return std::string_view(it->utf8);
}

// windows-1252 code points for bytes 0x80..0x9F; 0 where the byte is
// undefined.
const char32_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

size_t DecodeUtf8Char(const unsigned char* p, size_t n, char32_t* cp) {
  unsigned char c = p[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  char32_t v;
  char32_t min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (p[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

void TextBuilder::AppendSlow(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  while (i < n && !full_) {
    unsigned char c = p[i];
    if (c >= 0x21 && c <= 0x7E) {
      size_t j = i + 1;
      while (j < n && p[j] >= 0x21 && p[j] <= 0x7E) ++j;
      Put(s.substr(i, j - i));
      i = j;
      continue;
    }
    if (c < 0x80) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        Space();
      } else if (c >= 0x20 && c != 0x7F) {
        Put(s.substr(i, 1));
      }
      ++i;
      continue;
    }
    char32_t cp = 0;
    size_t len = DecodeUtf8Char(p + i, n - i, &cp);
    if (len == 0) {
      // Not UTF-8: read the byte as windows-1252, as a browser would.
      cp = c < 0xA0 ? kCp1252High[c - 0x80] : c;
      len = 1;
      if (cp != 0) PutCodePoint(cp);
    } else if (cp >= 0x80 && cp <= 0x9F) {
      // C1 controls are windows-1252 characters in the wild.
      if (kCp1252High[cp - 0x80] != 0) PutCodePoint(kCp1252High[cp - 0x80]);
    } else {
      Put(s.substr(i, len));
    }
    i += len;
  }
}

void TextBuilder::PutCodePoint(char32_t cp) {
  std::string tmp;
  AppendUtf8(cp, &tmp);
  Put(tmp);
}

}  // namespace internal

using internal::TextBuilder;

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

}  // namespace

size_t DecodeHtmlReference(std::string_view s, bool in_attribute,
                           std::string* out) {
  if (s.size() < 2 || s[0] != '&') return 0;
  if (s[1] == '#') {
    size_t i = 2;
    bool hex = false;
    if (i < s.size() && (s[i] == 'x' || s[i] == 'X')) {
      hex = true;
      ++i;
    }
    size_t digits_begin = i;
    uint32_t v = 0;
    bool overflow = false;
    while (i < s.size() && (hex ? IsHex(s[i]) : IsDigit(s[i]))) {
      char c = s[i];
      uint32_t d = IsDigit(c) ? static_cast<uint32_t>(c - '0')
                              : static_cast<uint32_t>(Lower(c) - 'a' + 10);
      if (v > 0x10FFFF) {
        overflow = true;
      } else {
        v = v * (hex ? 16u : 10u) + d;
      }
      ++i;
    }
    if (i == digits_begin) return 0;
    if (i < s.size() && s[i] == ';') ++i;
    char32_t cp = overflow ? 0xFFFD : v;
    if (cp >= 0x80 && cp <= 0x9F && internal::kCp1252High[cp - 0x80] != 0) {
      cp = internal::kCp1252High[cp - 0x80];
    }
    AppendUtf8(cp, out);
    return i;
  }
  if (!IsAlpha(s[1])) return 0;
  size_t i = 1;
  // The longest HTML5 name is 31 characters plus ';'.
  while (i < s.size() && i < 40 && IsAlnum(s[i])) ++i;
  if (i < s.size() && s[i] == ';') {
    if (auto r = internal::LookupHtmlEntity(s.substr(1, i))) {
      out->append(*r);
      return i + 1;
    }
  }
  // Legacy references without ';' ("&copy 2004", "&ampx"): the longest
  // prefix that is one. The longest legacy name has 6 characters.
  for (size_t len = std::min<size_t>(i - 1, 6); len >= 2; --len) {
    if (auto r = internal::LookupHtmlEntity(s.substr(1, len))) {
      size_t end = 1 + len;
      if (in_attribute && end < s.size() && (IsAlnum(s[end]) || s[end] == '=')) {
        return 0;
      }
      out->append(*r);
      return end;
    }
  }
  return 0;
}

std::string DecodeHtmlEntities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t amp = s.find('&', i);
    if (amp == std::string_view::npos) {
      out.append(s.substr(i));
      break;
    }
    out.append(s.substr(i, amp - i));
    size_t used = DecodeHtmlReference(s.substr(amp), false, &out);
    if (used == 0) {
      out.push_back('&');
      used = 1;
    }
    i = amp + used;
  }
  return out;
}

namespace {

bool IsBlockTag(std::string_view name) {
  static constexpr std::string_view kBlock[] = {
      "address", "article", "aside", "blockquote", "br", "dd", "div", "dl",
      "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5",
      "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table",
      "tbody", "td", "th", "thead", "tr", "ul"};
  for (std::string_view b : kBlock) {
    if (b == name) return true;
  }
  return false;
}

// Case-insensitive search for `needle` (lower-case) in `hay` from `from`.
size_t FindNoCase(std::string_view hay, std::string_view needle, size_t from) {
  if (needle.size() > hay.size()) return std::string_view::npos;
  for (size_t i = from; i + needle.size() <= hay.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() && Lower(hay[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

// Skips the attributes of a start tag the way the HTML tokenizer does
// (quoted values may hold '>', an unquoted value runs to whitespace or
// '>'). Returns the index just past '>', or s.size() when unterminated.
size_t SkipAttributes(std::string_view s, size_t i) {
  enum { kBeforeName, kName, kAfterName, kBeforeValue, kUnquoted } st =
      kBeforeName;
  while (i < s.size()) {
    char c = s[i];
    switch (st) {
      case kBeforeName:
        if (c == '>') return i + 1;
        if (!IsSpace(c) && c != '/') st = kName;
        break;
      case kName:
        if (c == '>') return i + 1;
        if (c == '=') {
          st = kBeforeValue;
        } else if (IsSpace(c) || c == '/') {
          st = kAfterName;
        }
        break;
      case kAfterName:
        if (c == '>') return i + 1;
        if (c == '=') {
          st = kBeforeValue;
        } else if (!IsSpace(c) && c != '/') {
          st = kName;
        }
        break;
      case kBeforeValue:
        if (c == '>') return i + 1;
        if (c == '"' || c == '\'') {
          size_t close = s.find(c, i + 1);
          if (close == std::string_view::npos) return s.size();
          i = close;
          st = kBeforeName;
        } else if (!IsSpace(c)) {
          st = kUnquoted;
        }
        break;
      case kUnquoted:
        if (c == '>') return i + 1;
        if (IsSpace(c)) st = kBeforeName;
        break;
    }
    ++i;
  }
  return s.size();
}

}  // namespace

std::string HtmlToText(std::string_view s, size_t max_bytes) {
  TextBuilder tb(max_bytes);
  std::string scratch;
  size_t i = 0;
  const size_t n = s.size();
  while (i < n && !tb.full()) {
    char c = s[i];
    if (c == '&') {
      scratch.clear();
      size_t used = DecodeHtmlReference(s.substr(i), false, &scratch);
      if (used == 0) {
        tb.Append("&");
        ++i;
      } else {
        tb.Append(scratch);
        i += used;
      }
      continue;
    }
    if (c != '<') {
      size_t j = i + 1;
      while (j < n && s[j] != '<' && s[j] != '&') ++j;
      tb.Append(s.substr(i, j - i));
      i = j;
      continue;
    }
    // c == '<'
    std::string_view rest = s.substr(i);
    if (rest.starts_with("<!--")) {
      size_t end = s.find("-->", i + 4);
      i = end == std::string_view::npos ? n : end + 3;
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      size_t end = s.find("]]>", i + 9);
      size_t stop = end == std::string_view::npos ? n : end;
      tb.Append(s.substr(i + 9, stop - (i + 9)));
      i = end == std::string_view::npos ? n : end + 3;
      continue;
    }
    if (rest.starts_with("<!") || rest.starts_with("<?")) {
      size_t end = s.find('>', i + 2);
      i = end == std::string_view::npos ? n : end + 1;
      continue;
    }
    bool closing = rest.size() > 1 && rest[1] == '/';
    size_t name_begin = i + (closing ? 2 : 1);
    if (name_begin >= n || !IsAlpha(s[name_begin])) {
      tb.Append("<");
      ++i;
      continue;
    }
    size_t j = name_begin;
    while (j < n && !IsSpace(s[j]) && s[j] != '/' && s[j] != '>') ++j;
    std::string_view raw_name = s.substr(name_begin, j - name_begin);
    if (size_t colon = raw_name.rfind(':'); colon != std::string_view::npos) {
      raw_name.remove_prefix(colon + 1);
    }
    char name[16];
    size_t name_len = 0;
    bool long_name = raw_name.size() >= sizeof(name);
    if (!long_name) {
      for (char ch : raw_name) name[name_len++] = Lower(ch);
    }
    std::string_view lname(name, name_len);
    if (closing) {
      size_t end = s.find('>', j);
      i = end == std::string_view::npos ? n : end + 1;
    } else {
      i = SkipAttributes(s, j);
      if (lname == "script" || lname == "style") {
        std::string close = "</";
        close.append(lname);
        size_t end = FindNoCase(s, close, i);
        if (end == std::string_view::npos) {
          i = n;
        } else {
          size_t gt = s.find('>', end);
          i = gt == std::string_view::npos ? n : gt + 1;
        }
      }
    }
    if (!long_name && IsBlockTag(lname)) tb.Space();
  }
  return tb.Finish();
}

bool LooksLikeHtml(std::string_view s) {
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == '<') {
      if (s[i + 1] == '/' && i + 2 < s.size() && IsAlpha(s[i + 2])) return true;
      std::string_view rest = s.substr(i + 1);
      if (rest.starts_with("br") || rest.starts_with("BR") ||
          rest.starts_with("p>") || rest.starts_with("img ") ||
          rest.starts_with("!--")) {
        return true;
      }
    } else if (s[i] == '&') {
      std::string tmp;
      if (DecodeHtmlReference(s.substr(i), false, &tmp) > 0) {
        size_t semi = s.find(';', i);
        if (semi != std::string_view::npos && semi - i < 40) return true;
      }
    }
  }
  return false;
}

std::string CleanText(std::string_view text, size_t max_bytes) {
  TextBuilder tb(max_bytes);
  tb.Append(text);
  return tb.Finish();
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    size_t len = internal::DecodeUtf8Char(p + i, s.size() - i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace assay::parsers
