#include "rules/alerts.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <fstream>
#include <set>
#include <sstream>

namespace assay::rules {

std::string_view AlertKindName(AlertKind k) {
  switch (k) {
    case AlertKind::kAny:
      return "any";
    case AlertKind::kThreshold:
      return "threshold";
    case AlertKind::kSpike:
      return "spike";
    case AlertKind::kNewTerm:
      return "new_term";
  }
  return "?";
}

std::string_view GroupLabelName(GroupLabel g) {
  switch (g) {
    case GroupLabel::kMineral:
      return "mineral";
    case GroupLabel::kCountry:
      return "country";
    case GroupLabel::kBloc:
      return "bloc";
    case GroupLabel::kFeed:
      return "feed";
  }
  return "?";
}

std::string_view AlertChangeName(AlertChange c) {
  switch (c) {
    case AlertChange::kFired:
      return "fired";
    case AlertChange::kUpdated:
      return "updated";
    case AlertChange::kRepeated:
      return "repeated";
    case AlertChange::kResolved:
      return "resolved";
  }
  return "?";
}

std::chrono::seconds AlertRule::ResolveAfter() const {
  if (resolve_after.count() > 0) return resolve_after;
  if (fire == AlertKind::kThreshold || fire == AlertKind::kSpike) return window;
  return std::chrono::hours(24);
}

// ---------------------------------------------------------------------------
// Loading

namespace {

constexpr std::string_view kLabelNames[] = {"mineral", "country", "bloc", "feed"};

bool ValidId(std::string_view id) {
  if (id.empty()) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

class AlertLoader {
 public:
  AlertLoader(std::string file, std::vector<PackProblem>* problems)
      : file_(std::move(file)), problems_(problems) {}

  void ParseList(const YAML::Node& list, std::vector<AlertRule>* out) {
    if (!list.IsSequence()) {
      Problem(list, "", "alerts must be a list of alert rules");
      return;
    }
    for (const YAML::Node& n : list) {
      AlertRule r;
      if (ParseRule(n, &r)) out->push_back(std::move(r));
    }
  }

 private:
  SourceLoc Loc(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    return SourceLoc{file_, m.line + 1, m.column + 1};
  }
  void Problem(const YAML::Node& n, const std::string& subject, std::string msg) {
    problems_->push_back(PackProblem{Loc(n), subject, std::move(msg)});
  }

  bool String(const YAML::Node& n, const std::string& subject, const char* what,
              std::string* out) {
    if (!n.IsScalar()) {
      Problem(n, subject, std::string(what) + " must be a string");
      return false;
    }
    *out = n.Scalar();
    return true;
  }

  bool Strings(const YAML::Node& n, const std::string& subject, const char* what,
               std::vector<std::string>* out) {
    if (n.IsScalar()) {
      out->push_back(n.Scalar());
      return true;
    }
    if (!n.IsSequence()) {
      Problem(n, subject, std::string(what) + " must be a string or a list of strings");
      return false;
    }
    for (const YAML::Node& item : n) {
      if (!item.IsScalar()) {
        Problem(item, subject, std::string(what) + " must list strings");
        return false;
      }
      out->push_back(item.Scalar());
    }
    return true;
  }

  bool Int(const YAML::Node& n, const std::string& subject, const char* what, int min,
           int* out) {
    int v = 0;
    if (!n.IsScalar() || !YAML::convert<int>::decode(n, v)) {
      Problem(n, subject, std::string(what) + " must be a whole number");
      return false;
    }
    if (v < min) {
      Problem(n, subject, std::string(what) + " must be at least " + std::to_string(min));
      return false;
    }
    *out = v;
    return true;
  }

  bool Number(const YAML::Node& n, const std::string& subject, const char* what,
              double* out) {
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, *out)) {
      Problem(n, subject, std::string(what) + " must be a number");
      return false;
    }
    return true;
  }

  bool Duration(const YAML::Node& n, const std::string& subject, const char* what,
                bool allow_zero, std::chrono::seconds* out) {
    if (!n.IsScalar()) {
      Problem(n, subject, std::string(what) + " must be a duration such as 30m or 24h");
      return false;
    }
    Result<std::chrono::seconds> d = ParseDuration(n.Scalar());
    if (!d) {
      Problem(n, subject, std::string(what) + ": " + d.error().message());
      return false;
    }
    if (!allow_zero && d->count() == 0) {
      Problem(n, subject, std::string(what) + " must be longer than 0s");
      return false;
    }
    *out = *d;
    return true;
  }

