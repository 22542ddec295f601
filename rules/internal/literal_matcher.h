// Span extraction without RE2 for the patterns most rule packs are made of:
// alternations of words and phrases ("exports?|re-?exports?|shipments?
// abroad", "licen[cs]\w*", "China").
//
// The tagger needs the positions of a pattern's matches to explain a rule,
// to measure proximity and to apply entity exclusions. Running one RE2 per
// pattern costs a full DFA pass over the field for each (about as much as
// the RE2::Set pass that found every pattern at once). A LiteralMatcher
// reports exactly the matches RE2 would (leftmost-first, non-overlapping,
// the same bytes), for a subset of the syntax, at the cost of one table
// lookup per byte.
//
//   std::unique_ptr<LiteralMatcher> m =
//       LiteralMatcher::Compile("bans?|banned", /*case_sensitive=*/false,
//                               /*whole_words=*/true);
//   // m == nullptr: outside the subset, use RE2.
//   size_t start, end;
//   if (m && LiteralMatcher::CanScan(text) && m->Find(text, 0, &start, &end)) ...
//
// The subset: ASCII literals (metacharacters escaped with a backslash),
// groups `(?:...)` and `(...)`, alternation, `?` after anything, classes of
// literal characters and ranges (`[- ]`, `[cs]`, `[a-z]`), and `\w*` or
// `\w+` where no backtracking into them can change the match: followed by a
// non-word character, or last in the pattern. Everything else (`.`, `\b`,
// `\s`, `{n,m}`, lazy quantifiers, inline flags, non-ASCII literals,
// anything matching the empty string) makes Compile return nullptr.
//
// Case-insensitive RE2 also matches U+017F (long s) for `s` and U+212A
// (Kelvin sign) for `k`; CanScan() is false for a text containing either,
// and the caller then uses RE2 for that text.
//
// Thread safety: immutable after Compile; Find() may run on any number of
// threads at once.
#ifndef ASSAY_RULES_INTERNAL_LITERAL_MATCHER_H_
#define ASSAY_RULES_INTERNAL_LITERAL_MATCHER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace assay::rules::internal {

class LiteralMatcher {
 public:
  // `regex` as written in a Pattern (macros expanded, options not folded
  // in); `whole_words` wraps it in \b...\b as Pattern::CompiledRegex does.
  // nullptr when the pattern is outside the subset above.
  static std::unique_ptr<LiteralMatcher> Compile(std::string_view regex, bool case_sensitive,
                                                 bool whole_words);

  // False when `text` holds a character that case-insensitive RE2 would
  // fold onto an ASCII letter (U+017F, U+212A).
  static bool CanScan(std::string_view text);

  // The leftmost-first match starting at or after `pos`, with the whole of
  // `text` as context for word boundaries: what
  // RE2::Match(text, pos, text.size(), RE2::UNANCHORED, &m, 1) finds.
  bool Find(std::string_view text, size_t pos, size_t* start, size_t* end) const;

  size_t alternative_count() const { return alternatives_; }

 private:
  // The alternatives in a trie over (case-folded) bytes, where an edge may
  // also be a maximal run of word bytes. Edges of node n:
  // edge_byte_/edge_to_[n.edges .. n.edges + n.edge_count).
  struct Node {
    uint32_t edges = 0;
    uint32_t edge_count = 0;
    int32_t run[2] = {-1, -1};  // after a run of >= 0 / >= 1 word bytes
    int32_t best = -1;          // most preferred alternative ending here
  };

  LiteralMatcher() = default;
  // The most preferred alternative matching from `node` at `pos` updates
  // *rank (-1: none yet) and *end.
  void Walk(int32_t node, std::string_view text, size_t pos, int32_t* rank,
            size_t* end) const;

  bool whole_words_ = true;
  bool fold_ = true;
  // Every match starts with a word byte, so with whole_words_ only word
  // starts need a look.
  bool word_starts_only_ = false;
  size_t alternatives_ = 0;
  std::vector<Node> nodes_;  // nodes_[0] is the root
  std::vector<uint8_t> edge_byte_;
  std::vector<int32_t> edge_to_;
  int32_t root_next_[256];   // the root's edges by (unfolded) byte, or -1
  bool first_[256] = {};     // bytes that can start a match
};

// Many case-insensitive, whole-word patterns of LiteralMatcher's subset at
// once: one pass over a text finds, at every word start, the match each
// pattern prefers there. The tagger takes every span it needs in a field
// from one such pass instead of one pass per pattern.
//
// A pattern's spans (what LiteralMatcher::Find or RE2 would return, one
// after another) are then its hits taken in order of start, skipping those
// that start before the end of the last one taken.
//
// Thread safety: Add and Finish before use; Scan is const and may run on
// any number of threads at once.
class LiteralSet {
 public:
  struct Hit {
    int32_t id;
    uint32_t start;
    uint32_t end;
  };

  // Adds pattern `id` (a small non-negative number of the caller's). False,
  // adding nothing, when the pattern is outside the subset, is case
  // sensitive or not whole-words, or can start with a non-word byte.
  bool Add(std::string_view regex, bool case_sensitive, bool whole_words, int32_t id);
  // Call once after the last Add.
  void Finish();

  // Appends to *out the most preferred match starting at each word start
  // of `text` of every pattern `id` with (wanted[id] & mask) != 0, ordered
  // by start. `wanted` must have an entry for every id added.
  void Scan(std::string_view text, const uint8_t* wanted, uint8_t mask,
            std::vector<Hit>* out) const;

 private:
  struct Node {
    uint32_t edges = 0;
    uint32_t edge_count = 0;
    uint32_t terms = 0;  // terms_[terms .. terms + term_count): (id, rank)
    uint32_t term_count = 0;
    int32_t run[2] = {-1, -1};
  };
  struct Build {
    std::vector<std::pair<uint8_t, int32_t>> edges;
    std::vector<std::pair<int32_t, int32_t>> terms;
    int32_t run[2] = {-1, -1};
  };
  struct Best {
    int32_t id;
    int32_t rank;
    uint32_t end;
  };
  void Walk(int32_t node, std::string_view text, size_t pos, const uint8_t* wanted,
            uint8_t mask, std::vector<Best>* best) const;

  std::vector<Build> build_ = std::vector<Build>(1);
  std::vector<Node> nodes_;
  std::vector<uint8_t> edge_byte_;
  std::vector<int32_t> edge_to_;
  std::vector<std::pair<int32_t, int32_t>> terms_;
  int32_t root_next_[256];
};

}  // namespace assay::rules::internal

#endif  // ASSAY_RULES_INTERNAL_LITERAL_MATCHER_H_
