#include "query/event_filter.h"

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <system_error>

#include "config/config.h"

namespace assay::query {

Result<UnixMicros> ParseTimeBound(std::string_view name, const std::string& text, UnixMicros now) {
  if (std::optional<UnixSeconds> t = ParseRfc3339(text)) return UnixMicros(*t);
  if (Result<std::chrono::seconds> d = config::ParseDuration(text); d && d->count() >= 0) {
    return now - std::chrono::duration_cast<std::chrono::microseconds>(*d);
  }
  return InvalidArgument(std::string(name) + ": '" + text +
                         "' is neither a duration before now (24h, 7d) nor an RFC 3339 time");
}

Result<storage::EventQuery> BuildEventQuery(const EventFilter& f, UnixMicros now,
                                            std::string_view prefix) {
  const std::string p(prefix);
  storage::EventQuery q;
  if (!f.since.empty()) {
    Result<UnixMicros> t = ParseTimeBound(p + "since", f.since, now);
    if (!t) return t.error();
    q.since = *t;
  }
  if (!f.until.empty()) {
    Result<UnixMicros> t = ParseTimeBound(p + "until", f.until, now);
    if (!t) return t.error();
    q.until = *t;
  }
  q.all_tags = f.tags;
  q.any_tags = f.any_tags;
  q.minerals = f.minerals;
  q.countries = f.countries;
  q.blocs = f.blocs;
  if (!f.feed.empty()) q.feed = f.feed;
  if (!f.story.empty()) q.story = f.story;
  if (!f.min_severity.empty()) {
    q.min_severity_rank = storage::SeverityRank(f.min_severity);
    if (!q.min_severity_rank) {
      return InvalidArgument(p + "min-severity: '" + f.min_severity +
                             "' is not one of info, low, medium, high, critical");
    }
  }
  if (!f.min_score.empty()) {
    double v = 0;
    const char* end = f.min_score.data() + f.min_score.size();
    auto [ptr, ec] = std::from_chars(f.min_score.data(), end, v);
    if (ec != std::errc() || ptr != end || !std::isfinite(v)) {
      return InvalidArgument(p + "min-score: '" + f.min_score + "' is not a number");
    }
    q.min_score = v;
  }
  {
    size_t v = 0;
    const char* end = f.limit.data() + f.limit.size();
    auto [ptr, ec] = std::from_chars(f.limit.data(), end, v);
    if (f.limit.empty() || ec != std::errc() || ptr != end) {
      return InvalidArgument(p + "limit: '" + f.limit +
                             "' is not a non-negative integer (0 means no limit)");
    }
    q.limit = v;
  }
  q.newest_first = !f.oldest_first;
  if (!f.grep.empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(f.grep, options);
    if (!re->ok()) {
      return InvalidArgument(p + "grep: '" + f.grep + "' is not a valid RE2 pattern: " + re->error());
    }
    q.article_filter = [re](const Article& a) {
      return RE2::PartialMatch(a.title, *re) || RE2::PartialMatch(a.summary, *re);
    };
  }
  return q;
}

std::string SourceName(const std::optional<FeedState>& feed) {
  if (!feed) return "";
  return feed->name.empty() ? feed->title : feed->name;
}

Result<std::vector<EventRow>> LoadEventRows(const storage::Store& store, std::vector<Event> events) {
  std::map<std::string, std::string> sources;
  std::vector<EventRow> rows;
  rows.reserve(events.size());
  for (Event& e : events) {
    EventRow r;
    auto source = sources.find(e.feed_url);
    if (source == sources.end()) {
      Result<std::optional<FeedState>> feed = store.GetFeed(e.feed_url);
      if (!feed) return feed.error();
      source = sources.emplace(e.feed_url, SourceName(*feed)).first;
    }
    r.source = source->second;
    Result<std::optional<Article>> article = store.GetArticle(e.article_id);
    if (!article) return article.error();
    if (*article) {
      r.title = (*article)->title;
      r.link = (*article)->link;
    }
    r.id = std::move(e.article_id);
    r.time = e.time;
    r.feed = std::move(e.feed_url);
    r.tags = std::move(e.tags);
    r.minerals = std::move(e.minerals);
    r.countries = std::move(e.countries);
    r.blocs = std::move(e.blocs);
    r.score = e.score;
    r.severity = std::move(e.severity);
    r.story = std::move(e.story_id);
    rows.push_back(std::move(r));
  }
  return rows;
}

nlohmann::ordered_json EventRowJson(const EventRow& r) {
  return {{"id", r.id},
          {"time", FormatRfc3339Micros(r.time)},
          {"feed", r.feed},
          {"source", r.source},
          {"title", r.title},
          {"link", r.link},
          {"tags", r.tags},
          {"minerals", r.minerals},
          {"countries", r.countries},
          {"blocs", r.blocs},
          {"score", r.score},
          {"severity", r.severity},
          {"story", r.story}};
}

}  // namespace assay::query