  bool SeverityValue(const YAML::Node& n, const std::string& subject, const char* what,
                     Severity* out) {
    std::optional<Severity> s = n.IsScalar() ? ParseSeverity(n.Scalar()) : std::nullopt;
    if (!s) {
      Problem(n, subject,
              std::string(what) + " must be info, low, medium, high or critical");
      return false;
    }
    *out = *s;
    return true;
  }

  bool CheckKeys(const YAML::Node& n, const std::string& subject, const char* what,
                 std::initializer_list<std::string_view> allowed) {
    if (!n.IsMap()) {
      Problem(n, subject, std::string(what) + " must be a mapping");
      return false;
    }
    bool ok = true;
    for (const auto& kv : n) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      Problem(kv.first, subject,
              "unknown key '" + key + "' in " + what + " (expected one of: " + list + ")");
      ok = false;
    }
    return ok;
  }

  bool ParseSelector(const YAML::Node& n, const std::string& subject, AlertSelector* out) {
    if (!CheckKeys(n, subject, "when",
                   {"tags", "any_tags", "minerals", "mineral", "countries", "country",
                    "blocs", "bloc", "feeds", "feed", "min_score", "min_severity"})) {
      return false;
    }
    bool ok = true;
    const auto list = [&](std::initializer_list<const char*> keys,
                          std::vector<std::string>* v) {
      for (const char* k : keys) {
        if (n[k]) ok &= Strings(n[k], subject, k, v);
      }
    };
    list({"tags"}, &out->tags);
    list({"any_tags"}, &out->any_tags);
    list({"minerals", "mineral"}, &out->minerals);
    list({"countries", "country"}, &out->countries);
    list({"blocs", "bloc"}, &out->blocs);
    list({"feeds", "feed"}, &out->feeds);
    if (n["min_score"]) ok &= Number(n["min_score"], subject, "min_score", &out->min_score);
    if (n["min_severity"]) {
      ok &= SeverityValue(n["min_severity"], subject, "min_severity", &out->min_severity);
    }
    return ok;
  }

