#include "parsers/charset.h"

#include <errno.h>
#include <iconv.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "parsers/html.h"
#include "parsers/internal/text_builder.h"

namespace assay::parsers {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsSpace(s.front()) || s.front() == '"' || s.front() == '\'')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (IsSpace(s.back()) || s.back() == '"' || s.back() == '\'')) {
    s.remove_suffix(1);
  }
  return s;
}

// Maps a label to the name used for conversion.
std::string NormaliseLabel(std::string_view label) {
  std::string l = Lower(Trim(label));
  // WHATWG: these labels all mean windows-1252, and feeds that declare
  // Latin-1 or ASCII really do hold windows-1252 bytes (smart quotes).
  static constexpr std::string_view kCp1252[] = {
      "ansi_x3.4-1968", "ascii",      "cp1252",     "cp819",   "csisolatin1",
      "ibm819",         "iso-8859-1", "iso-ir-100", "iso8859-1", "iso88591",
      "iso_8859-1",     "iso_8859-1:1987", "l1",    "latin1",  "us-ascii",
      "windows-1252",   "x-cp1252"};
  for (std::string_view c : kCp1252) {
    if (l == c) return "windows-1252";
  }
  if (l == "utf8" || l == "unicode-1-1-utf-8" || l == "x-unicode20utf8") {
    return "utf-8";
  }
  return l;
}

std::string BomCharset(std::string_view b) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(b[i]); };
  if (b.size() >= 4 && at(0) == 0 && at(1) == 0 && at(2) == 0xFE && at(3) == 0xFF) {
    return "utf-32be";
  }
  if (b.size() >= 4 && at(0) == 0xFF && at(1) == 0xFE && at(2) == 0 && at(3) == 0) {
    return "utf-32le";
  }
  if (b.size() >= 3 && at(0) == 0xEF && at(1) == 0xBB && at(2) == 0xBF) return "utf-8";
  if (b.size() >= 2 && at(0) == 0xFE && at(1) == 0xFF) return "utf-16be";
  if (b.size() >= 2 && at(0) == 0xFF && at(1) == 0xFE) return "utf-16le";
  // No BOM, but '<' encoded in a 16-bit form.
  if (b.size() >= 4 && at(0) == '<' && at(1) == 0 && at(2) != 0 && at(3) == 0) {
    return "utf-16le";
  }
  if (b.size() >= 4 && at(0) == 0 && at(1) == '<' && at(2) == 0 && at(3) != 0) {
    return "utf-16be";
  }
  return "";
}

std::string XmlDeclCharset(std::string_view b) {
  size_t i = 0;
  while (i < b.size() && IsSpace(b[i])) ++i;
  b.remove_prefix(i);
  if (!b.starts_with("<?xml")) return "";
  size_t end = b.find("?>");
  if (end == std::string_view::npos || end > 512) return "";
  std::string_view decl = b.substr(0, end);
  size_t pos = decl.find("encoding");
  if (pos == std::string_view::npos) return "";
  pos = decl.find('=', pos);
  if (pos == std::string_view::npos) return "";
  ++pos;
  while (pos < decl.size() && IsSpace(decl[pos])) ++pos;
  if (pos >= decl.size() || (decl[pos] != '"' && decl[pos] != '\'')) return "";
  char q = decl[pos];
  size_t close = decl.find(q, pos + 1);
  if (close == std::string_view::npos) return "";
  return std::string(decl.substr(pos + 1, close - pos - 1));
}

size_t BomLength(std::string_view b, std::string_view charset) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(b[i]); };
  if (charset == "utf-8" && b.size() >= 3 && at(0) == 0xEF && at(1) == 0xBB &&
      at(2) == 0xBF) {
    return 3;
  }
  return 0;  // iconv consumes UTF-16/32 BOMs itself
}

// Appends bytes read as windows-1252.
void AppendCp1252(std::string_view in, std::string* out) {
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out->push_back(ch);
    } else if (c < 0xA0) {
      char32_t cp = internal::kCp1252High[c - 0x80];
      // Undefined bytes keep their C1 value; CleanText drops them later.
      AppendUtf8(cp != 0 ? cp : c, out);
    } else {
      AppendUtf8(c, out);
    }
  }
}

