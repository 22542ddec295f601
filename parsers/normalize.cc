#include "parsers/normalize.h"

#include <cstdio>
#include <string>
#include <unordered_set>

#include "parsers/internal/fnv.h"
#include "parsers/story.h"

namespace assay::parsers {
namespace {

using internal::Fnv1a;

// The opening of a text, cut at a word boundary: what identifies a story is
// in its title and lede, and a long body would only cost time and dilute
// the signature with background.
std::string_view Lede(std::string_view text) {
  constexpr size_t kLedeBytes = 600;
  if (text.size() <= kLedeBytes) return text;
  size_t cut = text.rfind(' ', kLedeBytes);
  if (cut == std::string_view::npos || cut < kLedeBytes / 2) cut = kLedeBytes;
  // Never split a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

}  // namespace

uint64_t ContentHash(std::string_view title, std::string_view summary,
                     std::string_view content) {
  uint64_t h = Fnv1a(title);
  h = Fnv1a(std::string_view("\0", 1), h);
  h = Fnv1a(summary, h);
  h = Fnv1a(std::string_view("\0", 1), h);
  return Fnv1a(content, h);
}

std::vector<Article> Normalise(const Feed& feed, std::string_view feed_url,
                               UnixSeconds fetched) {
  std::vector<Article> out;
  out.reserve(feed.entries.size());
  std::unordered_set<std::string> seen;
  for (const Entry& e : feed.entries) {
    Article a;
    a.feed_url = std::string(feed_url);
    if (e.link) {
      if (auto c = CanonicalUrl(*e.link)) a.link = std::move(*c);
    }
    a.guid = e.id.value_or("");
    a.title = e.title.value_or("");
    a.summary = e.summary.value_or("");
    a.content = e.content.value_or("");
    a.author = e.author.value_or("");
    a.categories = e.categories;
    a.enclosures = e.enclosures;
    a.published = e.published;
    a.updated = e.updated;
    a.fetched = fetched;
    a.content_hash = ContentHash(a.title, a.summary, a.content);
    a.story_signature = EncodeStorySignature(
        ComputeStorySignature(a.title, Lede(a.summary.empty() ? a.content : a.summary)));
    if (!a.link.empty()) {
      a.id = "u:" + a.link;
    } else if (!a.guid.empty()) {
      a.id = "g:" + a.guid;
    } else {
      char hex[17];
      std::snprintf(hex, sizeof(hex), "%016llx",
                    static_cast<unsigned long long>(ContentHash(feed_url, a.title, a.summary)));
      a.id = std::string("h:") + hex;
    }
    if (!seen.insert(a.id).second) continue;  // the first copy wins
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace assay::parsers
