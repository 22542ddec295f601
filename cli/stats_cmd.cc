// assay stats: counts of events per UTC day (or hour) by tag, mineral,
// country or bloc over a period, read with one filtered storage::EventQuery
// (a full scan of the period). Printed as a table with a total and a
// sparkline per value, or as JSON series.
//
// Exit status: 0 with the counts printed (none is fine), 2 for a bad flag
// value or an unreadable store, with one line on stderr.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/store_access.h"
#include "cli/time_flags.h"
#include "core/time.h"

namespace assay::cli {
namespace {

struct StatsFlags {
  StoreFlags store;
  std::string since = "30d";
  std::string until;
  std::string by = "tag";
  bool hourly = false;
  std::string format = "table";
  std::vector<std::string> tags;
};

// Counts per bucket for each value of the dimension.
struct Stats {
  UnixMicros first{};         // start of the first bucket
  std::chrono::hours width{};  // 1h or 24h
  size_t bucket_count = 0;
  std::map<std::string, std::vector<uint64_t>> series;
};

const std::vector<std::string>& Values(const Event& e, const std::string& by) {
  if (by == "mineral") return e.minerals;
  if (by == "country") return e.countries;
  if (by == "bloc") return e.blocs;
  return e.tags;
}

// The buckets are UTC-aligned: from the one holding `since` to the one
// holding the last instant before `until`.
Result<Stats> Count(const storage::Store& store, const StatsFlags& f, UnixMicros now) {
  Result<UnixMicros> since = ParseTimeFlag("--since", f.since, now);
  if (!since) return since.error();
  UnixMicros until = now;
  if (!f.until.empty()) {
    Result<UnixMicros> t = ParseTimeFlag("--until", f.until, now);
    if (!t) return t.error();
    until = *t;
  }
  if (*since >= until) {
    return InvalidArgument("--since: '" + f.since + "' is not before --until (" +
                           FormatRfc3339Micros(until) + ")");
  }
  Stats s;
  s.width = f.hourly ? std::chrono::hours(1) : std::chrono::hours(24);
  s.first = std::chrono::floor<std::chrono::hours>(*since);
  if (!f.hourly) s.first = std::chrono::floor<std::chrono::days>(*since);
  const UnixMicros last = std::chrono::floor<std::chrono::microseconds>(
      until - std::chrono::microseconds(1));
  s.bucket_count = static_cast<size_t>((last - s.first) / s.width) + 1;

  storage::EventQuery q;
  q.since = *since;
  q.until = until;
  q.limit = 0;
  q.newest_first = false;
  q.all_tags = f.tags;
  Result<std::vector<Event>> events = store.Events(q);
  if (!events) return events.error();
  for (const Event& e : *events) {
    if (e.time < s.first || e.time > last) continue;  // outside the query's range
    const size_t bucket = static_cast<size_t>((e.time - s.first) / s.width);
    for (const std::string& v : Values(e, f.by)) {
      std::vector<uint64_t>& counts = s.series[v];
      counts.resize(s.bucket_count);
      ++counts[bucket];
    }
  }
  return s;
}

uint64_t Total(const std::vector<uint64_t>& counts) {
  uint64_t t = 0;
  for (uint64_t c : counts) t += c;
  return t;
}

// One block character per bucket: ▁ for none, ▂ to █ scaled to the row's
// largest count.
std::string Sparkline(const std::vector<uint64_t>& counts) {
  static const char* const kBlocks[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                        "\u2585", "\u2586", "\u2587", "\u2588"};
  const uint64_t max = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
  std::string out;
  for (uint64_t c : counts) {
    const uint64_t level = c == 0 ? 0 : 1 + (c * 7 - 1) / max;
    out += kBlocks[level];
  }
  return out;
}

std::string BucketTime(UnixMicros t) {
  return FormatRfc3339(std::chrono::floor<std::chrono::seconds>(t));
}

// Rows by total, largest first, then by value.
std::vector<std::pair<std::string, uint64_t>> Ranked(const Stats& s) {
  std::vector<std::pair<std::string, uint64_t>> rows;
  for (const auto& [value, counts] : s.series) rows.emplace_back(value, Total(counts));
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return rows;
}

void PrintTable(std::ostream& out, const Stats& s, const StatsFlags& f) {
  const UnixMicros end = s.first + s.width * static_cast<int64_t>(s.bucket_count);
  out << "events by " << f.by << " per " << (f.hourly ? "hour" : "day") << ", "
      << BucketTime(s.first) << " to " << BucketTime(end) << " (" << s.bucket_count << " "
      << (f.hourly ? "hours" : "days") << ")\n";
  std::vector<std::pair<std::string, uint64_t>> rows = Ranked(s);
  size_t width = f.by.size();
  for (const auto& row : rows) width = std::max(width, row.first.size());
  auto pad = [](const std::string& v, size_t w) {
    return v + std::string(w > v.size() ? w - v.size() : 0, ' ');
  };
  out << pad("VALUE", width) << "  " << pad("TOTAL", 7) << "  "
      << (f.hourly ? "HOURLY" : "DAILY") << "\n";
  for (const auto& [value, total] : rows) {
    out << pad(value, width) << "  " << pad(std::to_string(total), 7) << "  "
        << Sparkline(s.series.at(value)) << "\n";
  }
}

nlohmann::ordered_json ToJson(const Stats& s, const StatsFlags& f) {
  nlohmann::ordered_json buckets = nlohmann::ordered_json::array();
  for (size_t i = 0; i < s.bucket_count; ++i) {
    buckets.push_back(BucketTime(s.first + s.width * static_cast<int64_t>(i)));
  }
  nlohmann::ordered_json series = nlohmann::ordered_json::object();
  for (const auto& [value, total] : Ranked(s)) series[value] = s.series.at(value);
  return {{"buckets", std::move(buckets)},
          {"series", std::move(series)},
          {"by", f.by},
          {"interval", f.hourly ? "hour" : "day"}};
}

int Run(const StatsFlags& flags) {
  auto store = ReadOnlyStore::Open(flags.store);
  if (!store) {
    std::cerr << "assay stats: " << store.error().message() << "\n";
    return 2;
  }
  Result<Stats> stats = Count((*store)->store(), flags, SystemClock().Now());
  if (!stats) {
    std::cerr << "assay stats: " << stats.error().message() << "\n";
    return 2;
  }
  if (flags.format == "json") {
    std::cout << ToJson(*stats, flags).dump(2, ' ', false,
                                            nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    PrintTable(std::cout, *stats, flags);
  }
  std::cout.flush();
  return std::cout ? 0 : 2;
}

}  // namespace

void AddStatsCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("stats", "count events per day or hour by tag or entity");
  auto f = std::make_shared<StatsFlags>();
  f->store.AddTo(cmd);
  cmd->add_option("--since", f->since, "from this time on (7d before now, or RFC 3339)")
      ->capture_default_str();
  cmd->add_option("--until", f->until, "before this time (default: now)");
  cmd->add_option("--by", f->by, "tag, mineral, country or bloc")
      ->check(CLI::IsMember({"tag", "mineral", "country", "bloc"}))
      ->capture_default_str();
  cmd->add_flag("--hourly", f->hourly, "hourly buckets (default: daily), UTC");
  cmd->add_option("--format", f->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->add_option("--tag", f->tags, "only events with this tag (repeatable: all of them)")
      ->allow_extra_args(false);
  cmd->callback([=] { *exit_code = Run(*f); });
}

}  // namespace assay::cli
