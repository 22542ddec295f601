// Tests rules/alerts.h: loading alert rules (each error message), and each
// way of firing on crafted event sequences: any, threshold with corroboration,
// spike, new_term, grouping, cooldown, repeats, resolution, determinism
// across a rebuild, silences.
#include "rules/alerts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace assay::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using std::chrono::hours;
using std::chrono::minutes;

std::vector<AlertRule> MustLoad(const std::string& yaml) {
  auto rules = LoadAlertRulesFromSources({{"alerts.yaml", yaml}});
  EXPECT_TRUE(rules.has_value()) << rules.status().ToString();
  return rules ? *rules : std::vector<AlertRule>{};
}

std::string LoadError(const std::string& yaml) {
  auto rules = LoadAlertRulesFromSources({{"alerts.yaml", yaml}});
  EXPECT_FALSE(rules.has_value());
  return rules ? "" : rules.error().message();
}

const UnixMicros kT0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 1} + hours(0);

// An event `at` after kT0.
AlertInput Event(std::string id, std::chrono::microseconds at, std::vector<std::string> tags,
                 std::vector<std::string> minerals = {}, std::string source = "feed-a",
                 std::string story = "") {
  AlertInput e;
  e.event_id = std::move(id);
  e.time = kT0 + at;
  e.feed = "https://" + source + ".example/rss";
  e.source = source;
  e.story = story.empty() ? e.event_id : story;
  e.tags = std::move(tags);
  e.minerals = std::move(minerals);
  e.countries = {"CN"};
  e.score = 4;
  e.severity = Severity::kHigh;
  return e;
}

TEST(AlertRulesTest, LoadsEveryKindWithItsSettings) {
  auto rules = MustLoad(R"(
alerts:
  - id: ec-any
    description: every export-control event
    when: {tags: [export_controls], min_severity: medium, min_score: 2}
  - id: ec-corroborated
    when: {tags: [export_controls, critical_minerals], minerals: any}
    fire: threshold
    count: 2
    distinct: sources
    window: 24h
    group_by: [mineral, country]
    cooldown: 6h
    repeat_interval: 1d
    resolve_after: 2d
    notify_resolved: true
    severity: critical
    targets: [ops-mail, hook]
  - id: spike
    when: {any_tags: [supply_risk]}
    fire: spike
    window: 1h
    baseline: 24
    factor: 2.5
    min_count: 4
  - id: new-mineral
    when: {tags: [export_controls]}
    fire: new_term
    term: mineral
    lookback: 90d
)");
  ASSERT_THAT(rules, SizeIs(4));
  EXPECT_EQ(rules[0].fire, AlertKind::kAny);
  EXPECT_EQ(rules[0].when.min_severity, Severity::kMedium);
  EXPECT_EQ(rules[1].fire, AlertKind::kThreshold);
  EXPECT_EQ(rules[1].count, 2);
  EXPECT_EQ(rules[1].distinct, Distinct::kSources);
  EXPECT_EQ(rules[1].window, hours(24));
  EXPECT_THAT(rules[1].group_by, ElementsAre(GroupLabel::kMineral, GroupLabel::kCountry));
  EXPECT_EQ(rules[1].ResolveAfter(), hours(48));
  EXPECT_EQ(rules[1].severity, Severity::kCritical);
  EXPECT_THAT(rules[1].targets, ElementsAre("ops-mail", "hook"));
  EXPECT_EQ(rules[2].baseline, 24);
  EXPECT_DOUBLE_EQ(rules[2].factor, 2.5);
  EXPECT_EQ(rules[2].ResolveAfter(), hours(1));  // the window
  EXPECT_EQ(rules[3].term, EntityKind::kMineral);
  EXPECT_EQ(rules[3].lookback, hours(24 * 90));
  EXPECT_EQ(rules[3].loc.line, 26);
}

