// Alert rules and their evaluation: which events, in what pattern over time,
// should tell someone. Pure: no I/O beyond reading rule files, no clock; time
// comes in with the events, so evaluation is a function of the event log.
//
//   Result<std::vector<AlertRule>> rules = LoadAlertRules({"alerts.yaml"});
//   AlertEngine engine(*rules);
//   for (const AlertInput& e : events_in_time_order) {
//     for (AlertUpdate& u : engine.Observe(e)) Store(u);  // u.notify: tell targets
//   }
//   for (AlertUpdate& u : engine.Advance(now)) Store(u);  // quiet ones resolve
//
// Restarts: the caller restores the latest stored update of each alert that
// is open or changed within History(), replays the events of the last
// History(), and goes on. The engine is then where it was: same windows,
// same alert ids, nothing fired twice.
//
// Format (rules/FORMAT.md, "Alert rules"):
//
//   alerts:
//     - id: ec-mineral-corroborated
//       when: {tags: [export_controls, critical_minerals], min_severity: medium}
//       fire: threshold          # any | threshold | spike | new_term
//       count: 2
//       distinct: sources        # events | sources | stories
//       window: 24h
//       group_by: [mineral]
//       cooldown: 6h
#ifndef ASSAY_RULES_ALERTS_H_
#define ASSAY_RULES_ALERTS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "rules/rule_pack.h"
#include "rules/tagger.h"

namespace YAML {
class Node;
}

namespace assay::rules {

enum class AlertKind : uint8_t {
  kAny,        // each matching event
  kThreshold,  // at least `count` matching events (or sources, or stories)
               // within `window`
  kSpike,      // the count in the current window reaches `factor` times the
               // mean of the `baseline` windows before it
  kNewTerm,    // an entity value of kind `term` not seen by this rule within
               // `lookback`
};
std::string_view AlertKindName(AlertKind k);

// What a threshold or spike counts. kSources counts publishers, but copies
// of one story count once: a wire story carried by three outlets is one
// source, not three.
enum class Distinct : uint8_t { kEvents, kSources, kStories };

// A label an alert can be grouped by.
enum class GroupLabel : uint8_t { kMineral, kCountry, kBloc, kFeed };
std::string_view GroupLabelName(GroupLabel g);  // "mineral", ... "feed"

// Which events a rule looks at. Every non-empty list must hold.
struct AlertSelector {
  std::vector<std::string> tags;      // all of them
  std::vector<std::string> any_tags;  // at least one
  std::vector<std::string> minerals;  // at least one of each list ("any":
  std::vector<std::string> countries;  //  at least one of the kind)
  std::vector<std::string> blocs;
  std::vector<std::string> feeds;  // feed URL or name
  double min_score = 0;
  Severity min_severity = Severity::kInfo;
};

struct AlertRule {
  std::string id;
  std::string description;
  AlertSelector when;
  AlertKind fire = AlertKind::kAny;
  // threshold and spike
  int count = 1;
  Distinct distinct = Distinct::kEvents;
  std::chrono::seconds window{std::chrono::hours(24)};
  // spike
  int baseline = 6;     // windows before the current one
  double factor = 3.0;  // current >= factor * mean(baseline windows)
  int min_count = 3;    // and current >= min_count
  // new_term
  EntityKind term = EntityKind::kMineral;
  std::chrono::seconds lookback{std::chrono::hours(24 * 30)};
  // Each combination of these labels' values alerts on its own. An event
  // without a value for a label does not count for the rule.
  std::vector<GroupLabel> group_by;
  // A group whose last notification is younger than this does not notify
  // again: a new trigger reopens and updates the previous alert.
  std::chrono::seconds cooldown{std::chrono::hours(1)};
  // While an alert keeps firing, notify again at most this often; 0: never.
  std::chrono::seconds repeat_interval{0};
  // An alert resolves after this long without the condition holding;
  // 0 means the window (threshold, spike) or 24h (any, new_term).
  std::chrono::seconds resolve_after{0};
  bool notify_resolved = false;
  std::optional<Severity> severity;  // else the highest of its events
  std::vector<std::string> targets;  // delivery target names; empty: all
  SourceLoc loc;