  bool ParseRule(const YAML::Node& n, AlertRule* r) {
    r->loc = Loc(n);
    if (!n.IsMap()) {
      Problem(n, "", "an alert rule must be a mapping");
      return false;
    }
    std::string subject = "alert rule";
    if (!n["id"]) {
      Problem(n, subject, "missing 'id'");
      return false;
    }
    if (!String(n["id"], subject, "id", &r->id)) return false;
    subject = "alert rule '" + r->id + "'";
    if (!ValidId(r->id)) {
      Problem(n["id"], subject, "id may hold only letters, digits, '.', '-' and '_'");
      return false;
    }
    bool ok = CheckKeys(n, subject, "an alert rule",
                        {"id", "description", "when", "fire", "count", "distinct", "window",
                         "baseline", "factor", "min_count", "term", "lookback", "group_by",
                         "cooldown", "repeat_interval", "resolve_after", "notify_resolved",
                         "severity", "targets"});
    if (n["description"]) ok &= String(n["description"], subject, "description", &r->description);
    if (!n["when"]) {
      Problem(n, subject, "missing 'when' (which events the rule looks at)");
      ok = false;
    } else {
      ok &= ParseSelector(n["when"], subject, &r->when);
    }
    if (n["fire"]) {
      std::string kind;
      if (String(n["fire"], subject, "fire", &kind)) {
        bool known = false;
        for (AlertKind k : {AlertKind::kAny, AlertKind::kThreshold, AlertKind::kSpike,
                            AlertKind::kNewTerm}) {
          if (AlertKindName(k) == kind) {
            r->fire = k;
            known = true;
          }
        }
        if (!known) {
          Problem(n["fire"], subject,
                  "unknown fire '" + kind + "' (expected any, threshold, spike or new_term)");
          ok = false;
        }
      } else {
        ok = false;
      }
    }
    // Settings that only some kinds read are an error elsewhere: a reader of
    // the file must not believe a setting is in force when it is not.
    const auto only_for = [&](const char* key, std::initializer_list<AlertKind> kinds) {
      if (!n[key]) return false;
      if (std::find(kinds.begin(), kinds.end(), r->fire) != kinds.end()) return true;
      std::string names;
      for (AlertKind k : kinds) names += (names.empty() ? "" : " and ") + std::string(AlertKindName(k));
      Problem(n[key], subject,
              std::string(key) + " applies to fire: " + names + " only (this rule fires on " +
                  std::string(AlertKindName(r->fire)) + ")");
      ok = false;
      return false;
    };
    if (only_for("count", {AlertKind::kThreshold})) ok &= Int(n["count"], subject, "count", 1, &r->count);
    if (only_for("distinct", {AlertKind::kThreshold, AlertKind::kSpike})) {
      std::string d;
      if (String(n["distinct"], subject, "distinct", &d) &&
          (d == "events" || d == "sources" || d == "stories")) {
        r->distinct = d == "events"    ? Distinct::kEvents
                      : d == "sources" ? Distinct::kSources
                                       : Distinct::kStories;
      } else {
        Problem(n["distinct"], subject, "distinct must be events, sources or stories");
        ok = false;
      }
    }
    if (only_for("window", {AlertKind::kThreshold, AlertKind::kSpike})) {
      ok &= Duration(n["window"], subject, "window", false, &r->window);
    }
    if (only_for("baseline", {AlertKind::kSpike})) {
      ok &= Int(n["baseline"], subject, "baseline", 1, &r->baseline);
    }
    if (only_for("factor", {AlertKind::kSpike})) {
      ok &= Number(n["factor"], subject, "factor", &r->factor);
      if (r->factor <= 0) {
        Problem(n["factor"], subject, "factor must be above 0");
        ok = false;
      }
    }
    if (only_for("min_count", {AlertKind::kSpike})) {
      ok &= Int(n["min_count"], subject, "min_count", 1, &r->min_count);
    }
    if (only_for("term", {AlertKind::kNewTerm})) {
      std::string t;
      if (String(n["term"], subject, "term", &t) &&
          (t == "mineral" || t == "country" || t == "bloc")) {
        r->term = t == "mineral"   ? EntityKind::kMineral
                  : t == "country" ? EntityKind::kCountry
                                   : EntityKind::kBloc;
      } else {
        Problem(n["term"], subject, "term must be mineral, country or bloc");
        ok = false;
      }
    }
    if (only_for("lookback", {AlertKind::kNewTerm})) {
      ok &= Duration(n["lookback"], subject, "lookback", false, &r->lookback);
    }
    if (n["group_by"]) {
      std::vector<std::string> labels;
      if (Strings(n["group_by"], subject, "group_by", &labels)) {
        for (const std::string& l : labels) {
          auto it = std::find(std::begin(kLabelNames), std::end(kLabelNames), l);
          if (it == std::end(kLabelNames)) {
            Problem(n["group_by"], subject,
                    "unknown group_by label '" + l + "' (expected mineral, country, bloc or feed)");
            ok = false;
            continue;
          }
          GroupLabel g = static_cast<GroupLabel>(it - std::begin(kLabelNames));
          if (std::find(r->group_by.begin(), r->group_by.end(), g) != r->group_by.end()) {
            Problem(n["group_by"], subject, "group_by names '" + l + "' twice");
            ok = false;
            continue;
          }
          r->group_by.push_back(g);
        }
      } else {
        ok = false;
      }
    }
    if (n["cooldown"]) ok &= Duration(n["cooldown"], subject, "cooldown", true, &r->cooldown);
    if (n["repeat_interval"]) {
      ok &= Duration(n["repeat_interval"], subject, "repeat_interval", true, &r->repeat_interval);
    }
    if (n["resolve_after"]) {
      ok &= Duration(n["resolve_after"], subject, "resolve_after", false, &r->resolve_after);
    }
    if (n["notify_resolved"]) {
      if (!n["notify_resolved"].IsScalar() ||
          !YAML::convert<bool>::decode(n["notify_resolved"], r->notify_resolved)) {
        Problem(n["notify_resolved"], subject, "notify_resolved must be true or false");
        ok = false;
      }
    }
    if (n["severity"]) {
      Severity s = Severity::kInfo;
      if (SeverityValue(n["severity"], subject, "severity", &s)) {
        r->severity = s;
      } else {
        ok = false;
      }
    }
    if (n["targets"]) ok &= Strings(n["targets"], subject, "targets", &r->targets);
    return ok;
  }

  std::string file_;
  std::vector<PackProblem>* problems_;
};

