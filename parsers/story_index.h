// StoryIndex: the recent articles' story signatures in memory, to give a new
// article the story id of an earlier report of the same event.
//
// An inverted index from StoryIndexTerms() to recent entries; a lookup
// scores only the entries that share an index term with the new signature,
// so its cost does not grow with the window. Entries older than the window
// (by the time given to Add) are dropped by Expire().
//
// Pure: no I/O, no clock (times are arguments). Not thread-safe: the daemon
// uses it from its storage thread only. Rebuilt at start-up from the store
// (Store::ScanStories).
//
//   StoryIndex index(std::chrono::days(7));
//   std::string story = index.Find(sig).value_or(article.id);
//   index.Add(article.id, story, sig, article.fetched);
#ifndef ASSAY_PARSERS_STORY_INDEX_H_
#define ASSAY_PARSERS_STORY_INDEX_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/time.h"
#include "parsers/story.h"

namespace assay::parsers {

class StoryIndex {
 public:
  // Seven days: syndicated copies and follow-up reports of one event come
  // within days; older articles start new stories.
  explicit StoryIndex(std::chrono::seconds window = std::chrono::days(7)) : window_(window) {}

  // The story of the most similar indexed entry at or above
  // kStoryMatchThreshold (ties: the earliest entry), or nullopt.
  std::optional<std::string> Find(const StorySignature& sig) const;

  // Indexes an article; a second Add for the same article id replaces the
  // first (an edited article).
  void Add(const std::string& article_id, const std::string& story_id,
           const StorySignature& sig, UnixSeconds time);

  // Drops the entries older than now - window.
  void Expire(UnixSeconds now);

  size_t size() const { return live_; }
  std::chrono::seconds window() const { return window_; }

 private:
  // Kept small: a busy week holds hundreds of thousands of entries.
  struct Entry {
    const std::string* article_id;  // the key in by_article_
    std::string story_id;           // empty: the article's own id
    std::array<uint32_t, kStorySignatureMaxTerms> terms;
    std::array<uint8_t, kStorySignatureMaxTerms> weights;
    uint8_t size = 0;
    bool live = true;
    UnixSeconds time;
    // Scratch of the Find() in progress (query_ numbers it).
    mutable uint64_t query = 0;
    mutable uint8_t shared_terms = 0;
    mutable bool via_rare_term = false;
  };
  // A term's entries, oldest first. Dead numbers are removed when the list
  // has doubled since it was last compacted (amortised O(1) per Add).
  struct Postings {
    std::vector<uint64_t> seqs;
    size_t compact_at = 64;
  };
  // Posting lists of entry sequence numbers; entries_[seq - first_seq_].
  // Stale numbers (expired or replaced) are skipped and compacted lazily.
  const Entry* At(uint64_t seq) const;
  void Compact(Postings* postings) const;

  // A term in more recent articles than this is too common to tell stories
  // apart (a country in every other headline, a word of a one-word title):
  // it finds no candidates. Other terms of the signature still do.
  static constexpr size_t kCommonTermPostings = 256;
  // A candidate is scored when it shares two index terms with the new
  // article, or one term that few recent articles have: scoring every
  // article that shares one common term would cost thousands of
  // similarity computations per article in a busy window.
  static constexpr size_t kRareTermPostings = 32;

  std::chrono::seconds window_;
  mutable uint64_t query_ = 0;
  mutable std::vector<uint64_t> candidates_;
  std::deque<Entry> entries_;
  uint64_t first_seq_ = 0;
  size_t live_ = 0;
  std::unordered_map<uint32_t, Postings> postings_;
  std::unordered_map<std::string, uint64_t> by_article_;
};

}  // namespace assay::parsers

#endif  // ASSAY_PARSERS_STORY_INDEX_H_
