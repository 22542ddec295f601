// assay show ID: one article whole, as stored: its fields, its feed, its
// event (tags, entities, score, severity, pack version) with every rule
// match shown in context, and the other events of its story.
//
// Exit status: 0 with the record printed, 1 when no article has that id, 2
// for an unreadable store, with one line on stderr.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/store_access.h"
#include "cli/text.h"
#include "core/time.h"

namespace assay::cli {
namespace {

struct ShowFlags {
  StoreFlags store;
  std::string id;
  std::string format = "text";
};

constexpr size_t kContextBytes = 40;    // each side of a match
constexpr size_t kTextCutBytes = 2000;  // summary and content in text mode

// Another event of the same story, with its article's and feed's fields.
struct OtherSource {
  std::string id;
  UnixMicros time{};
  std::string feed;
  std::string source;
  std::string title;
  std::string link;
};

// A match with the text around it: before + text + after, each cut at a
// UTF-8 code point boundary.
struct MatchContext {
  std::string before;
  std::string text;
  std::string after;
  bool cut_before = false;
  bool cut_after = false;
};

struct Record {
  Article article;
  std::optional<FeedState> feed;
  std::optional<Event> event;
  std::vector<MatchContext> contexts;  // one per event->matches
  std::vector<OtherSource> others;
};

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Moves `pos` back (or forward) to the start of a code point in `s`.
size_t BackToBoundary(std::string_view s, size_t pos) {
  while (pos > 0 && pos < s.size() && IsContinuation(s[pos])) --pos;
  return pos;
}
size_t ForwardToBoundary(std::string_view s, size_t pos) {
  while (pos < s.size() && IsContinuation(s[pos])) ++pos;
  return pos;
}

// Cuts `s` to at most about `max` bytes at a code point boundary.
std::string Cut(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  return s.substr(0, BackToBoundary(s, max)) + "\u2026";
}

std::string_view FieldText(const Article& a, std::string_view field) {
  if (field == "title") return a.title;
  if (field == "summary") return a.summary;
  if (field == "content") return a.content;
  return {};
}

// The context of `m` in the article; the stored text when the offsets no
// longer fit the field (it falls back to the match alone).
MatchContext ContextOf(const Article& a, const EventMatch& m) {
  MatchContext c;
  const std::string_view field = FieldText(a, m.field);
  if (m.start > m.end || m.end > field.size()) {
    c.text = m.text;
    return c;
  }
  const size_t from = m.start > kContextBytes ? BackToBoundary(field, m.start - kContextBytes) : 0;
  const size_t to = ForwardToBoundary(field, std::min(field.size(), size_t{m.end} + kContextBytes));
  c.before = std::string(field.substr(from, m.start - from));
  c.text = std::string(field.substr(m.start, m.end - m.start));
  c.after = std::string(field.substr(m.end, to - m.end));
  c.cut_before = from > 0;
  c.cut_after = to < field.size();
  return c;
}

Result<Record> Load(const storage::Store& store, const std::string& id, bool* found) {
  *found = false;
  Record r;
  Result<std::optional<Article>> article = store.GetArticle(id);
  if (!article) return article.error();
  if (!*article) return r;
  *found = true;
  r.article = std::move(**article);
  Result<std::optional<FeedState>> feed = store.GetFeed(r.article.feed_url);
  if (!feed) return feed.error();
  r.feed = std::move(*feed);
  Result<std::optional<Event>> event = store.GetEventForArticle(id);
  if (!event) return event.error();
  r.event = std::move(*event);
  if (r.event) {
    for (const EventMatch& m : r.event->matches) r.contexts.push_back(ContextOf(r.article, m));
  }
  const std::string story = r.event ? r.event->story_id : r.article.story_id;
  if (story.empty()) return r;
  storage::EventQuery q;
  q.story = story;
  q.limit = 0;
  q.newest_first = false;
  Result<std::vector<Event>> events = store.Events(q);
  if (!events) return events.error();
  for (Event& e : *events) {
    if (e.article_id == id) continue;
    OtherSource o;
    Result<std::optional<FeedState>> f = store.GetFeed(e.feed_url);
    if (!f) return f.error();
    o.source = SourceName(*f);
    Result<std::optional<Article>> a = store.GetArticle(e.article_id);
    if (!a) return a.error();
    if (*a) {
      o.title = (*a)->title;
      o.link = (*a)->link;
    }
    o.id = std::move(e.article_id);
    o.time = e.time;
    o.feed = std::move(e.feed_url);
    r.others.push_back(std::move(o));
  }
  return r;
}

std::string TimeOrEmpty(const std::optional<UnixSeconds>& t) {
  return t ? FormatRfc3339(*t) : "";
}

// Text with control characters (there should be none) shown as spaces, so
// that one match stays on one line.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return s;
}

std::string Highlight(const MatchContext& c, bool terminal) {
  std::string out = c.cut_before ? "\u2026" : "";
  out += OneLine(c.before);
  out += terminal ? "\x1b[1;33m" : "[[";
  out += OneLine(c.text);
  out += terminal ? "\x1b[0m" : "]]";
  out += OneLine(c.after);
  if (c.cut_after) out += "\u2026";
  return out;
}

void PrintText(std::ostream& out, const Record& r, bool terminal) {
  const Article& a = r.article;
  auto line = [&out](std::string_view label, const std::string& value) {
    if (!value.empty()) out << label << value << "\n";
  };
  out << (terminal ? "\x1b[1m" : "") << a.title << (terminal ? "\x1b[0m" : "") << "\n";
  line("id:         ", a.id);
  line("link:       ", a.link);
  std::string feed = a.feed_url;
  if (const std::string name = SourceName(r.feed); !name.empty()) feed = name + " <" + feed + ">";
  line("feed:       ", feed);
  line("published:  ", TimeOrEmpty(a.published));
  line("updated:    ", TimeOrEmpty(a.updated));
  line("fetched:    ", FormatRfc3339(a.fetched));
  line("author:     ", a.author);
  line("categories: ", Join(a.categories, ", "));
  line("story:      ", a.story_id);
  if (!a.summary.empty()) out << "\nsummary:\n" << Cut(a.summary, kTextCutBytes) << "\n";
  if (!a.content.empty()) out << "\ncontent:\n" << Cut(a.content, kTextCutBytes) << "\n";
  out << "\n";
  if (!r.event) {
    out << "event:      none (no rule matched)\n";
  } else {
    const Event& e = *r.event;
    line("event time: ", FormatRfc3339Micros(e.time));
    line("severity:   ", e.severity);
    line("score:      ", FormatScore(e.score));
    line("tags:       ", Join(e.tags, ", "));
    line("minerals:   ", Join(e.minerals, ", "));
    line("countries:  ", Join(e.countries, ", "));
    line("blocs:      ", Join(e.blocs, ", "));
    line("pack:       ", e.pack_version);
    if (!e.matches.empty()) out << "\nmatches:\n";
    for (size_t i = 0; i < e.matches.size(); ++i) {
      out << "  " << e.matches[i].rule << " (" << e.matches[i].field << "): "
          << Highlight(r.contexts[i], terminal) << "\n";
    }
  }
  out << "\nother sources of this story:";
  if (r.others.empty()) out << " none";
  out << "\n";
  for (const OtherSource& o : r.others) {
    out << "  " << FormatRfc3339(std::chrono::floor<std::chrono::seconds>(o.time)) << "  "
        << (o.source.empty() ? o.feed : o.source) << "  " << o.title << "\n    " << o.link
        << "\n";
  }
}

nlohmann::ordered_json OptionalTime(const std::optional<UnixSeconds>& t) {
  return t ? nlohmann::ordered_json(FormatRfc3339(*t)) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json ToJson(const Record& r) {
  const Article& a = r.article;
  nlohmann::ordered_json j = {
      {"id", a.id},
      {"title", a.title},
      {"link", a.link},
      {"feed",
       {{"url", a.feed_url},
        {"name", r.feed ? r.feed->name : ""},
        {"title", r.feed ? r.feed->title : ""}}},
      {"published", OptionalTime(a.published)},
      {"updated", OptionalTime(a.updated)},
      {"fetched", FormatRfc3339(a.fetched)},
      {"author", a.author},
      {"categories", a.categories},
      {"summary", a.summary},
      {"content", a.content},
      {"story", a.story_id},
      {"event", nullptr}};
  if (r.event) {
    const Event& e = *r.event;
    nlohmann::ordered_json matches = nlohmann::ordered_json::array();
    for (size_t i = 0; i < e.matches.size(); ++i) {
      const EventMatch& m = e.matches[i];
      matches.push_back({{"rule", m.rule},
                         {"field", m.field},
                         {"start", m.start},
                         {"end", m.end},
                         {"text", m.text},
                         {"before", r.contexts[i].before},
                         {"after", r.contexts[i].after}});
    }
    j["event"] = {{"time", FormatRfc3339Micros(e.time)},
                  {"tags", e.tags},
                  {"minerals", e.minerals},
                  {"countries", e.countries},
                  {"blocs", e.blocs},
                  {"score", e.score},
                  {"severity", e.severity},
                  {"pack_version", e.pack_version},
                  {"matches", std::move(matches)}};
  }
  nlohmann::ordered_json others = nlohmann::ordered_json::array();
  for (const OtherSource& o : r.others) {
    others.push_back({{"id", o.id},
                      {"time", FormatRfc3339Micros(o.time)},
                      {"feed", o.feed},
                      {"source", o.source},
                      {"title", o.title},
                      {"link", o.link}});
  }
  j["other_sources"] = std::move(others);
  return j;
}

int Run(const ShowFlags& flags) {
  auto store = ReadOnlyStore::Open(flags.store);
  if (!store) {
    std::cerr << "assay show: " << store.error().message() << "\n";
    return 2;
  }
  bool found = false;
  Result<Record> record = Load((*store)->store(), flags.id, &found);
  if (!record) {
    std::cerr << "assay show: " << record.error().message() << "\n";
    return 2;
  }
  if (!found) {
    std::cerr << "assay show: no article with id '" << flags.id << "'\n";
    return 1;
  }
  if (flags.format == "json") {
    // Stored text is UTF-8 but not checked here; replace rather than throw.
    std::cout << ToJson(*record).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    PrintText(std::cout, *record, isatty(STDOUT_FILENO) == 1);
  }
  std::cout.flush();
  return std::cout ? 0 : 2;
}

}  // namespace

void AddShowCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("show", "print one article whole, with its event and story");
  auto f = std::make_shared<ShowFlags>();
  f->store.AddTo(cmd);
  cmd->add_option("id", f->id, "article id, as `assay events` prints it")->required();
  cmd->add_option("--format", f->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([=] { *exit_code = Run(*f); });
}

}  // namespace assay::cli