Result<std::vector<AlertRule>> Finish(std::vector<AlertRule> rules,
                                      std::vector<PackProblem> problems) {
  std::map<std::string, const AlertRule*> seen;
  for (const AlertRule& r : rules) {
    auto [it, fresh] = seen.emplace(r.id, &r);
    if (!fresh) {
      problems.push_back(PackProblem{r.loc, "alert rule '" + r.id + "'",
                                     "duplicate id (first at " + it->second->loc.file + ":" +
                                         std::to_string(it->second->loc.line) + ")"});
    }
  }
  if (problems.empty()) return rules;
  std::string msg;
  for (const PackProblem& p : problems) msg += (msg.empty() ? "" : "\n") + p.ToString();
  return InvalidArgument(msg);
}

}  // namespace

void ParseAlertRules(const YAML::Node& list, const std::string& file,
                     std::vector<AlertRule>* out, std::vector<PackProblem>* problems) {
  AlertLoader(file, problems).ParseList(list, out);
}

Result<std::vector<AlertRule>> LoadAlertRulesFromSources(
    const std::vector<PackSource>& sources) {
  std::vector<AlertRule> rules;
  std::vector<PackProblem> problems;
  for (const PackSource& src : sources) {
    YAML::Node root;
    try {
      root = YAML::Load(src.text);
    } catch (const YAML::Exception& e) {
      problems.push_back(PackProblem{SourceLoc{src.name, e.mark.line + 1, e.mark.column + 1},
                                     "", "not valid YAML: " + e.msg});
      continue;
    }
    if (!root.IsMap() || !root["alerts"]) {
      problems.push_back(PackProblem{SourceLoc{src.name, 1, 1}, "",
                                     "expected a mapping with an 'alerts' list"});
      continue;
    }
    for (const auto& kv : root) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (key != "alerts") {
        const YAML::Mark m = kv.first.Mark();
        problems.push_back(PackProblem{SourceLoc{src.name, m.line + 1, m.column + 1}, "",
                                       "unknown key '" + key + "' (expected: alerts)"});
      }
    }
    ParseAlertRules(root["alerts"], src.name, &rules, &problems);
  }
  return Finish(std::move(rules), std::move(problems));
}

Result<std::vector<AlertRule>> LoadAlertRules(const std::vector<std::string>& paths) {
  std::vector<PackSource> sources;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFound(path + ": cannot read alert rules");
    std::ostringstream text;
    text << in.rdbuf();
    sources.push_back(PackSource{path, text.str()});
  }
  return LoadAlertRulesFromSources(sources);
}

