// TextBuilder: accumulates output text under the rules of CleanText
// (parsers/html.h) in one pass. Internal to parsers/.
#ifndef ASSAY_PARSERS_INTERNAL_TEXT_BUILDER_H_
#define ASSAY_PARSERS_INTERNAL_TEXT_BUILDER_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace assay::parsers::internal {

extern const char32_t kCp1252High[32];

// Decodes one UTF-8 character at p (n bytes available). Returns its length,
// or 0 when the bytes are not valid UTF-8.
size_t DecodeUtf8Char(const unsigned char* p, size_t n, char32_t* cp);

// Not thread-safe; one per output string.
class TextBuilder {
 public:
  explicit TextBuilder(size_t max_bytes) : max_(max_bytes) {}

  // Appends bytes: invalid UTF-8 read as windows-1252, controls dropped,
  // whitespace runs collapsed.
  void Append(std::string_view s) {
    // Fast path: printable ASCII without whitespace runs to fold.
    for (char c : s) {
      if (static_cast<unsigned char>(c) < 0x21 ||
          static_cast<unsigned char>(c) > 0x7E) {
        AppendSlow(s);
        return;
      }
    }
    Put(s);
  }
  // Separates what comes next from what came before by one space.
  void Space() { pending_space_ = !out_.empty(); }
  bool full() const { return full_; }
  std::string Finish() { return std::move(out_); }

 private:
  void AppendSlow(std::string_view s);
  void PutCodePoint(char32_t cp);
  void Put(std::string_view chars) {
    if (full_ || chars.empty()) return;
    size_t need = chars.size() + (pending_space_ ? 1 : 0);
    if (out_.size() + need > max_) {
      // Cut at a character boundary: `chars` is whole characters (or a run
      // of ASCII), so keep as many leading ASCII bytes as fit.
      full_ = true;
      if (pending_space_) {
        if (out_.size() + 1 > max_) return;
        out_.push_back(' ');
      }
      size_t room = max_ - out_.size();
      size_t k = 0;
      while (k < room && k < chars.size() &&
             static_cast<unsigned char>(chars[k]) < 0x80) {
        ++k;
      }
      out_.append(chars.substr(0, k));
      return;
    }
    if (pending_space_) out_.push_back(' ');
    pending_space_ = false;
    out_.append(chars);
  }

  std::string out_;
  size_t max_;
  bool pending_space_ = false;
  bool full_ = false;
};

}  // namespace assay::parsers::internal

#endif  // ASSAY_PARSERS_INTERNAL_TEXT_BUILDER_H_
