// Story matching (parsers/story.h) measured on the shared news corpus.
//
//   story_eval [path/to/dev.jsonl]      (default ../shared/corpus/news/dev.jsonl)
//
// Items of dev.jsonl that share a `story` id are one event reworded by two
// outlets. Prints: same-story pairs matched, split into a tuning half and a
// held-out half (stories in id order, alternately); false matches among all
// other pairs (also among pairs of held-out items only, items alternately by
// position); how many same-story pairs share an index term; how many items
// match their own syndicated copies (identical, Title Case, ALL CAPS, a
// trailing " - Reuters", a word dropped); the closest unrelated pairs; and
// the thread CPU time per signature (median of 5 passes).
// Exit status 1 when the corpus cannot be read.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "parsers/story.h"

namespace {

using assay::parsers::ComputeStorySignature;
using assay::parsers::kStoryMatchThreshold;
using assay::parsers::StoryIndexTerms;
using assay::parsers::StorySignature;
using assay::parsers::StorySimilarity;

struct Item {
  std::string id, title, summary, story;
};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string TitleCase(const std::string& s) {
  std::string out = s;
  bool start = true;
  for (char& c : out) {
    if (start && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    start = c == ' ';
  }
  return out;
}

std::string Upper(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Drops the third word of `s`.
std::string DropWord(const std::string& s) {
  std::size_t a = s.find(' ');
  if (a == std::string::npos) return s;
  std::size_t b = s.find(' ', a + 1);
  if (b == std::string::npos) return s;
  std::size_t c = s.find(' ', b + 1);
  if (c == std::string::npos) return s.substr(0, b);
  return s.substr(0, b) + s.substr(c);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path =
      argc > 1 ? argv[1] : "../shared/corpus/news/dev.jsonl";
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "story_eval: cannot read %s\n", path.c_str());
    return 1;
  }
  std::vector<Item> items;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      std::fprintf(stderr, "story_eval: %s: bad line\n", path.c_str());
      return 1;
    }
    Item it;
    it.id = j.value("id", "");
    it.title = j.value("title", "");
    it.summary = j.value("summary", "");
    if (j.contains("story") && j["story"].is_string()) it.story = j["story"];
    items.push_back(std::move(it));
  }
  const std::size_t n = items.size();
  std::vector<StorySignature> sigs;
  std::vector<std::vector<uint32_t>> index;
  for (const Item& it : items) {
    sigs.push_back(ComputeStorySignature(it.title, it.summary));
    index.push_back(StoryIndexTerms(sigs.back()));
  }

  // Stories in id order, alternately tuning / held out.
  std::map<std::string, int> story_half;
  for (const Item& it : items) {
    if (!it.story.empty()) story_half.emplace(it.story, 0);
  }
  int k = 0;
  for (auto& [story, half] : story_half) half = k++ % 2;

  int pos[2] = {0, 0}, pos_matched[2] = {0, 0};
  int index_hits = 0;
  long neg = 0, neg_matched = 0, neg_held = 0, neg_held_matched = 0;
  struct Scored {
    double score;
    std::size_t a, b;
  };
  std::vector<Scored> top_neg, all_pos;
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = a + 1; b < n; ++b) {
      const double s = StorySimilarity(sigs[a], sigs[b]);
      const bool match = s >= kStoryMatchThreshold;
      if (!items[a].story.empty() && items[a].story == items[b].story) {
        const int half = story_half[items[a].story];
        ++pos[half];
        pos_matched[half] += match;
        all_pos.push_back({s, a, b});
        std::vector<uint32_t> common;
        std::set_intersection(index[a].begin(), index[a].end(),
                              index[b].begin(), index[b].end(),
                              std::back_inserter(common));
        index_hits += !common.empty();
        continue;
      }
      ++neg;
      neg_matched += match;
      if (a % 2 == 1 && b % 2 == 1) {
        ++neg_held;
        neg_held_matched += match;
      }
      top_neg.push_back({s, a, b});
    }
  }
  std::sort(top_neg.begin(), top_neg.end(),
            [](const Scored& x, const Scored& y) { return x.score > y.score; });
  if (top_neg.size() > 8) top_neg.resize(8);
  std::sort(all_pos.begin(), all_pos.end(),
            [](const Scored& x, const Scored& y) { return x.score < y.score; });

  // Syndicated copies.
  int copies = 0, copies_matched = 0;
  for (std::size_t a = 0; a < n; ++a) {
    const Item& it = items[a];
    const std::pair<std::string, std::string> variants[] = {
        {it.title, it.summary},
        {TitleCase(it.title), it.summary},
        {Upper(it.title), it.summary},
        {it.title + " - Reuters", it.summary},
        {it.title, DropWord(it.summary)},
    };
    for (const auto& [t, s] : variants) {
      ++copies;
      copies_matched += StorySimilarity(sigs[a], ComputeStorySignature(t, s)) >=
                        kStoryMatchThreshold;
    }
  }

  // Time per signature: thread CPU time, median of 5 passes.
  std::vector<double> per_sig;
  std::size_t bytes = 0;
  for (const Item& it : items) bytes += it.title.size() + it.summary.size();
  std::size_t sink = 0;
  for (int pass = 0; pass < 5; ++pass) {
    const double t0 = ThreadCpuSeconds();
    constexpr int kReps = 20;
    for (int r = 0; r < kReps; ++r) {
      for (const Item& it : items) {
        sink += ComputeStorySignature(it.title, it.summary).terms.size();
      }
    }
    per_sig.push_back((ThreadCpuSeconds() - t0) / (kReps * static_cast<double>(n)));
  }
  std::sort(per_sig.begin(), per_sig.end());

  std::printf("items %zu, threshold %.2f\n", n, kStoryMatchThreshold);
  std::printf("same-story pairs matched: %d/%d (tuning %d/%d, held-out %d/%d)\n",
              pos_matched[0] + pos_matched[1], pos[0] + pos[1], pos_matched[0],
              pos[0], pos_matched[1], pos[1]);
  std::printf("unrelated pairs matched: %ld/%ld (held-out items only %ld/%ld)\n",
              neg_matched, neg, neg_held_matched, neg_held);
  std::printf("same-story pairs sharing an index term: %d/%d\n", index_hits,
              pos[0] + pos[1]);
  std::printf("syndicated copies matched: %d/%d\n", copies_matched, copies);
  std::printf("us per signature: %.2f (mean %.0f bytes of title+summary)\n",
              per_sig[per_sig.size() / 2] * 1e6,
              static_cast<double>(bytes) / static_cast<double>(n));
  std::printf("same-story scores:\n");
  for (const Scored& s : all_pos) {
    std::printf("  %.3f %s %s | %.50s\n", s.score, items[s.a].story.c_str(),
                s.score >= kStoryMatchThreshold ? "match" : "miss ",
                items[s.a].title.c_str());
  }
  std::printf("closest unrelated pairs:\n");
  for (const Scored& s : top_neg) {
    std::printf("  %.3f %s %s | %.40s | %.40s\n", s.score, items[s.a].id.c_str(),
                items[s.b].id.c_str(), items[s.a].title.c_str(),
                items[s.b].title.c_str());
  }
  return sink == 0 ? 1 : 0;
}