std::vector<PackProblem> CheckAlertRules(const std::vector<AlertRule>& rules,
                                         const RulePack& pack) {
  std::vector<PackProblem> problems;
  std::set<std::string> ids[kEntityKindCount];
  for (const Entity& e : pack.entities) ids[static_cast<int>(e.kind)].insert(e.id);
  for (const AlertRule& r : rules) {
    const std::string subject = "alert rule '" + r.id + "'";
    for (const auto* list : {&r.when.tags, &r.when.any_tags}) {
      for (const std::string& t : *list) {
        if (!pack.tags.count(t) || t.starts_with("_")) {
          problems.push_back(PackProblem{r.loc, subject,
                                         "tag '" + t + "' is not assigned by pack " + pack.name});
        }
      }
    }
    const std::vector<std::string>* lists[] = {&r.when.minerals, &r.when.countries,
                                               &r.when.blocs};
    for (int k = 0; k < kEntityKindCount; ++k) {
      for (const std::string& id : *lists[k]) {
        if (id == "any" || ids[k].count(id)) continue;
        problems.push_back(PackProblem{
            r.loc, subject,
            "unknown " + std::string(EntityKindName(static_cast<EntityKind>(k))) + " '" + id +
                "' (pack " + pack.name + " defines no such entity)"});
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Evaluation

namespace {

struct Entry {
  UnixMicros time;
  std::string event_id;
  std::string source;
  std::string story;
};

struct Group {
  std::vector<std::pair<std::string, std::string>> labels;  // the group's own
  std::deque<Entry> window;
  UnixMicros last_touch{};
  // new_term
  std::optional<UnixMicros> last_seen;
  // The group's alert: open, or the last one (for cooldown).
  bool open = false;
  std::string alert_id;
  UnixMicros opened{};
  UnixMicros last_true{};
  std::optional<UnixMicros> last_notified;
  std::vector<std::string> events;
  std::set<std::pair<std::string, std::string>> labels_seen;
  int64_t value = 0;
  Severity severity = Severity::kInfo;
};

struct RuleState {
  AlertRule rule;
  std::map<std::string, Group> groups;  // ordered: updates come out in a stable order
};

std::string AlertId(const std::string& rule, const std::string& group_key,
                    const std::string& event_id) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::string* s : {&rule, &group_key, &event_id}) {
    for (unsigned char c : *s) h = (h ^ c) * 0x100000001b3ULL;
    h = (h ^ 0x1f) * 0x100000001b3ULL;  // separator: ("ab","c") != ("a","bc")
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The values of an entity list an event offers a selector list: all of them
// when the selector says nothing or "any", else those it names.
std::vector<std::string> Selected(const std::vector<std::string>& event_values,
                                  const std::vector<std::string>& selector) {
  if (selector.empty() || Contains(selector, "any")) return event_values;
  std::vector<std::string> out;
  for (const std::string& v : event_values) {
    if (Contains(selector, v)) out.push_back(v);
  }
  return out;
}

bool Selects(const AlertSelector& w, const AlertInput& e) {
  for (const std::string& t : w.tags) {
    if (!Contains(e.tags, t)) return false;
  }
  if (!w.any_tags.empty() &&
      std::none_of(w.any_tags.begin(), w.any_tags.end(),
                   [&](const std::string& t) { return Contains(e.tags, t); })) {
    return false;
  }
  const std::pair<const std::vector<std::string>*, const std::vector<std::string>*> kinds[] = {
      {&w.minerals, &e.minerals}, {&w.countries, &e.countries}, {&w.blocs, &e.blocs}};
  for (const auto& [sel, have] : kinds) {
    if (!sel->empty() && Selected(*have, *sel).empty()) return false;
  }
  if (!w.feeds.empty() && !Contains(w.feeds, e.feed) && !Contains(w.feeds, e.source)) {
    return false;
  }
  return e.score >= w.min_score && e.severity >= w.min_severity;
}

// Counts entries in (from, to] by `d`.
int64_t Count(const std::deque<Entry>& window, UnixMicros from, UnixMicros to, Distinct d) {
  if (d == Distinct::kEvents) {
    return std::count_if(window.begin(), window.end(),
                         [&](const Entry& x) { return x.time > from && x.time <= to; });
  }
  std::set<std::string> stories;
  std::set<std::string> sources;
  for (const Entry& x : window) {
    if (x.time <= from || x.time > to) continue;
    const std::string& story = x.story.empty() ? x.event_id : x.story;
    // A story counts once, as the source that carried it first.
    if (stories.insert(story).second) sources.insert(x.source);
  }
  return static_cast<int64_t>(d == Distinct::kStories ? stories.size() : sources.size());
}

}  // namespace

struct AlertEngine::Impl {
  std::vector<AlertRule> defs;
  std::vector<RuleState> rules;
  UnixMicros newest{};
  bool any_seen = false;
  bool replaying = false;

  void Resolve(UnixMicros now, std::vector<AlertUpdate>* out);
  void Apply(RuleState& rs, const AlertInput& e, UnixMicros now,
             std::vector<AlertUpdate>* out);
  void Trigger(RuleState& rs, const std::string& key, Group& g, const AlertInput& e,
               UnixMicros now, int64_t value, std::vector<AlertUpdate>* out);
  AlertUpdate Snapshot(const RuleState& rs, const Group& g, AlertChange change, bool notify,
                       UnixMicros when) const;
  void Forget(RuleState& rs, UnixMicros now);
};

AlertEngine::AlertEngine(std::vector<AlertRule> rules) : impl_(std::make_unique<Impl>()) {
  impl_->defs = rules;
  for (AlertRule& r : rules) impl_->rules.push_back(RuleState{std::move(r), {}});
}
AlertEngine::~AlertEngine() = default;

const std::vector<AlertRule>& AlertEngine::rules() const { return impl_->defs; }

size_t AlertEngine::open_alerts() const {
  size_t n = 0;
  for (const RuleState& rs : impl_->rules) {
    for (const auto& [key, g] : rs.groups) n += g.open ? 1 : 0;
  }
  return n;
}

std::chrono::seconds AlertEngine::History() const {
  std::chrono::seconds h{0};
  for (const RuleState& rs : impl_->rules) {
    const AlertRule& r = rs.rule;
    std::chrono::seconds need{0};
    switch (r.fire) {
      case AlertKind::kAny:
        break;
      case AlertKind::kThreshold:
        need = r.window;
        break;
      case AlertKind::kSpike:
        need = r.window * (r.baseline + 1);
        break;
      case AlertKind::kNewTerm:
        need = r.lookback;
        break;
    }
    need = std::max({need, r.cooldown, r.ResolveAfter(), r.repeat_interval});
    h = std::max(h, need);
  }
  return h;
}

AlertUpdate AlertEngine::Impl::Snapshot(const RuleState& rs, const Group& g,
                                        AlertChange change, bool notify,
                                        UnixMicros when) const {
  AlertUpdate u;
  u.change = change;
  u.notify = notify;
  u.alert_id = g.alert_id;
  u.rule = rs.rule.id;
  u.group = g.labels;
  u.labels.assign(g.labels_seen.begin(), g.labels_seen.end());
  u.time = when;
  u.opened = g.opened;
  u.notified = g.last_notified.value_or(UnixMicros{});
  u.events = g.events;
  u.value = g.value;
  u.severity = rs.rule.severity.value_or(g.severity);
  u.targets = rs.rule.targets;
  return u;
}

void AlertEngine::Impl::Resolve(UnixMicros now, std::vector<AlertUpdate>* out) {
  for (RuleState& rs : rules) {
    const auto quiet = std::chrono::duration_cast<std::chrono::microseconds>(rs.rule.ResolveAfter());
    for (auto& [key, g] : rs.groups) {
      if (!g.open || g.last_true + quiet > now) continue;
      g.open = false;
      out->push_back(Snapshot(rs, g, AlertChange::kResolved, rs.rule.notify_resolved,
                              g.last_true + quiet));
    }
  }
}

void AlertEngine::Impl::Trigger(RuleState& rs, const std::string& key, Group& g,
                                const AlertInput& e, UnixMicros now, int64_t value,
                                std::vector<AlertUpdate>* out) {
  const AlertRule& r = rs.rule;
  // An event older than the group's alert belongs to an earlier one.
  if (!g.alert_id.empty() && now < g.opened) return;
  const auto since_notified = [&](std::chrono::seconds d) {
    return g.last_notified &&
           now - *g.last_notified < std::chrono::duration_cast<std::chrono::microseconds>(d);
  };
  const auto add_event = [&](const std::string& id) {
    if (g.events.size() < AlertUpdate::kMaxEvents && !Contains(g.events, id)) {
      g.events.push_back(id);
    }
  };
  const auto add_labels = [&](const AlertInput& x) {
    for (const std::string& v : x.minerals) g.labels_seen.emplace("mineral", v);
    for (const std::string& v : x.countries) g.labels_seen.emplace("country", v);
    for (const std::string& v : x.blocs) g.labels_seen.emplace("bloc", v);
    if (!x.feed.empty()) g.labels_seen.emplace("feed", x.feed);
  };
  if (!g.open && !g.alert_id.empty() && since_notified(r.cooldown)) {
    // Within the cooldown of the group's last notification: the previous
    // alert comes back instead of a new one.
    g.open = true;
  }
  if (g.open) {
    add_event(e.event_id);
    add_labels(e);
    g.value = value;
    g.severity = std::max(g.severity, e.severity);
    g.last_true = now;
    const bool repeat = r.repeat_interval.count() > 0 && !since_notified(r.repeat_interval);
    if (repeat) g.last_notified = now;
    out->push_back(Snapshot(rs, g, repeat ? AlertChange::kRepeated : AlertChange::kUpdated,
                            repeat, now));
    return;
  }
  g.open = true;
  g.alert_id = AlertId(r.id, key, e.event_id);
  g.opened = now;
  g.last_true = now;
  g.last_notified = now;
  g.events.clear();
  g.labels_seen.clear();
  for (const auto& l : g.labels) g.labels_seen.insert(l);
  g.severity = e.severity;
  g.value = value;
  // The evidence: what the window holds (threshold, spike), else the event.
  const auto window_start =
      now - std::chrono::duration_cast<std::chrono::microseconds>(r.window);
  if (r.fire == AlertKind::kThreshold || r.fire == AlertKind::kSpike) {
    for (const Entry& x : g.window) {
      if (x.time > window_start) add_event(x.event_id);
    }
  }
  add_event(e.event_id);
  add_labels(e);
  out->push_back(Snapshot(rs, g, AlertChange::kFired, true, now));
}

void AlertEngine::Impl::Apply(RuleState& rs, const AlertInput& e, UnixMicros now,
                              std::vector<AlertUpdate>* out) {
  const AlertRule& r = rs.rule;
  if (!Selects(r.when, e)) return;

  // The label values of this event, per group_by label (and the term).
  std::vector<std::pair<std::string, std::vector<std::string>>> dims;
  const auto values = [&](GroupLabel g) -> std::vector<std::string> {
    switch (g) {
      case GroupLabel::kMineral:
        return Selected(e.minerals, r.when.minerals);
      case GroupLabel::kCountry:
        return Selected(e.countries, r.when.countries);
      case GroupLabel::kBloc:
        return Selected(e.blocs, r.when.blocs);
      case GroupLabel::kFeed:
        return e.feed.empty() ? std::vector<std::string>{} : std::vector<std::string>{e.feed};
    }
    return {};
  };
  for (GroupLabel g : r.group_by) dims.emplace_back(std::string(GroupLabelName(g)), values(g));
  if (r.fire == AlertKind::kNewTerm) {
    const GroupLabel term = static_cast<GroupLabel>(static_cast<int>(r.term));
    if (std::find(r.group_by.begin(), r.group_by.end(), term) == r.group_by.end()) {
      dims.emplace_back(std::string(GroupLabelName(term)), values(term));
    }
  }
  for (auto& [name, v] : dims) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    if (v.empty()) return;  // no value for a label: the event does not count
  }

  // Every combination of values, in a stable order, at most
  // kMaxGroupsPerEvent of them.
  std::vector<std::vector<std::pair<std::string, std::string>>> combos(1);
  for (const auto& [name, vals] : dims) {
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& c : combos) {
      for (const std::string& v : vals) {
        if (next.size() >= AlertEngine::kMaxGroupsPerEvent) break;
        next.push_back(c);
        next.back().emplace_back(name, v);
      }
    }
    combos = std::move(next);
  }

  const auto micros = [](std::chrono::seconds s) {
    return std::chrono::duration_cast<std::chrono::microseconds>(s);
  };
  for (const auto& labels : combos) {
    std::string key;
    for (const auto& [name, v] : labels) key += name + "=" + v + '\x1f';
    auto [it, fresh] = rs.groups.try_emplace(key);
    Group& g = it->second;
    if (fresh) g.labels = labels;
    g.last_touch = now;
    bool holds = false;
    int64_t value = 1;
    switch (r.fire) {
      case AlertKind::kAny:
        holds = true;
        break;
      case AlertKind::kThreshold:
      case AlertKind::kSpike: {
        g.window.push_back(Entry{now, e.event_id, e.source.empty() ? e.feed : e.source, e.story});
        const int windows = r.fire == AlertKind::kSpike ? r.baseline + 1 : 1;
        const UnixMicros keep_from = now - micros(r.window) * windows;
        while (!g.window.empty() &&
               (g.window.front().time <= keep_from || g.window.size() > AlertEngine::kMaxWindowEvents)) {
          g.window.pop_front();
        }
        value = Count(g.window, now - micros(r.window), now, r.distinct);
        if (r.fire == AlertKind::kThreshold) {
          holds = value >= r.count;
        } else {
          double sum = 0;
          for (int i = 1; i <= r.baseline; ++i) {
            sum += static_cast<double>(Count(g.window, now - micros(r.window) * (i + 1),
                                             now - micros(r.window) * i, r.distinct));
          }
          const double mean = sum / r.baseline;
          holds = value >= r.min_count && static_cast<double>(value) >= r.factor * mean;
        }
        break;
      }
      case AlertKind::kNewTerm:
        holds = !g.last_seen || now - *g.last_seen > micros(r.lookback);
        g.last_seen = now;
        break;
    }
    // A replay rebuilds windows and terms; the alerts it would touch are
    // restored from the store already.
    if (holds && !replaying) Trigger(rs, key, g, e, now, value, out);
  }
  if (rs.groups.size() > AlertEngine::kMaxGroups) Forget(rs, now);
}

// Drops the groups nothing will read again: closed, and untouched for longer
// than the rule looks back. When that is not enough, the least recently
// touched closed groups go.
void AlertEngine::Impl::Forget(RuleState& rs, UnixMicros now) {
  const AlertRule& r = rs.rule;
  std::chrono::seconds horizon = std::max({r.cooldown, r.ResolveAfter(), r.lookback,
                                           r.window * (r.baseline + 1)});
  const UnixMicros cutoff = now - std::chrono::duration_cast<std::chrono::microseconds>(horizon);
  std::erase_if(rs.groups, [&](const auto& kv) {
    return !kv.second.open && kv.second.last_touch < cutoff;
  });
  if (rs.groups.size() <= AlertEngine::kMaxGroups) return;
  std::vector<std::pair<UnixMicros, std::string>> closed;
  for (const auto& [key, g] : rs.groups) {
    if (!g.open) closed.emplace_back(g.last_touch, key);
  }
  std::sort(closed.begin(), closed.end());
  const size_t excess = rs.groups.size() - AlertEngine::kMaxGroups;
  for (size_t i = 0; i < excess && i < closed.size(); ++i) rs.groups.erase(closed[i].second);
}

std::vector<AlertUpdate> AlertEngine::Observe(const AlertInput& e) {
  std::vector<AlertUpdate> out;
  Impl& m = *impl_;
  const UnixMicros now = m.any_seen ? std::max(e.time, m.newest) : e.time;
  m.newest = now;
  m.any_seen = true;
  // Resolutions due during a replay come out of the next Observe or Advance.
  if (!m.replaying) m.Resolve(now, &out);
  for (RuleState& rs : m.rules) m.Apply(rs, e, now, &out);
  return out;
}

void AlertEngine::Restore(const AlertUpdate& latest) {
  for (RuleState& rs : impl_->rules) {
    if (rs.rule.id != latest.rule) continue;
    std::string key;
    for (const auto& [name, v] : latest.group) key += name + "=" + v + '\x1f';
    Group& g = rs.groups[key];
    g.labels = latest.group;
    g.open = latest.change != AlertChange::kResolved;
    g.alert_id = latest.alert_id;
    g.opened = latest.opened;
    g.last_true = latest.change == AlertChange::kResolved
                      ? latest.time - std::chrono::duration_cast<std::chrono::microseconds>(
                                          rs.rule.ResolveAfter())
                      : latest.time;
    g.last_notified = latest.notified;
    g.last_touch = latest.time;
    g.events = latest.events;
    g.labels_seen = {latest.labels.begin(), latest.labels.end()};
    g.value = latest.value;
    g.severity = latest.severity;
    impl_->newest = std::max(impl_->newest, latest.time);
  }
}

void AlertEngine::Replay(const AlertInput& e) {
  impl_->replaying = true;
  Observe(e);
  impl_->replaying = false;
}

std::vector<AlertUpdate> AlertEngine::Advance(UnixMicros now) {
  std::vector<AlertUpdate> out;
  impl_->Resolve(now, &out);
  return out;
}

// ---------------------------------------------------------------------------
// Silences

Result<std::pair<std::string, std::string>> ParseSilenceMatcher(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return InvalidArgument("bad matcher '" + std::string(text) +
                           "' (expected label=value, e.g. mineral=graphite)");
  }
  std::string label(text.substr(0, eq));
  std::string value(text.substr(eq + 1));
  static constexpr std::string_view kLabels[] = {"rule", "mineral", "country",
                                                 "bloc", "feed",    "severity"};
  if (std::find(std::begin(kLabels), std::end(kLabels), label) == std::end(kLabels)) {
    return InvalidArgument("unknown label '" + label +
                           "' in matcher (expected rule, mineral, country, bloc, feed or "
                           "severity)");
  }
  if (label == "severity" && !ParseSeverity(value)) {
    return InvalidArgument("severity must be info, low, medium, high or critical, not '" +
                           value + "'");
  }
  return std::make_pair(std::move(label), std::move(value));
}

bool SilenceMatches(const Silence& s, const AlertUpdate& alert, UnixSeconds now) {
  if (now < s.starts || now >= s.ends || s.matchers.empty()) return false;
  for (const auto& [label, value] : s.matchers) {
    if (label == "rule") {
      if (alert.rule != value) return false;
    } else if (label == "severity") {
      if (SeverityName(alert.severity) != value) return false;
    } else {
      const auto want = std::make_pair(label, value);
      const bool in_group =
          std::find(alert.group.begin(), alert.group.end(), want) != alert.group.end();
      const bool in_labels = std::binary_search(alert.labels.begin(), alert.labels.end(), want);
      if (!in_group && !in_labels) return false;
    }
  }
  return true;
}

}  // namespace assay::rules