TEST(AlertRulesTest, EveryProblemIsReportedWithFileLineAndRule) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"alerts:\n  - id: a\n    when: {tags: [x]}\n    colour: red\n",
       "alerts.yaml:4: alert rule 'a': unknown key 'colour'"},
      {"alerts:\n  - when: {tags: [x]}\n", "alerts.yaml:2: alert rule: missing 'id'"},
      {"alerts:\n  - id: a\n", "alert rule 'a': missing 'when'"},
      {"alerts:\n  - {id: a, when: {}}\n  - {id: a, when: {}}\n",
       "alerts.yaml:3: alert rule 'a': duplicate id (first at alerts.yaml:2)"},
      {"alerts:\n  - {id: a, when: {}, fire: sometimes}\n", "unknown fire 'sometimes'"},
      {"alerts:\n  - {id: a, when: {}, count: 3}\n",
       "count applies to fire: threshold only (this rule fires on any)"},
      {"alerts:\n  - {id: a, when: {}, fire: threshold, count: 0}\n", "count must be at least 1"},
      {"alerts:\n  - {id: a, when: {}, fire: threshold, window: 3 days}\n",
       "window: bad duration '3 days'"},
      {"alerts:\n  - {id: a, when: {}, fire: threshold, window: 0s}\n",
       "window must be longer than 0s"},
      {"alerts:\n  - {id: a, when: {}, group_by: [planet]}\n", "unknown group_by label 'planet'"},
      {"alerts:\n  - {id: a, when: {}, group_by: [mineral, mineral]}\n",
       "group_by names 'mineral' twice"},
      {"alerts:\n  - {id: a, when: {min_severity: dire}}\n",
       "min_severity must be info, low, medium, high or critical"},
      {"alerts:\n  - {id: a, when: {tag: [x]}}\n", "unknown key 'tag' in when"},
      {"alerts:\n  - {id: 'a b', when: {}}\n", "id may hold only letters"},
      {"alerts:\n  - {id: a, when: {}, fire: new_term, term: planet}\n",
       "term must be mineral, country or bloc"},
      {"rules: []\n", "alerts.yaml:1: expected a mapping with an 'alerts' list"},
      {"alerts: [\n", "alerts.yaml:2: not valid YAML"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(LoadError(c.yaml), HasSubstr(c.expected)) << c.yaml;
  }
}

TEST(AlertRulesTest, CheckFindsTagsAndEntitiesThePackDoesNotHave) {
  RulePack pack;
  pack.name = "p";
  pack.tags["export_controls"] = TagSpec{};
  pack.tags["_internal"] = TagSpec{};
  Entity gallium;
  gallium.kind = EntityKind::kMineral;
  gallium.id = "gallium";
  pack.entities.push_back(gallium);
  auto rules = MustLoad(R"(
alerts:
  - {id: ok, when: {tags: [export_controls], minerals: [gallium, any]}}
  - {id: bad, when: {tags: [export_control, _internal], minerals: [unobtainium]}}
)");
  std::vector<std::string> messages;
  for (const PackProblem& p : CheckAlertRules(rules, pack)) messages.push_back(p.ToString());
  EXPECT_THAT(messages,
              ElementsAre(HasSubstr("alert rule 'bad': tag 'export_control' is not assigned"),
                          HasSubstr("tag '_internal' is not assigned"),
                          HasSubstr("unknown mineral 'unobtainium'")));
}

TEST(AlertEngineTest, AnyFiresOncePerBurstAndUpdatesWithinCooldown) {
  AlertEngine engine(MustLoad(R"(
alerts:
  - {id: ec, when: {tags: [export_controls]}, cooldown: 1h, resolve_after: 30m}
)"));
  auto u = engine.Observe(Event("e1", minutes(0), {"export_controls"}));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].change, AlertChange::kFired);
  EXPECT_TRUE(u[0].notify);
  const std::string id = u[0].alert_id;
  EXPECT_THAT(u[0].events, ElementsAre("e1"));

  EXPECT_THAT(engine.Observe(Event("x", minutes(1), {"trade_bloc"})), IsEmpty());

  u = engine.Observe(Event("e2", minutes(5), {"export_controls"}));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].change, AlertChange::kUpdated);
  EXPECT_FALSE(u[0].notify);
  EXPECT_EQ(u[0].alert_id, id);
  EXPECT_THAT(u[0].events, ElementsAre("e1", "e2"));

  // Quiet for 30 minutes: resolved, at the moment it went quiet.
  u = engine.Advance(kT0 + minutes(40));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].change, AlertChange::kResolved);
  EXPECT_FALSE(u[0].notify);
  EXPECT_EQ(u[0].time, kT0 + minutes(35));
  EXPECT_EQ(engine.open_alerts(), 0u);

  // Within the hour's cooldown of the notification: the same alert reopens.
  u = engine.Observe(Event("e3", minutes(50), {"export_controls"}));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].change, AlertChange::kUpdated);
  EXPECT_FALSE(u[0].notify);
  EXPECT_EQ(u[0].alert_id, id);

  // Past it, after resolution: a new alert, notified.
  u = engine.Observe(Event("e4", minutes(200), {"export_controls"}));
  ASSERT_THAT(u, SizeIs(2));
  EXPECT_EQ(u[0].change, AlertChange::kResolved);
  EXPECT_EQ(u[1].change, AlertChange::kFired);
  EXPECT_TRUE(u[1].notify);
  EXPECT_NE(u[1].alert_id, id);
}

