#include "parsers/internal/xml_tokenizer.h"

#include <algorithm>
#include <cstdint>

#include "parsers/html.h"
#include "parsers/internal/html_entities.h"

namespace assay::parsers::internal {
namespace {

enum WarnKind {
  kWarnBareAmp,
  kWarnHtmlEntity,
  kWarnUnknownEntity,
  kWarnBareLt,
  kWarnDtd,
  kWarnBadTag,
};
constexpr int kMaxWarningsPerKind = 3;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == ':' || static_cast<unsigned char>(c) >= 0x80;
}
bool IsNameChar(char c) {
  return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Named entities in XML come from the XHTML 1.0 DTDs feed authors had in
// mind, which differ from the HTML5 table in two code points.
std::optional<std::string_view> XhtmlEntity(std::string_view name_semi) {
  if (name_semi == "lang;") return "\u2329";
  if (name_semi == "rang;") return "\u232A";
  return LookupHtmlEntity(name_semi);
}

}  // namespace

XmlTokenizer::XmlTokenizer(std::string_view doc, std::vector<std::string>* warnings)
    : doc_(doc), warnings_(warnings) {}

size_t XmlTokenizer::LineAt(size_t offset) const {
  offset = std::min(offset, doc_.size());
  return 1 + static_cast<size_t>(std::count(doc_.begin(), doc_.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

size_t XmlTokenizer::LineOf(std::string_view raw, size_t offset) const {
  // `raw` is normally a slice of the document; compare addresses as
  // integers, since pointers into different objects may not be subtracted.
  auto r = reinterpret_cast<uintptr_t>(raw.data());
  auto d = reinterpret_cast<uintptr_t>(doc_.data());
  if (r < d || r > d + doc_.size()) return 0;
  return LineAt(static_cast<size_t>(r - d) + offset);
}

bool XmlTokenizer::ShouldWarn(int kind) {
  return warned_[kind]++ < kMaxWarningsPerKind;
}

void XmlTokenizer::Decode(std::string_view raw, std::string* out) {
  size_t i = 0;
  while (i < raw.size()) {
    size_t amp = raw.find('&', i);
    if (amp == std::string_view::npos) {
      out->append(raw.substr(i));
      return;
    }
    out->append(raw.substr(i, amp - i));
    std::string_view rest = raw.substr(amp);
    // Name of a would-be reference.
    size_t k = 1;
    if (k < rest.size() && rest[k] == '#') {
      size_t used = DecodeHtmlReference(rest, false, out);
      if (used > 0 && rest[used - 1] == ';') {
        i = amp + used;
        continue;
      }
      if (used > 0) {
        i = amp + used;  // "&#38" without ';': take it as a reader would
        continue;
      }
    } else {
      while (k < rest.size() && k < 64 && (IsAlnum(rest[k]) || rest[k] == '_' ||
                                           rest[k] == '-' || rest[k] == '.')) {
        ++k;
      }
      if (k > 1 && k < rest.size() && rest[k] == ';') {
        std::string_view name = rest.substr(1, k - 1);
        if (name == "amp") {
          out->push_back('&');
        } else if (name == "lt") {
          out->push_back('<');
        } else if (name == "gt") {
          out->push_back('>');
        } else if (name == "quot") {
          out->push_back('"');
        } else if (name == "apos") {
          out->push_back('\'');
        } else if (auto html = XhtmlEntity(rest.substr(1, k))) {
          if (ShouldWarn(kWarnHtmlEntity)) warnings_->push_back("line " + std::to_string(LineOf(raw, amp)) + ": HTML entity '&" + std::string(name) +
                                    ";' in XML");
          out->append(*html);
        } else {
          // Declared in a DTD, perhaps, but never expanded.
          if (ShouldWarn(kWarnUnknownEntity)) warnings_->push_back("undefined entity '&" + std::string(name) +
                                       ";' kept as text (not expanded)");
          out->append(rest.substr(0, k + 1));
        }
        i = amp + k + 1;
        continue;
      }
    }
    if (ShouldWarn(kWarnBareAmp)) warnings_->push_back("unescaped '&' kept as text");
    out->push_back('&');
    i = amp + 1;
  }
}

void XmlTokenizer::SkipDoctype() {
  // pos_ is at "<!DOCTYPE". Skip to the matching '>', over an internal
  // subset in brackets and quoted strings.
  size_t i = pos_ + 9;
  int bracket = 0;
  while (i < doc_.size()) {
    char c = doc_[i];
    if (c == '"' || c == '\'') {
      size_t close = doc_.find(c, i + 1);
      i = close == std::string_view::npos ? doc_.size() : close + 1;
      continue;
    }
    if (c == '[') {
      ++bracket;
      saw_dtd_subset_ = true;
    } else if (c == ']') {
      bracket = std::max(0, bracket - 1);
    } else if (c == '>' && bracket == 0) {
      ++i;
      break;
    } else if (c == '<' && bracket > 0 && doc_.substr(i).starts_with("<!--")) {
      size_t close = doc_.find("-->", i + 4);
      i = close == std::string_view::npos ? doc_.size() : close + 3;
      continue;
    }
    ++i;
  }
  if (saw_dtd_subset_) {
    if (ShouldWarn(kWarnDtd)) warnings_->push_back("document type declaration ignored; its entities are not expanded");
  }
  pos_ = i;
}

void XmlTokenizer::ParseStartTag(XmlToken* tok) {
  size_t i = pos_ + 1;
  size_t name_begin = i;
  while (i < doc_.size() && IsNameChar(doc_[i])) ++i;
  tok->kind = XmlTokenKind::kStart;
  tok->name = doc_.substr(name_begin, i - name_begin);
  tok->attrs.clear();
  tok->self_closing = false;
  while (i < doc_.size()) {
    char c = doc_[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    if (c == '>') {
      ++i;
      break;
    }
    if (c == '/') {
      if (i + 1 < doc_.size() && doc_[i + 1] == '>') {
        tok->self_closing = true;
        i += 2;
        break;
      }
      ++i;
      continue;
    }
    if (c == '<') break;  // a tag that never closed: recover at the next one
    // Attribute name.
    size_t an = i;
    while (i < doc_.size() && !IsSpace(doc_[i]) && doc_[i] != '=' &&
           doc_[i] != '>' && doc_[i] != '/' && doc_[i] != '<') {
      ++i;
    }
    std::string_view aname = doc_.substr(an, i - an);
    size_t j = i;
    while (j < doc_.size() && IsSpace(doc_[j])) ++j;
    std::string_view value;
    if (j < doc_.size() && doc_[j] == '=') {
      ++j;
      while (j < doc_.size() && IsSpace(doc_[j])) ++j;
      if (j < doc_.size() && (doc_[j] == '"' || doc_[j] == '\'')) {
        char q = doc_[j];
        size_t close = doc_.find(q, j + 1);
        if (close == std::string_view::npos) close = doc_.size();
        value = doc_.substr(j + 1, close - j - 1);
        i = std::min(close + 1, doc_.size());
      } else {
        if (ShouldWarn(kWarnBadTag)) warnings_->push_back("line " + std::to_string(LineAt(j)) + ": unquoted attribute value");
        size_t vb = j;
        while (j < doc_.size() && !IsSpace(doc_[j]) && doc_[j] != '>') ++j;
        value = doc_.substr(vb, j - vb);
        i = j;
      }
    }
    if (!aname.empty()) tok->attrs.push_back({aname, value});
  }
  pos_ = i;
  tok->end = i;
}

void XmlTokenizer::Next(XmlToken* tok) {
  while (true) {
    tok->begin = pos_;
    if (pos_ >= doc_.size()) {
      tok->kind = XmlTokenKind::kEof;
      tok->end = pos_;
      return;
    }
    if (doc_[pos_] != '<') {
      size_t lt = doc_.find('<', pos_);
      if (lt == std::string_view::npos) lt = doc_.size();
      tok->kind = XmlTokenKind::kText;
      tok->text = doc_.substr(pos_, lt - pos_);
      pos_ = lt;
      tok->end = pos_;
      return;
    }
    std::string_view rest = doc_.substr(pos_);
    if (rest.starts_with("<!--")) {
      size_t close = doc_.find("-->", pos_ + 4);
      pos_ = close == std::string_view::npos ? doc_.size() : close + 3;
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      size_t close = doc_.find("]]>", pos_ + 9);
      size_t stop = close == std::string_view::npos ? doc_.size() : close;
      tok->kind = XmlTokenKind::kCData;
      tok->text = doc_.substr(pos_ + 9, stop - pos_ - 9);
      pos_ = close == std::string_view::npos ? doc_.size() : close + 3;
      tok->end = pos_;
      return;
    }
    if (rest.size() >= 9 && (rest.substr(0, 9) == "<!DOCTYPE" || rest.substr(0, 9) == "<!doctype")) {
      SkipDoctype();
      continue;
    }
    if (rest.starts_with("<!")) {
      size_t close = doc_.find('>', pos_ + 2);
      pos_ = close == std::string_view::npos ? doc_.size() : close + 1;
      continue;
    }
    if (rest.starts_with("<?")) {
      size_t close = doc_.find("?>", pos_ + 2);
      pos_ = close == std::string_view::npos ? doc_.size() : close + 2;
      continue;
    }
    if (rest.size() > 1 && rest[1] == '/') {
      size_t i = pos_ + 2;
      size_t nb = i;
      while (i < doc_.size() && IsNameChar(doc_[i])) ++i;
      tok->kind = XmlTokenKind::kEnd;
      tok->name = doc_.substr(nb, i - nb);
      size_t close = doc_.find('>', i);
      size_t next_lt = doc_.find('<', i);
      // "</feed" at the very end, or "</a <b>": stop before the next tag.
      if (close == std::string_view::npos || (next_lt != std::string_view::npos && next_lt < close)) {
        pos_ = next_lt == std::string_view::npos ? doc_.size() : next_lt;
      } else {
        pos_ = close + 1;
      }
      tok->end = pos_;
      return;
    }
    if (rest.size() > 1 && IsNameStart(rest[1])) {
      ParseStartTag(tok);
      return;
    }
    // A '<' that opens nothing: literal text.
    if (ShouldWarn(kWarnBareLt)) warnings_->push_back("line " + std::to_string(LineAt(pos_)) + ": unescaped '<' kept as text");
    size_t lt = doc_.find('<', pos_ + 1);
    if (lt == std::string_view::npos) lt = doc_.size();
    tok->kind = XmlTokenKind::kText;
    tok->text = doc_.substr(pos_, lt - pos_);
    pos_ = lt;
    tok->end = pos_;
    return;
  }
}

}  // namespace assay::parsers::internal
