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
  struct Entry {
    std::string article_id;
    std::string story_id;
    StorySignature sig;
    UnixSeconds time;
    bool live = true;
  };
  // Posting lists of entry sequence numbers; entries_[seq - first_seq_].
  // Stale numbers (expired or replaced) are skipped and compacted lazily.
  const Entry* At(uint64_t seq) const;
  void Compact(std::vector<uint64_t>* postings) const;

  // A posting list longer than this is a term too common to tell stories
  // apart (a one-word title shared by thousands); only its most recent
  // entries are scored.
  static constexpr size_t kMaxScoredPerTerm = 256;

  std::chrono::seconds window_;
  std::deque<Entry> entries_;
  uint64_t first_seq_ = 0;
  size_t live_ = 0;
  mutable std::unordered_map<uint32_t, std::vector<uint64_t>> postings_;
  std::unordered_map<std::string, uint64_t> by_article_;
};

}  // namespace assay::parsers

#endif  // ASSAY_PARSERS_STORY_INDEX_H_
