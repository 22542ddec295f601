// A forgiving XML pull tokenizer for feeds. Internal to parsers/.
//
// Why not libxml2: feeds are routinely not well-formed (HTML named
// entities, bare '&', stray '<', truncation), and a reader is expected to
// read them anyway. libxml2's recovery mode drops the offending characters
// where a reader keeps them. This tokenizer recovers the way feed readers
// do and, by construction, cannot be made to expand or fetch anything:
//
//   * a DOCTYPE (with any internal subset) is skipped whole; entity
//     declarations are never read, so "billion laughs" and external
//     entities (XXE) have nothing to expand: "&lol9;" stays literal text;
//   * only the five XML entities, numeric references and (as recovery, with
//     a warning) HTML5 named references are decoded;
//   * a bare '&' or '<' is literal text, with a warning;
//   * a truncated document ends with end-of-input, which callers treat as
//     closing every open element.
//
// Names are returned raw ("dc:creator"); namespace resolution is the
// caller's. Not thread-safe; one per document. The tokenizer borrows the
// document, which must outlive it and every token it returns.
#ifndef ASSAY_PARSERS_INTERNAL_XML_TOKENIZER_H_
#define ASSAY_PARSERS_INTERNAL_XML_TOKENIZER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace assay::parsers::internal {

struct XmlAttr {
  std::string_view name;
  std::string_view raw_value;  // undecoded; see XmlTokenizer::Decode
};

enum class XmlTokenKind { kStart, kEnd, kText, kCData, kEof };

struct XmlToken {
  XmlTokenKind kind = XmlTokenKind::kEof;
  std::string_view name;        // kStart, kEnd
  std::vector<XmlAttr> attrs;   // kStart
  bool self_closing = false;    // kStart
  std::string_view text;        // kText (undecoded), kCData (literal)
  size_t begin = 0;             // offset of the token's first byte
  size_t end = 0;               // offset just past the token
};

class XmlTokenizer {
 public:
  // Warnings are appended to *warnings (at most a few of each kind).
  XmlTokenizer(std::string_view doc, std::vector<std::string>* warnings);

  XmlTokenizer(const XmlTokenizer&) = delete;
  XmlTokenizer& operator=(const XmlTokenizer&) = delete;

  // Fills *tok with the next token; kEof at the end (and ever after).
  void Next(XmlToken* tok);

  // Appends `raw` (text or an attribute value) with references decoded.
  void Decode(std::string_view raw, std::string* out);

  // True once a DOCTYPE with an internal subset was skipped.
  bool saw_dtd_subset() const { return saw_dtd_subset_; }

 private:
  bool ShouldWarn(int kind);
  size_t LineAt(size_t offset) const;
  size_t LineOf(std::string_view raw, size_t offset) const;
  void ParseStartTag(XmlToken* tok);
  void SkipDoctype();

  std::string_view doc_;
  size_t pos_ = 0;
  std::vector<std::string>* warnings_;
  int warned_[8] = {};
  bool saw_dtd_subset_ = false;
};

}  // namespace assay::parsers::internal

#endif  // ASSAY_PARSERS_INTERNAL_XML_TOKENIZER_H_
