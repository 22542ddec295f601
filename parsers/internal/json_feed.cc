#include "parsers/internal/json_feed.h"

#include <nlohmann/json.hpp>

#include "parsers/date.h"
#include "parsers/html.h"
#include "parsers/normalize.h"

namespace assay::parsers::internal {
namespace {

using nlohmann::json;

// Nesting depth of a JSON text, counting brackets outside strings. Checked
// before parsing so that a hostile "[[[[…" never reaches the parser.
int MaxJsonDepth(std::string_view s) {
  int depth = 0, max = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max = std::max(max, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max;
}

std::optional<std::string> Str(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return std::nullopt;
}

std::optional<std::string> Text(const json& obj, const char* key, size_t max) {
  auto s = Str(obj, key);
  if (!s) return std::nullopt;
  std::string t = CleanText(*s, max);
  if (t.empty()) return std::nullopt;
  return t;
}

std::optional<std::string> Url(const json& obj, const char* key,
                               std::string_view base, size_t max) {
  auto s = Text(obj, key, max);
  if (!s) return std::nullopt;
  return CleanText(ResolveUrl(base, *s), max);
}

// JSON Feed 1.1 "authors" (first), else 1.0 "author"; name, else url.
std::optional<std::string> Author(const json& obj, size_t max) {
  const json* person = nullptr;
  if (auto it = obj.find("authors"); it != obj.end() && it->is_array() &&
                                     !it->empty() && (*it)[0].is_object()) {
    person = &(*it)[0];
  } else if (auto a = obj.find("author"); a != obj.end() && a->is_object()) {
    person = &*a;
  }
  if (person == nullptr) return std::nullopt;
  if (auto n = Text(*person, "name", max)) return n;
  return Text(*person, "url", max);
}

std::optional<UnixSeconds> Date(const json& obj, const char* key) {
  auto s = Str(obj, key);
  if (!s) return std::nullopt;
  return ParseDate(*s);
}

}  // namespace

Status ParseJsonFeed(std::string_view doc, const FetchInfo& info,
                     const ParseLimits& limits, Feed* feed) {
  if (MaxJsonDepth(doc) > limits.max_depth) {
    return ResourceExhausted("JSON nested deeper than " +
                             std::to_string(limits.max_depth) + " levels");
  }
  json root = json::parse(doc, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return InvalidArgument("not a feed: malformed JSON");
  if (!root.is_object()) return InvalidArgument("not a feed: JSON is not an object");
  auto version = Str(root, "version");
  bool is_json_feed = version && version->find("jsonfeed.org") != std::string::npos;
  auto items_it = root.find("items");
  if (!is_json_feed && (items_it == root.end() || !items_it->is_array())) {
    return InvalidArgument("not a feed: JSON document is not a JSON Feed");
  }
  const size_t max = limits.max_field_bytes;
  feed->format = FeedFormat::kJsonFeed;
  std::string base = info.url;
  if (auto fu = Text(root, "feed_url", max)) base = ResolveUrl(base, *fu);
  feed->title = Text(root, "title", max);
  feed->link = Url(root, "home_page_url", base, max);
  // Without a fetch URL or feed_url, items resolve against the home page.
  if (base.empty() && feed->link) base = *feed->link;
  feed->subtitle = Text(root, "description", max);
  feed->language = Text(root, "language", 64);
  feed->author = Author(root, max);
  if (items_it == root.end() || !items_it->is_array()) return Status::Ok();
  for (const json& item : *items_it) {
    if (!item.is_object()) continue;
    if (feed->entries.size() >= limits.max_items) {
      feed->warnings.push_back("more than " + std::to_string(limits.max_items) +
                               " entries; the rest were dropped");
      break;
    }
    Entry e;
    e.id = Text(item, "id", max);
    e.title = Text(item, "title", max);
    e.link = Url(item, "url", base, max);
    if (!e.link) e.link = Url(item, "external_url", base, max);
    e.summary = Text(item, "summary", max);
    if (auto html = Str(item, "content_html")) {
      std::string t = HtmlToText(*html, max);
      if (!t.empty()) e.content = std::move(t);
    }
    if (!e.content) e.content = Text(item, "content_text", max);
    e.published = Date(item, "date_published");
    e.updated = Date(item, "date_modified");
    e.author = Author(item, max);
    if (auto tags = item.find("tags"); tags != item.end() && tags->is_array()) {
      for (const json& t : *tags) {
        if (!t.is_string()) continue;
        std::string c = CleanText(t.get<std::string>(), max);
        if (!c.empty()) e.categories.push_back(std::move(c));
      }
    }
    if (auto att = item.find("attachments"); att != item.end() && att->is_array()) {
      for (const json& a : *att) {
        if (!a.is_object()) continue;
        auto url = Url(a, "url", base, max);
        if (!url) continue;
        Enclosure enc{*url, Text(a, "mime_type", 256).value_or(""), std::nullopt};
        if (auto sz = a.find("size_in_bytes"); sz != a.end() && sz->is_number_integer()) {
          enc.length = sz->get<int64_t>();
        }
        e.enclosures.push_back(std::move(enc));
      }
    }
    feed->entries.push_back(std::move(e));
  }
  return Status::Ok();
}

}  // namespace assay::parsers::internal