TEST(AlertEngineTest, ThresholdCountsTwoCopiesOfOneStoryAsOneSource) {
  AlertEngine engine(MustLoad(R"(
alerts:
  - id: corroborated
    when: {tags: [export_controls], minerals: any}
    fire: threshold
    count: 2
    distinct: sources
    window: 24h
)"));
  // One wire story carried by two outlets: one source.
  EXPECT_THAT(engine.Observe(Event("e1", hours(1), {"export_controls"}, {"gallium"}, "reuters",
                                   "story-1")),
              IsEmpty());
  EXPECT_THAT(engine.Observe(Event("e2", hours(2), {"export_controls"}, {"gallium"}, "mining-com",
                                   "story-1")),
              IsEmpty());
  // The same outlet again with another story: still one source.
  EXPECT_THAT(engine.Observe(Event("e3", hours(3), {"export_controls"}, {"gallium"}, "reuters",
                                   "story-2")),
              IsEmpty());
  // A second outlet's own story corroborates.
  auto u = engine.Observe(
      Event("e4", hours(4), {"export_controls"}, {"gallium"}, "nikkei", "story-3"));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].change, AlertChange::kFired);
  EXPECT_EQ(u[0].value, 2);
  EXPECT_THAT(u[0].events, ElementsAre("e1", "e2", "e3", "e4"));
}

TEST(AlertEngineTest, ThresholdForgetsEventsOutsideItsWindow) {
  AlertEngine engine(MustLoad(R"(
alerts:
  - {id: t, when: {tags: [supply_risk]}, fire: threshold, count: 3, window: 1h}
)"));
  EXPECT_THAT(engine.Observe(Event("e1", minutes(0), {"supply_risk"})), IsEmpty());
  EXPECT_THAT(engine.Observe(Event("e2", minutes(30), {"supply_risk"})), IsEmpty());
  // e1 is an hour old now: out of the window.
  EXPECT_THAT(engine.Observe(Event("e3", minutes(60), {"supply_risk"})), IsEmpty());
  auto u = engine.Observe(Event("e4", minutes(70), {"supply_risk"}));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].value, 3);
  EXPECT_THAT(u[0].events, ElementsAre("e2", "e3", "e4"));
}

TEST(AlertEngineTest, ThresholdOfDistinctStoriesIgnoresCopies) {
  AlertEngine engine(MustLoad(R"(
alerts:
  - {id: t, when: {tags: [supply_risk]}, fire: threshold, count: 2, distinct: stories, window: 1d}
)"));
  EXPECT_THAT(engine.Observe(Event("e1", hours(1), {"supply_risk"}, {}, "a", "s1")), IsEmpty());
  EXPECT_THAT(engine.Observe(Event("e2", hours(2), {"supply_risk"}, {}, "b", "s1")), IsEmpty());
  EXPECT_THAT(engine.Observe(Event("e3", hours(3), {"supply_risk"}, {}, "a", "s2")), SizeIs(1));
}

TEST(AlertEngineTest, SpikeFiresWhenTheWindowOutgrowsItsBaseline) {
  AlertEngine engine(MustLoad(R"(
alerts:
  - {id: s, when: {tags: [supply_risk]}, fire: spike, window: 1h, baseline: 3, factor: 3, min_count: 3}
)"));
  int n = 0;
  const auto at = [&](std::chrono::microseconds t) {
    return engine.Observe(Event("e" + std::to_string(++n), t, {"supply_risk"}));
  };
  // Two events early in each of three hours: every window before the spike
  // (they slide with the event) holds two.
  for (int h = 0; h < 3; ++h) {
    EXPECT_THAT(at(hours(h) + minutes(5)), IsEmpty());
    EXPECT_THAT(at(hours(h) + minutes(10)), IsEmpty());
  }
  // Half past three: the last hour holds 1..5 events, below 3 x 2; the
  // sixth reaches it.
  for (int i = 1; i <= 5; ++i) EXPECT_THAT(at(hours(3) + minutes(30 + i)), IsEmpty()) << i;
  auto u = at(hours(3) + minutes(36));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].change, AlertChange::kFired);
  EXPECT_EQ(u[0].value, 6);
}

