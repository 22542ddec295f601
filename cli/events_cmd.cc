// assay events: the event log, filtered by time, tag, entity, feed, story,
// score and severity (storage::EventQuery), printed as a table, JSON, NDJSON
// or CSV. Each event is shown with its article's title and link and its
// feed's name.
//
// --grep REGEX keeps the events whose article's title or summary matches
// the RE2 pattern (checked by the store after every indexed condition).
// --follow then keeps printing new matching events as a daemon writes them:
// the secondary instance catches up with the primary every
// kFollowInterval and prints the matching events whose key (time, then
// article id) is past the newest event key seen so far, oldest first,
// flushing stdout after each, until SIGINT or SIGTERM.
//
// Exit status: 0 with the events printed (none is fine; also after
// --follow is interrupted), 2 for a bad flag value or an unreadable store,
// with one line on stderr.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/store_access.h"
#include "cli/text.h"
#include "cli/time_flags.h"
#include "core/time.h"
#include "query/event_filter.h"

namespace assay::cli {
namespace {

struct EventsFlags {
  StoreFlags store;
  query::EventFilter filter;  // shared with the daemon's GET /api/v1/events
  std::string format = "table";
  bool follow = false;
};

// How often --follow catches up with the daemon: short enough to feel live,
// long enough to cost nothing (a catch-up with no new writes reads one WAL
// tail and the MANIFEST).
constexpr int kFollowIntervalMs = 200;

// One printed event: the event with its article's and feed's fields.
using Row = query::EventRow;

// Builds the query from the flags; InvalidArgument naming the flag.
Result<storage::EventQuery> BuildQuery(const EventsFlags& f, UnixMicros now) {
  Result<storage::EventQuery> q = query::BuildEventQuery(f.filter, now, "--");
  if (!q) return q.error();
  if (f.follow && f.format == "json") {
    return InvalidArgument("--follow prints events as they come: use --format ndjson, csv or table");
  }
  if (f.follow && !f.filter.until.empty()) {
    return InvalidArgument("--follow waits for new events: it cannot be combined with --until");
  }
  return q;
}

// The events with their articles and feeds (each feed read once).
Result<std::vector<Row>> ToRows(const storage::Store& store, std::vector<Event> events) {
  return query::LoadEventRows(store, std::move(events));
}

// Keys in the order of the table columns.
nlohmann::ordered_json ToJson(const Row& r) { return query::EventRowJson(r); }

// RFC 4180: a field with a comma, quote, CR or LF is quoted, its quotes
// doubled.
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void PrintCsvHeader(std::ostream& out) {
  out << "id,time,feed,source,title,link,tags,minerals,countries,blocs,score,severity,story\r\n";
}

void PrintCsvRows(std::ostream& out, const std::vector<Row>& rows) {
  for (const Row& r : rows) {
    const std::vector<std::string> fields = {
        r.id,        FormatRfc3339Micros(r.time), r.feed,           r.source,
        r.title,     r.link,                      Join(r.tags, ";"), Join(r.minerals, ";"),
        Join(r.countries, ";"), Join(r.blocs, ";"), FormatScore(r.score), r.severity,
        r.story};
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out << ',';
      out << CsvField(fields[i]);
    }
    out << "\r\n";
  }
}

const char* SeverityColour(const std::string& severity) {
  if (severity == "critical") return "\x1b[1;31m";
  if (severity == "high") return "\x1b[31m";
  if (severity == "medium") return "\x1b[33m";
  return nullptr;
}

void PrintTableHeader(std::ostream& out) {
  out << Fit("TIME", 20) << "  " << Fit("SEVERITY", 8) << "  " << Fit("SCORE", 6) << "  "
      << Fit("SOURCE", 18) << "  " << Fit("TAGS", 28) << "  " << Fit("MINERALS", 18) << "  "
      << Fit("COUNTRIES", 10) << "  " << Fit("BLOCS", 10) << "  " << Fit("TITLE", 50) << "  "
      << Fit("ID", 40) << "  " << Fit("STORY", 40) << "  " << Fit("FEED", 36) << "  LINK\n";
}

void PrintTableRows(std::ostream& out, const std::vector<Row>& rows, bool colour) {
  for (const Row& r : rows) {
    std::string severity = Fit(r.severity, 8);
    const char* c = colour ? SeverityColour(r.severity) : nullptr;
    if (c != nullptr) severity = c + severity + "\x1b[0m";
    out << Fit(FormatRfc3339(std::chrono::floor<std::chrono::seconds>(r.time)), 20) << "  "
        << severity << "  " << Fit(FormatScore(r.score), 6) << "  " << Fit(r.source, 18) << "  "
        << Fit(Join(r.tags, ","), 28) << "  " << Fit(Join(r.minerals, ","), 18) << "  "
        << Fit(Join(r.countries, ","), 10) << "  " << Fit(Join(r.blocs, ","), 10) << "  "
        << Fit(r.title, 50) << "  " << Fit(r.id, 40) << "  " << Fit(r.story, 40) << "  "
        << Fit(r.feed, 36) << "  " << r.link << "\n";
  }
}

// Prints `rows` in the chosen format; `header` for the first batch of a
// table or CSV.
void Print(const EventsFlags& flags, const std::vector<Row>& rows, bool header) {
  if (flags.format == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const Row& r : rows) out.push_back(ToJson(r));
    // Stored text is UTF-8 but not checked here; replace rather than throw.
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (flags.format == "ndjson") {
    for (const Row& r : rows) {
      std::cout << ToJson(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n";
    }
  } else if (flags.format == "csv") {
    if (header) PrintCsvHeader(std::cout);
    PrintCsvRows(std::cout, rows);
  } else {
    if (header) PrintTableHeader(std::cout);
    PrintTableRows(std::cout, rows, isatty(STDOUT_FILENO) == 1);
  }
}

volatile sig_atomic_t g_stop = 0;
extern "C" void OnStopSignal(int) { g_stop = 1; }

// The position of an event in the log: its key's order.
struct LogPosition {
  UnixMicros time{};
  std::string article_id;
  bool Before(const Event& e) const {
    return time < e.time || (time == e.time && article_id < e.article_id);
  }
};

// The key of the newest event in the log; nullopt for an empty log.
Result<std::optional<LogPosition>> NewestEvent(const storage::Store& store) {
  storage::EventQuery newest;
  newest.limit = 1;
  Result<std::vector<Event>> last = store.Events(newest);
  if (!last) return last.error();
  if (last->empty()) return std::optional<LogPosition>();
  return std::optional<LogPosition>(LogPosition{last->front().time, last->front().article_id});
}

// --follow: catch up, print what is new, wait, until a signal.
int Follow(const EventsFlags& flags, storage::EventQuery query, storage::Store& store,
           std::optional<LogPosition> seen) {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  query.limit = 0;
  query.newest_first = false;
  while (g_stop == 0) {
    // poll() with no descriptors: a sleep that a signal cuts short.
    poll(nullptr, 0, kFollowIntervalMs);
    if (g_stop != 0) break;
    if (Status s = store.CatchUp(); !s.ok()) {
      std::cerr << "assay events: " << s.message() << "\n";
      return 2;
    }
    // The daemon stamps an event with the time it first writes it, so new
    // events sort after the ones seen; the time bound keeps the read short.
    if (seen) query.since = seen->time;
    Result<std::vector<Event>> events = store.Events(query);
    if (!events) {
      std::cerr << "assay events: " << events.error().message() << "\n";
      return 2;
    }
    std::vector<Event> fresh;
    for (Event& e : *events) {
      if (!seen || seen->Before(e)) fresh.push_back(std::move(e));
    }
    // Past the newest event of the log, matching or not: the secondary does
    // not change between catch-ups, so nothing can slip in between.
    Result<std::optional<LogPosition>> newest = NewestEvent(store);
    if (!newest) {
      std::cerr << "assay events: " << newest.error().message() << "\n";
      return 2;
    }
    if (*newest) seen = *newest;
    if (fresh.empty()) continue;
    Result<std::vector<Row>> rows = ToRows(store, std::move(fresh));
    if (!rows) {
      std::cerr << "assay events: " << rows.error().message() << "\n";
      return 2;
    }
    for (const Row& r : *rows) {
      Print(flags, {r}, /*header=*/false);
      std::cout.flush();
    }
    if (!std::cout) return 2;
  }
  return 0;
}

int Run(const EventsFlags& flags) {
  const UnixMicros now = SystemClock().Now();
  Result<storage::EventQuery> query = BuildQuery(flags, now);
  if (!query) {
    std::cerr << "assay events: " << query.error().message() << "\n";
    return 2;
  }
  auto store = ReadOnlyStore::Open(flags.store);
  if (!store) {
    std::cerr << "assay events: " << store.error().message() << "\n";
    return 2;
  }
  Result<std::vector<Event>> events = (*store)->store().Events(*query);
  if (!events) {
    std::cerr << "assay events: " << events.error().message() << "\n";
    return 2;
  }
  // --follow resumes after the newest event of the whole log at this point,
  // matching or not, so that it prints only what is written from now on.
  std::optional<LogPosition> seen;
  if (flags.follow) {
    Result<std::optional<LogPosition>> newest = NewestEvent((*store)->store());
    if (!newest) {
      std::cerr << "assay events: " << newest.error().message() << "\n";
      return 2;
    }
    seen = *newest;
  }
  Result<std::vector<Row>> rows = ToRows((*store)->store(), std::move(*events));
  if (!rows) {
    std::cerr << "assay events: " << rows.error().message() << "\n";
    return 2;
  }
  Print(flags, *rows, /*header=*/true);
  std::cout.flush();
  if (!std::cout) return 2;
  if (!flags.follow) return 0;
  return Follow(flags, std::move(*query), (*store)->store(), std::move(seen));
}

}  // namespace

void AddEventsCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("events", "list events from the event log, filtered");
  auto f = std::make_shared<EventsFlags>();
  f->store.AddTo(cmd);
  cmd->add_option("--since", f->filter.since, "from this time on (24h, 7d before now, or RFC 3339)");
  cmd->add_option("--until", f->filter.until, "before this time (24h, 7d before now, or RFC 3339)");
  auto one_each = [](CLI::Option* o) { o->allow_extra_args(false); };
  one_each(cmd->add_option("--tag", f->filter.tags, "has this tag (repeatable: all of them)"));
  one_each(cmd->add_option("--any-tag", f->filter.any_tags, "has one of these tags (repeatable)"));
  one_each(cmd->add_option("--mineral", f->filter.minerals, "names this mineral (repeatable: all)"));
  one_each(cmd->add_option("--country", f->filter.countries, "names this country (repeatable: all)"));
  one_each(cmd->add_option("--bloc", f->filter.blocs, "names this bloc (repeatable: all)"));
  cmd->add_option("--feed", f->filter.feed, "from this feed (configured URL)");
  cmd->add_option("--story", f->filter.story, "in this story (story id)");
  cmd->add_option("--min-severity", f->filter.min_severity, "info, low, medium, high or critical");
  cmd->add_option("--min-score", f->filter.min_score, "score at least this");
  cmd->add_option("--limit", f->filter.limit, "at most this many events (0: all)")
      ->capture_default_str();
  cmd->add_flag("--oldest-first", f->filter.oldest_first, "oldest first (default: newest first)");
  cmd->add_option("--grep", f->filter.grep, "title or summary matches this RE2 pattern");
  cmd->add_flag("--follow", f->follow,
                "then keep printing new matching events as they are written, until interrupted");
  cmd->add_option("--format", f->format, "table, json, ndjson or csv")
      ->check(CLI::IsMember({"table", "json", "ndjson", "csv"}))
      ->capture_default_str();
  cmd->callback([=] { *exit_code = Run(*f); });
}

}  // namespace assay::cli
