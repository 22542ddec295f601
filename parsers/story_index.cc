#include "parsers/story_index.h"

#include <algorithm>

namespace assay::parsers {

const StoryIndex::Entry* StoryIndex::At(uint64_t seq) const {
  if (seq < first_seq_ || seq - first_seq_ >= entries_.size()) return nullptr;
  const Entry& e = entries_[static_cast<size_t>(seq - first_seq_)];
  return e.live ? &e : nullptr;
}

void StoryIndex::Compact(std::vector<uint64_t>* postings) const {
  std::erase_if(*postings, [this](uint64_t seq) { return At(seq) == nullptr; });
}

std::optional<std::string> StoryIndex::Find(const StorySignature& sig) const {
  double best = -1;
  uint64_t best_seq = 0;
  const Entry* best_entry = nullptr;
  std::vector<uint64_t> scored;
  for (uint32_t term : StoryIndexTerms(sig)) {
    auto it = postings_.find(term);
    if (it == postings_.end()) continue;
    std::vector<uint64_t>& list = it->second;
    // Newest last; stale numbers are dropped when they make up half a list.
    size_t stale = 0;
    size_t looked = 0;
    for (auto p = list.rbegin(); p != list.rend() && looked < kMaxScoredPerTerm; ++p) {
      const Entry* e = At(*p);
      if (e == nullptr) {
        ++stale;
        continue;
      }
      ++looked;
      if (std::find(scored.begin(), scored.end(), *p) != scored.end()) continue;
      scored.push_back(*p);
      const double s = StorySimilarity(sig, e->sig);
      if (s > best || (s == best && *p < best_seq)) {
        best = s;
        best_seq = *p;
        best_entry = e;
      }
    }
    if (stale * 2 > list.size()) Compact(&list);
  }
  if (best_entry == nullptr || best < kStoryMatchThreshold) return std::nullopt;
  return best_entry->story_id;
}

void StoryIndex::Add(const std::string& article_id, const std::string& story_id,
                     const StorySignature& sig, UnixSeconds time) {
  if (auto old = by_article_.find(article_id); old != by_article_.end()) {
    if (old->second >= first_seq_ && old->second - first_seq_ < entries_.size()) {
      Entry& e = entries_[static_cast<size_t>(old->second - first_seq_)];
      if (e.live) {
        e.live = false;
        --live_;
      }
    }
  }
  const uint64_t seq = first_seq_ + entries_.size();
  entries_.push_back(Entry{article_id, story_id, sig, time, true});
  ++live_;
  by_article_[article_id] = seq;
  for (uint32_t term : StoryIndexTerms(sig)) postings_[term].push_back(seq);
}

void StoryIndex::Expire(UnixSeconds now) {
  const UnixSeconds cutoff = now - window_;
  // Entries are appended roughly in time order; expiry stops at the first
  // recent one, so a late out-of-order old entry lives a little longer.
  while (!entries_.empty() && (!entries_.front().live || entries_.front().time < cutoff)) {
    Entry& e = entries_.front();
    if (e.live) {
      --live_;
      auto it = by_article_.find(e.article_id);
      if (it != by_article_.end() && it->second == first_seq_) by_article_.erase(it);
    }
    entries_.pop_front();
    ++first_seq_;
  }
  // Posting lists shed their dead numbers lazily in Find(); drop empty ones
  // here so that terms of expired articles do not accumulate.
  if (postings_.size() > 4 * std::max<size_t>(live_, 1024)) {
    for (auto it = postings_.begin(); it != postings_.end();) {
      Compact(&it->second);
      it = it->second.empty() ? postings_.erase(it) : std::next(it);
    }
  }
}

}  // namespace assay::parsers