TEST(AlertEngineTest, SpikeNeedsItsMinimumCount) {
  AlertEngine engine(MustLoad(R"(
alerts:
  - {id: s, when: {tags: [supply_risk]}, fire: spike, window: 1h, baseline: 2, factor: 2, min_count: 3}
)"));
  // Nothing before: any count beats a zero baseline, but two are too few.
  EXPECT_THAT(engine.Observe(Event("e1", minutes(1), {"supply_risk"})), IsEmpty());
  EXPECT_THAT(engine.Observe(Event("e2", minutes(2), {"supply_risk"})), IsEmpty());
  EXPECT_THAT(engine.Observe(Event("e3", minutes(3), {"supply_risk"})), SizeIs(1));
}

TEST(AlertEngineTest, NewTermFiresForAValueUnseenWithinTheLookback) {
  AlertEngine engine(MustLoad(R"(
alerts:
  - {id: n, when: {tags: [export_controls]}, fire: new_term, term: mineral, lookback: 30d}
)"));
  auto u = engine.Observe(Event("e1", hours(0), {"export_controls"}, {"gallium"}));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_THAT(u[0].group, ElementsAre(std::make_pair(std::string("mineral"), std::string("gallium"))));
  // A day later the gallium alert has resolved (24h quiet); gallium again
  // within 30 days is nothing new, antimony is.
  u = engine.Observe(Event("e2", hours(24), {"export_controls"}, {"gallium", "antimony"}));
  ASSERT_THAT(u, SizeIs(2));
  EXPECT_EQ(u[0].change, AlertChange::kResolved);
  EXPECT_EQ(u[0].group[0].second, "gallium");
  EXPECT_EQ(u[1].change, AlertChange::kFired);
  EXPECT_EQ(u[1].group[0].second, "antimony");
  EXPECT_THAT(engine.Observe(Event("e3", hours(30), {"export_controls"}, {"gallium"})), IsEmpty());
  // Gallium after 40 quiet days is new again.
  u = engine.Observe(Event("e4", hours(24 * 41), {"export_controls"}, {"gallium"}));
  std::vector<AlertChange> changes;
  for (const AlertUpdate& x : u) changes.push_back(x.change);
  EXPECT_THAT(changes, ElementsAre(AlertChange::kResolved, AlertChange::kFired));
  EXPECT_EQ(u[1].group[0].second, "gallium");
  EXPECT_THAT(u[1].events, ElementsAre("e4"));
}

TEST(AlertEngineTest, GroupsAlertOnTheirOwn) {
  AlertEngine engine(MustLoad(R"(
alerts:
  - {id: g, when: {tags: [export_controls], minerals: [gallium, germanium]}, group_by: [mineral]}
)"));
  // Lithium is not selected; gallium and germanium are two groups.
  auto u = engine.Observe(
      Event("e1", minutes(0), {"export_controls"}, {"gallium", "germanium", "lithium"}));
  ASSERT_THAT(u, SizeIs(2));
  EXPECT_EQ(u[0].group[0].second, "gallium");
  EXPECT_EQ(u[1].group[0].second, "germanium");
  EXPECT_NE(u[0].alert_id, u[1].alert_id);
  // An event without a selected mineral does not count.
  EXPECT_THAT(engine.Observe(Event("e2", minutes(1), {"export_controls"}, {"lithium"})), IsEmpty());
  EXPECT_EQ(engine.open_alerts(), 2u);
}

TEST(AlertEngineTest, RepeatIntervalNotifiesAgainWhileFiring) {
  AlertEngine engine(MustLoad(R"(
alerts:
  - {id: r, when: {tags: [supply_risk]}, repeat_interval: 2h, resolve_after: 1d}
)"));
  EXPECT_TRUE(engine.Observe(Event("e1", hours(0), {"supply_risk"}))[0].notify);
  EXPECT_FALSE(engine.Observe(Event("e2", hours(1), {"supply_risk"}))[0].notify);
  auto u = engine.Observe(Event("e3", hours(2), {"supply_risk"}));
  EXPECT_EQ(u[0].change, AlertChange::kRepeated);
  EXPECT_TRUE(u[0].notify);
  EXPECT_FALSE(engine.Observe(Event("e4", hours(3), {"supply_risk"}))[0].notify);
}

TEST(AlertEngineTest, ResolutionIsNotifiedWhenTheRuleAsks) {
  AlertEngine engine(MustLoad(R"(
alerts:
  - {id: r, when: {tags: [supply_risk]}, resolve_after: 1h, notify_resolved: true, severity: critical}
)"));
  auto u = engine.Observe(Event("e1", hours(0), {"supply_risk"}));
  EXPECT_EQ(u[0].severity, Severity::kCritical);
  EXPECT_THAT(engine.Advance(kT0 + minutes(59)), IsEmpty());
  u = engine.Advance(kT0 + minutes(60));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].change, AlertChange::kResolved);
  EXPECT_TRUE(u[0].notify);
}

TEST(AlertEngineTest, AnEngineRebuiltFromStoredAlertsAndRecentEventsGoesOnIdentically) {
  const std::string yaml = R"(
alerts:
  - {id: t, when: {tags: [export_controls]}, fire: threshold, count: 2, distinct: sources, window: 6h, group_by: [mineral]}
  - {id: n, when: {tags: [export_controls]}, fire: new_term, term: mineral, lookback: 12h}
  - {id: a, when: {tags: [export_controls]}, cooldown: 3h, resolve_after: 2h}
)";
  std::vector<AlertInput> events;
  const char* minerals[] = {"gallium", "antimony", "graphite"};
  const char* sources[] = {"a", "b", "c", "d"};
  for (int i = 0; i < 160; ++i) {
    // Bursts and lulls: every tenth gap is long.
    const auto at = minutes(37 * i + (i / 10) * 300);
    events.push_back(Event("e" + std::to_string(i), at, {"export_controls"},
                           {minerals[(i * i) % 3]}, sources[(i * 7) % 4],
                           "s" + std::to_string(i / 2)));
  }
  const size_t split = 120;
  const auto describe = [](const AlertUpdate& u) {
    std::string s = u.alert_id + " " + std::string(AlertChangeName(u.change)) +
                    (u.notify ? " notify " : " ") + std::to_string(u.value) + " [";
    for (const std::string& e : u.events) s += e + " ";
    return s + "]";
  };

  // The engine that never stopped; what it stored up to the split.
  AlertEngine whole(MustLoad(yaml));
  std::map<std::string, AlertUpdate> stored;  // latest update per alert
  std::vector<std::string> expected;
  for (size_t i = 0; i < events.size(); ++i) {
    for (const AlertUpdate& u : whole.Observe(events[i])) {
      if (i < split) {
        stored[u.alert_id] = u;
      } else {
        expected.push_back(describe(u));
      }
    }
  }
  ASSERT_THAT(expected, Not(IsEmpty()));

  // The restarted one: stored alerts, then the recent log replayed.
  AlertEngine rebuilt(MustLoad(yaml));
  const UnixMicros restart = events[split].time;
  const auto history = std::chrono::duration_cast<std::chrono::microseconds>(rebuilt.History());
  for (const auto& [id, u] : stored) {
    if (u.change != AlertChange::kResolved || u.time + history >= restart) rebuilt.Restore(u);
  }
  size_t replayed = 0;
  for (size_t i = 0; i < split; ++i) {
    if (events[i].time < restart - history) continue;
    rebuilt.Replay(events[i]);
    ++replayed;
  }
  EXPECT_LT(replayed, split);  // the history is shorter than the whole log
  std::vector<std::string> got;
  for (size_t i = split; i < events.size(); ++i) {
    for (const AlertUpdate& u : rebuilt.Observe(events[i])) got.push_back(describe(u));
  }
  EXPECT_EQ(got, expected);
}

TEST(SilenceTest, MatchersParseAndMatchLabelsUntilTheyExpire) {
  EXPECT_FALSE(ParseSilenceMatcher("graphite").has_value());
  EXPECT_THAT(ParseSilenceMatcher("planet=mars").error().message(), HasSubstr("unknown label"));
  EXPECT_THAT(ParseSilenceMatcher("severity=dire").error().message(), HasSubstr("severity must"));
  auto m = ParseSilenceMatcher("mineral=graphite");
  ASSERT_TRUE(m.has_value());

  AlertUpdate alert;
  alert.rule = "ec";
  alert.severity = Severity::kHigh;
  alert.labels = {{"country", "CN"}, {"mineral", "graphite"}};
  Silence s;
  s.matchers = {*m, {"rule", "ec"}};
  s.starts = std::chrono::floor<std::chrono::seconds>(kT0);
  s.ends = s.starts + hours(48);
  EXPECT_TRUE(SilenceMatches(s, alert, s.starts + hours(1)));
  EXPECT_FALSE(SilenceMatches(s, alert, s.ends));  // expired
  EXPECT_FALSE(SilenceMatches(s, alert, s.starts - hours(1)));
  alert.rule = "other";
  EXPECT_FALSE(SilenceMatches(s, alert, s.starts + hours(1)));
  alert.rule = "ec";
  alert.labels = {{"mineral", "gallium"}};
  EXPECT_FALSE(SilenceMatches(s, alert, s.starts + hours(1)));
  alert.group = {{"mineral", "graphite"}};
  EXPECT_TRUE(SilenceMatches(s, alert, s.starts + hours(1)));
}

}  // namespace
}  // namespace assay::rules