// Valid UTF-8 is copied; each invalid byte is read as windows-1252.
bool RepairUtf8(std::string_view in, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t i = 0;
  size_t run = 0;
  bool repaired = false;
  while (i < in.size()) {
    // ASCII eight bytes at a time.
    while (i + 8 <= in.size()) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if (word & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= in.size()) break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    size_t len = internal::DecodeUtf8Char(p + i, in.size() - i, &cp);
    if (len != 0) {
      i += len;
      continue;
    }
    out->append(in.substr(run, i - run));
    AppendCp1252(in.substr(i, 1), out);
    repaired = true;
    ++i;
    run = i;
  }
  out->append(in.substr(run));
  return repaired;
}

}  // namespace

std::string CharsetFromContentType(std::string_view ct) {
  std::string l = Lower(ct);
  size_t pos = l.find("charset");
  if (pos == std::string::npos) return "";
  pos = l.find('=', pos);
  if (pos == std::string::npos) return "";
  std::string_view v = std::string_view(l).substr(pos + 1);
  size_t semi = v.find(';');
  if (semi != std::string_view::npos) v = v.substr(0, semi);
  return std::string(Trim(v));
}

std::string DetectCharset(std::string_view body, std::string_view content_type) {
  if (std::string bom = BomCharset(body); !bom.empty()) return bom;
  if (std::string http = CharsetFromContentType(content_type); !http.empty()) {
    return NormaliseLabel(http);
  }
  if (std::string decl = XmlDeclCharset(body); !decl.empty()) {
    std::string n = NormaliseLabel(decl);
    // A declaration we could read as ASCII cannot be in UTF-16/32.
    if (n.starts_with("utf-16") || n.starts_with("utf-32") || n == "ucs-2" ||
        n == "unicode") {
      return "utf-8";
    }
    return n;
  }
  return "utf-8";
}

std::string ConvertToUtf8(std::string_view body, std::string_view charset,
                          std::vector<std::string>* warnings) {
  std::string cs = NormaliseLabel(charset);
  body.remove_prefix(BomLength(body, cs));
  std::string out;
  out.reserve(body.size() + body.size() / 8);
  if (cs == "utf-8" || cs.empty()) {
    if (RepairUtf8(body, &out)) {
      warnings->push_back("invalid UTF-8 bytes read as windows-1252");
    }
    return out;
  }
  if (cs == "windows-1252") {
    AppendCp1252(body, &out);
    return out;
  }
  iconv_t cd = iconv_open("UTF-8", cs.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    warnings->push_back("unknown charset '" + cs + "'; read as UTF-8");
    if (RepairUtf8(body, &out)) {
      warnings->push_back("invalid UTF-8 bytes read as windows-1252");
    }
    return out;
  }
  // iconv takes char** for its input although it does not write to it.
  std::string in_copy(body);
  char* in = in_copy.data();
  size_t in_left = in_copy.size();
  char buf[16384];
  bool bad = false;
  while (in_left > 0) {
    char* o = buf;
    size_t o_left = sizeof(buf);
    size_t r = iconv(cd, &in, &in_left, &o, &o_left);
    out.append(buf, static_cast<size_t>(o - buf));
    if (r == static_cast<size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ or EINVAL (truncated sequence): take one byte as
      // windows-1252 and carry on.
      AppendCp1252(std::string_view(in, 1), &out);
      ++in;
      --in_left;
      bad = true;
    }
  }
  iconv_close(cd);
  if (bad) {
    warnings->push_back("bytes invalid in charset '" + cs +
                        "' read as windows-1252");
  }
  // A UTF-16/32 byte-order mark comes through as U+FEFF.
  if (out.starts_with("\xEF\xBB\xBF")) out.erase(0, 3);
  // iconv output is UTF-8 by construction; repair is a no-op safety net.
  std::string checked;
  if (RepairUtf8(out, &checked)) return checked;
  return out;
}

}  // namespace assay::parsers
