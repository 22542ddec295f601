#include "parsers/story_index.h"

#include <algorithm>
#include <iterator>

namespace assay::parsers {

const StoryIndex::Entry* StoryIndex::At(uint64_t seq) const {
  if (seq < first_seq_ || seq - first_seq_ >= entries_.size()) return nullptr;
  const Entry& e = entries_[static_cast<size_t>(seq - first_seq_)];
  return e.live ? &e : nullptr;
}

void StoryIndex::Compact(Postings* postings) const {
  std::erase_if(postings->seqs, [this](uint64_t seq) { return At(seq) == nullptr; });
  postings->compact_at = std::max<size_t>(64, 2 * postings->seqs.size());
}

std::optional<std::string> StoryIndex::Find(const StorySignature& sig) const {
  // Gather candidates from the posting lists of the index terms, counting
  // how many terms each shares; score only the likely ones.
  const uint64_t query = ++query_;
  candidates_.clear();
  for (uint32_t term : StoryIndexTerms(sig)) {
    auto it = postings_.find(term);
    if (it == postings_.end()) continue;
    // The size counts dead numbers not yet compacted away: at most half.
    const std::vector<uint64_t>& list = it->second.seqs;
    if (list.size() > kCommonTermPostings) continue;
    const bool rare = list.size() <= kRareTermPostings;
    for (uint64_t seq : list) {
      const Entry* e = At(seq);
      if (e == nullptr) continue;
      if (e->query != query) {
        e->query = query;
        e->shared_terms = 0;
        e->via_rare_term = false;
        candidates_.push_back(seq);
      }
      ++e->shared_terms;
      e->via_rare_term |= rare;
    }
  }
  double best = -1;
  uint64_t best_seq = 0;
  const Entry* best_entry = nullptr;
  for (uint64_t seq : candidates_) {
    const Entry* e = At(seq);
    if (e->shared_terms < 2 && !e->via_rare_term) continue;
    const double s =
        StorySimilarity(StoryTerms(sig), StoryTerms(e->terms.data(), e->weights.data(), e->size));
    if (s > best || (s == best && seq < best_seq)) {
      best = s;
      best_seq = seq;
      best_entry = e;
    }
  }
  if (best_entry == nullptr || best < kStoryMatchThreshold) return std::nullopt;
  return best_entry->story_id.empty() ? *best_entry->article_id : best_entry->story_id;
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
  auto slot = by_article_.insert_or_assign(article_id, seq).first;
  Entry& e = entries_.emplace_back();
  e.article_id = &slot->first;
  if (story_id != article_id) e.story_id = story_id;
  const StoryTerms view(sig);
  e.size = static_cast<uint8_t>(std::min(view.size, e.terms.size()));
  std::copy_n(view.terms, e.size, e.terms.begin());
  std::copy_n(view.weights, e.size, e.weights.begin());
  e.time = time;
  ++live_;
  for (uint32_t term : StoryIndexTerms(sig)) {
    Postings& p = postings_[term];
    p.seqs.push_back(seq);
    if (p.seqs.size() >= p.compact_at) Compact(&p);
  }
}

void StoryIndex::Expire(UnixSeconds now) {
  const UnixSeconds cutoff = now - window_;
  // Entries are appended roughly in time order; expiry stops at the first
  // recent one, so a late out-of-order old entry lives a little longer.
  while (!entries_.empty() && (!entries_.front().live || entries_.front().time < cutoff)) {
    Entry& e = entries_.front();
    if (e.live) {
      --live_;
      auto it = by_article_.find(*e.article_id);
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
      it = it->second.seqs.empty() ? postings_.erase(it) : std::next(it);
    }
  }
}

}  // namespace assay::parsers