  std::chrono::seconds ResolveAfter() const;
};

// Reads the `alerts:` list of each YAML file. Every problem is reported with
// file:line and the rule id; nothing is returned unless all files are valid.
Result<std::vector<AlertRule>> LoadAlertRules(const std::vector<std::string>& paths);
Result<std::vector<AlertRule>> LoadAlertRulesFromSources(
    const std::vector<PackSource>& sources);
// For a list embedded in another YAML document (the daemon's config):
// appends to `out` and `problems`.
void ParseAlertRules(const YAML::Node& list, const std::string& file,
                     std::vector<AlertRule>* out, std::vector<PackProblem>* problems);
// Problems with references: tags the pack never assigns, entity ids it does
// not define. Empty when all is well.
std::vector<PackProblem> CheckAlertRules(const std::vector<AlertRule>& rules,
                                         const RulePack& pack);

// One event as alert evaluation sees it.
struct AlertInput {
  std::string event_id;  // the event's key: unique, ordered by time
  UnixMicros time{};
  std::string feed;    // feed URL
  std::string source;  // publisher (feed title or host)
  std::string story;   // story id; empty: the event is its own story
  std::string title;
  std::vector<std::string> tags, minerals, countries, blocs;
  double score = 0;
  Severity severity = Severity::kInfo;
};

enum class AlertChange : uint8_t {
  kFired,     // a new alert
  kUpdated,   // more evidence for an open alert (or one reopened in cooldown)
  kRepeated,  // still firing after repeat_interval: notify again
  kResolved,  // quiet for resolve_after
};
std::string_view AlertChangeName(AlertChange c);

struct AlertUpdate {
  AlertChange change = AlertChange::kFired;
  bool notify = false;   // whether delivery targets should hear of it
  std::string alert_id;  // 16 hex digits, stable across restarts
  std::string rule;
  std::vector<std::pair<std::string, std::string>> group;  // {"mineral", "gallium"}
  // Every label value of the alert's events and group, sorted and unique:
  // {"bloc", "EU"}, {"country", "CN"}, {"feed", URL}, {"mineral", "gallium"}.
  // Silences match these.
  std::vector<std::pair<std::string, std::string>> labels;
  UnixMicros time{};    // of this change
  UnixMicros opened{};  // when the alert first fired
  UnixMicros notified{};  // when targets were last told of it
  // Ids of the events behind the alert, oldest first (at most kMaxEvents).
  std::vector<std::string> events;
  int64_t value = 0;  // what fired it: events, sources or stories counted
  Severity severity = Severity::kInfo;
  std::vector<std::string> targets;

  static constexpr size_t kMaxEvents = 50;
};

// Evaluates rules over events fed in time order. Not thread-safe: one owner
// (the daemon's store thread). Memory is bounded by the windows: at most
// kMaxWindowEvents entries per group and kMaxGroups groups per rule (the
// oldest group is forgotten first).
class AlertEngine {
 public:
  static constexpr size_t kMaxWindowEvents = 10000;
  static constexpr size_t kMaxGroups = 100000;
  static constexpr size_t kMaxGroupsPerEvent = 16;

  explicit AlertEngine(std::vector<AlertRule> rules);
  ~AlertEngine();
  AlertEngine(const AlertEngine&) = delete;
  AlertEngine& operator=(const AlertEngine&) = delete;

  // Resolves what has been quiet until e.time, then applies `e`. Events
  // older than the newest one seen are applied at the newest time.
  std::vector<AlertUpdate> Observe(const AlertInput& e);
  // Resolves alerts quiet since before `now`.
  std::vector<AlertUpdate> Advance(UnixMicros now);
  // Sets the state of the alert `latest` describes (its latest stored
  // update), before a replay. Unknown rules are ignored.
  void Restore(const AlertUpdate& latest);
  // Applies an event that was applied before the restart: windows and terms
  // learn from it, restored alerts are not changed by it, and whatever else
  // it would produce is already stored.
  void Replay(const AlertInput& e);
  // How much of the log a fresh engine must see to rebuild its state.
  std::chrono::seconds History() const;
  const std::vector<AlertRule>& rules() const;
  size_t open_alerts() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// A silence: notifications of alerts whose labels match every matcher are
// suppressed from `starts` until `ends`.
struct Silence {
  std::string id;
  // label -> value; labels: rule, mineral, country, bloc, feed, severity.
  std::vector<std::pair<std::string, std::string>> matchers;
  UnixSeconds starts{};
  UnixSeconds ends{};
  std::string comment;
  std::string author;
};

// Parses "mineral=graphite" (also "rule=..", "country=CN", ...).
Result<std::pair<std::string, std::string>> ParseSilenceMatcher(std::string_view text);
bool SilenceMatches(const Silence& s, const AlertUpdate& alert, UnixSeconds now);

}  // namespace assay::rules

#endif  // ASSAY_RULES_ALERTS_H_
