// Story matching: which articles report the same event, even when another
// outlet reworded it. Pure functions, no I/O, no state: every function may
// run on any thread.
//
// A StorySignature is the set of the most distinctive normalised terms of an
// article's title and summary (names of companies, people and places,
// numbers, dates, rare words), each with a small weight. Two reports of one
// event share several of those terms whatever their wording; two reports of
// different events about the same mineral and country share only the common
// ones, which weigh little. Unlike a SimHash of the text, which only finds
// verbatim or lightly edited syndicated copies, this also finds reworded
// reports.
//
// Usage:
//   StorySignature a = ComputeStorySignature(title_a, summary_a);
//   StorySignature b = ComputeStorySignature(title_b, summary_b);
//   if (StorySimilarity(a, b) >= kStoryMatchThreshold) { /* one story */ }
//
// Candidates come from an inverted index on StoryIndexTerms() (StoryIndex
// in parsers/story_index.h): a true match shares at least one index term
// with the other article's index terms (on the shared dev corpus, every
// same-story pair does).
//
// Measured on ../shared/corpus/news/dev.jsonl with bench/story_eval (see
// the bench for the exact figures): 10 of the 13 reworded same-story pairs
// match, 1 of ~35,000 unrelated pairs falsely matches (a ban and its lifting
// a year later: same country, product and wording), all 265 items match
// their verbatim and lightly edited copies. A signature costs 3.5-5 µs of
// CPU for a 360-byte title and summary.
#ifndef ASSAY_PARSERS_STORY_H_
#define ASSAY_PARSERS_STORY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace assay::parsers {

// Up to kStorySignatureMaxTerms hashed terms, sorted ascending and unique,
// with their weights (1..kStoryMaxTermWeight) at the same positions. An empty
// signature (no usable words) matches nothing. Copyable value type.
struct StorySignature {
  std::vector<uint32_t> terms;
  std::vector<uint8_t> weights;

  friend bool operator==(const StorySignature&, const StorySignature&) = default;
};

// Terms kept per article: the most distinctive ones, title words first among
// equals. More terms let unrelated articles collect shared common words;
// fewer lose the names a rewording keeps.
inline constexpr std::size_t kStorySignatureMaxTerms = 16;
// Terms an article is indexed under (see StoryIndexTerms).
inline constexpr std::size_t kStoryIndexTermCount = 6;
// Largest weight of one term: a repeated name.
inline constexpr uint8_t kStoryMaxTermWeight = 5;

// Similarity at or above which two signatures report the same story.
inline constexpr double kStoryMatchThreshold = 0.5;

// Computes the signature of an article from its plain-text title and summary
// (UTF-8; invalid bytes are treated as letters and never read past the end).
// Title casing, a trailing " - Reuters", possessives, plurals and other light
// inflections, "U.S." against "US", country names against their adjectives
// and capitals ("Dutch", "The Hague"), month abbreviations and number words
// are all normalised away. Cost is linear in the text. Uses thread-local
// scratch space, so calls on different threads never contend.
StorySignature ComputeStorySignature(std::string_view title,
                                     std::string_view summary);

// 0..1: the weight of shared terms over the smaller total weight of the two
// signatures, that total capped (so that two long reports are judged on how
// much distinctive content they share, not on what fraction of it). Fewer
// than three shared terms, or less than 6 points of shared weight, score 0
// unless the two have the same terms. Symmetric; 1 for two identical
// non-empty signatures.
double StorySimilarity(const StorySignature& a, const StorySignature& b);

// A borrowed view of a signature's terms and weights, for callers that keep
// signatures in their own compact form (parsers/story_index.h).
struct StoryTerms {
  const uint32_t* terms = nullptr;  // sorted
  const uint8_t* weights = nullptr;
  std::size_t size = 0;
  StoryTerms() = default;
  StoryTerms(const uint32_t* t, const uint8_t* w, std::size_t n) : terms(t), weights(w), size(n) {}
  explicit StoryTerms(const StorySignature& sig)
      : terms(sig.terms.data()),
        weights(sig.weights.data()),
        size(sig.terms.size() < sig.weights.size() ? sig.terms.size() : sig.weights.size()) {}
};
double StorySimilarity(StoryTerms a, StoryTerms b);

// The kStoryIndexTermCount heaviest terms of `sig`, ties broken by the
// smaller hash so that two articles choose alike. Sorted ascending.
std::vector<uint32_t> StoryIndexTerms(const StorySignature& sig);

// Compact byte string for storage: a version byte, a term count, then per
// term 4 bytes little-endian and 1 weight byte (at most 82 bytes).
std::string EncodeStorySignature(const StorySignature& sig);

// Inverse of EncodeStorySignature. Returns nullopt for anything it did not
// produce: wrong version, truncated or trailing bytes, too many terms, terms
// not strictly ascending, weights out of range.
std::optional<StorySignature> DecodeStorySignature(std::string_view bytes);

}  // namespace assay::parsers

#endif  // ASSAY_PARSERS_STORY_H_
