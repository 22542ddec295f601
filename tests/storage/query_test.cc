// Filtered reads of the event log: each condition alone and combined, time
// bounds, order, limit, and a randomized comparison with an in-memory model.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "storage/store.h"
#include "tests/storage/test_util.h"

namespace assay::storage {
namespace {

using testing::TempDir;

UnixMicros Micros(int64_t us) { return UnixMicros(std::chrono::microseconds(us)); }

struct Spec {
  std::string id;
  int64_t micros = 0;
  std::vector<std::string> tags;
  std::vector<std::string> minerals;
  std::vector<std::string> countries;
  std::vector<std::string> blocs;
  std::string feed = "https://a.example/feed";
  std::string story;  // empty: the article's own id
  double score = 1;
  std::string severity = "low";
};

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::Open(dir_.Sub("store"), {});
    ASSERT_TRUE(s) << s.error().ToString();
    store_ = std::move(*s);
  }

  // Writes one article with its event; returns the event as stored.
  Event Add(const Spec& spec) {
    Article a;
    a.id = spec.id;
    a.feed_url = spec.feed;
    a.title = "title " + spec.id;
    a.fetched = UnixSeconds(std::chrono::seconds(1'790'000'000));
    a.content_hash = 1;
    a.story_id = spec.story;
    FeedState feed;
    feed.url = spec.feed;
    feed.current_url = spec.feed;
    Result<IngestPlan> plan = store_->Plan(feed, {a});
    EXPECT_TRUE(plan) << plan.error().ToString();
    Event e;
    e.time = Micros(spec.micros);
    e.tags = spec.tags;
    e.minerals = spec.minerals;
    e.countries = spec.countries;
    e.blocs = spec.blocs;
    e.score = spec.score;
    e.severity = spec.severity;
    e.pack_version = "test@1";
    plan->items.at(0).event = e;
    Status s = store_->Apply(*plan);
    EXPECT_TRUE(s.ok()) << s.ToString();
    e.article_id = spec.id;
    e.feed_url = spec.feed;
    e.story_id = spec.story.empty() ? spec.id : spec.story;
    return e;
  }

  std::vector<std::string> Ids(const EventQuery& q) {
    Result<std::vector<Event>> r = store_->Events(q);
    EXPECT_TRUE(r) << r.error().ToString();
    std::vector<std::string> out;
    if (r) {
      for (const Event& e : *r) out.push_back(e.article_id);
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

// A small log, oldest first:
//   e1 t=100 export_controls          gallium     CN       feed a  story s1 2.0 medium
//   e2 t=200 export_controls,tariffs  germanium   CN,US    feed b  story s1 4.0 high
//   e3 t=300 trade_bloc               lithium     CL       feed a  own      1.0 low    bloc mercosur
//   e4 t=400 tariffs                  gallium     US       feed b  own      6.0 critical bloc g7
//   e5 t=500 export_controls          gallium,germanium CN feed a  story s2 0.5 info
class FixedLogTest : public QueryTest {
 protected:
  void SetUp() override {
    QueryTest::SetUp();
    const std::string a = "https://a.example/feed", b = "https://b.example/feed";
    Add({"e1", 100, {"export_controls"}, {"gallium"}, {"CN"}, {}, a, "s1", 2.0, "medium"});
    Add({"e2", 200, {"export_controls", "tariffs"}, {"germanium"}, {"CN", "US"}, {}, b, "s1", 4.0,
         "high"});
    Add({"e3", 300, {"trade_bloc"}, {"lithium"}, {"CL"}, {"mercosur"}, a, "", 1.0, "low"});
    Add({"e4", 400, {"tariffs"}, {"gallium"}, {"US"}, {"g7"}, b, "", 6.0, "critical"});
    Add({"e5", 500, {"export_controls"}, {"gallium", "germanium"}, {"CN"}, {}, a, "s2", 0.5,
         "info"});
  }
};

struct Case {
  std::string name;
  std::function<void(EventQuery&)> set;
  std::vector<std::string> want;  // oldest first
};

TEST_F(FixedLogTest, EachConditionAloneAndCombinedSelectsExactlyTheMatchingEvents) {
  const std::vector<Case> cases = {
      {"no condition", [](EventQuery&) {}, {"e1", "e2", "e3", "e4", "e5"}},
      {"one tag", [](EventQuery& q) { q.all_tags = {"export_controls"}; }, {"e1", "e2", "e5"}},
      {"two tags, both", [](EventQuery& q) { q.all_tags = {"export_controls", "tariffs"}; },
       {"e2"}},
      {"unknown tag", [](EventQuery& q) { q.all_tags = {"nope"}; }, {}},
      {"any of one tag", [](EventQuery& q) { q.any_tags = {"tariffs"}; }, {"e2", "e4"}},
      {"any of two tags", [](EventQuery& q) { q.any_tags = {"tariffs", "trade_bloc"}; },
       {"e2", "e3", "e4"}},
      {"mineral", [](EventQuery& q) { q.minerals = {"gallium"}; }, {"e1", "e4", "e5"}},
      {"two minerals", [](EventQuery& q) { q.minerals = {"gallium", "germanium"}; }, {"e5"}},
      {"country", [](EventQuery& q) { q.countries = {"US"}; }, {"e2", "e4"}},
      {"bloc", [](EventQuery& q) { q.blocs = {"g7"}; }, {"e4"}},
      {"feed", [](EventQuery& q) { q.feed = "https://b.example/feed"; }, {"e2", "e4"}},
      {"story", [](EventQuery& q) { q.story = "s1"; }, {"e1", "e2"}},
      {"own story", [](EventQuery& q) { q.story = "e3"; }, {"e3"}},
      {"min score", [](EventQuery& q) { q.min_score = 2.0; }, {"e1", "e2", "e4"}},
      {"min severity high", [](EventQuery& q) { q.min_severity_rank = 3; }, {"e2", "e4"}},
      {"min severity info", [](EventQuery& q) { q.min_severity_rank = 0; },
       {"e1", "e2", "e3", "e4", "e5"}},
      {"tag and mineral", [](EventQuery& q) {
         q.all_tags = {"export_controls"};
         q.minerals = {"gallium"};
       }, {"e1", "e5"}},
      {"tag, country and feed", [](EventQuery& q) {
         q.all_tags = {"export_controls"};
         q.countries = {"CN"};
         q.feed = "https://a.example/feed";
       }, {"e1", "e5"}},
      {"mineral and min score", [](EventQuery& q) {
         q.minerals = {"gallium"};
         q.min_score = 1.0;
       }, {"e1", "e4"}},
      {"any tags and severity", [](EventQuery& q) {
         q.any_tags = {"tariffs", "trade_bloc"};
         q.min_severity_rank = 4;
       }, {"e4"}},
      {"story and time", [](EventQuery& q) {
         q.story = "s1";
         q.since = Micros(150);
       }, {"e2"}},
      {"since is inclusive", [](EventQuery& q) { q.since = Micros(300); }, {"e3", "e4", "e5"}},
      {"until is exclusive", [](EventQuery& q) { q.until = Micros(300); }, {"e1", "e2"}},
      {"range", [](EventQuery& q) {
         q.since = Micros(200);
         q.until = Micros(401);
       }, {"e2", "e3", "e4"}},
      {"range through an index", [](EventQuery& q) {
         q.minerals = {"gallium"};
         q.since = Micros(100);
         q.until = Micros(500);
       }, {"e1", "e4"}},
      {"empty range", [](EventQuery& q) {
         q.since = Micros(300);
         q.until = Micros(300);
       }, {}},
      {"inverted range", [](EventQuery& q) {
         q.all_tags = {"tariffs"};
         q.since = Micros(500);
         q.until = Micros(100);
       }, {}},
  };
  for (const Case& c : cases) {
    for (bool newest_first : {false, true}) {
      EventQuery q;
      q.limit = 0;
      q.newest_first = newest_first;
      c.set(q);
      std::vector<std::string> want = c.want;
      if (newest_first) std::reverse(want.begin(), want.end());
      EXPECT_EQ(Ids(q), want) << c.name << (newest_first ? ", newest first" : ", oldest first");
    }
  }
}

TEST_F(FixedLogTest, LimitKeepsTheFirstMatchesInTheRequestedOrder) {
  EventQuery q;
  q.all_tags = {"export_controls"};
  q.limit = 2;
  EXPECT_EQ(Ids(q), (std::vector<std::string>{"e5", "e2"}));
  q.newest_first = false;
  EXPECT_EQ(Ids(q), (std::vector<std::string>{"e1", "e2"}));
  q.all_tags.clear();
  q.limit = 1;
  EXPECT_EQ(Ids(q), (std::vector<std::string>{"e1"}));
}

TEST_F(FixedLogTest, ReturnsWholeEvents) {
  EventQuery q;
  q.blocs = {"mercosur"};
  Result<std::vector<Event>> r = store_->Events(q);
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->size(), 1u);
  const Event& e = r->front();
  EXPECT_EQ(e.time, Micros(300));
  EXPECT_EQ(e.feed_url, "https://a.example/feed");
  EXPECT_EQ(e.story_id, "e3");
  EXPECT_EQ(e.tags, std::vector<std::string>{"trade_bloc"});
  EXPECT_EQ(e.severity, "low");
}

TEST(SeverityRankTest, RanksTheFiveLevelsAndNothingElse) {
  EXPECT_EQ(SeverityRank("info"), 0);
  EXPECT_EQ(SeverityRank("low"), 1);
  EXPECT_EQ(SeverityRank("medium"), 2);
  EXPECT_EQ(SeverityRank("high"), 3);
  EXPECT_EQ(SeverityRank("critical"), 4);
  EXPECT_EQ(SeverityRank("High"), std::nullopt);
  EXPECT_EQ(SeverityRank(""), std::nullopt);
}

// The model: every event, filtered and ordered by the definition in store.h.
bool ModelMatches(const Event& e, const EventQuery& q) {
  auto has = [](const std::vector<std::string>& set, const std::string& v) {
    return std::count(set.begin(), set.end(), v) > 0;
  };
  if (q.since && e.time < *q.since) return false;
  if (q.until && e.time >= *q.until) return false;
  for (const auto& t : q.all_tags) if (!has(e.tags, t)) return false;
  for (const auto& m : q.minerals) if (!has(e.minerals, m)) return false;
  for (const auto& c : q.countries) if (!has(e.countries, c)) return false;
  for (const auto& b : q.blocs) if (!has(e.blocs, b)) return false;
  if (!q.any_tags.empty()) {
    bool any = false;
    for (const auto& t : q.any_tags) any = any || has(e.tags, t);
    if (!any) return false;
  }
  if (q.feed && e.feed_url != *q.feed) return false;
  if (q.story && e.story_id != *q.story) return false;
  if (q.min_score && e.score < *q.min_score) return false;
  if (q.min_severity_rank) {
    auto r = SeverityRank(e.severity);
    if (!r || *r < *q.min_severity_rank) return false;
  }
  return true;
}

std::vector<std::string> Subset(std::mt19937_64& rng, const std::vector<std::string>& pool,
                                int percent) {
  std::vector<std::string> out;
  for (const std::string& v : pool) {
    if (static_cast<int>(rng() % 100) < percent) out.push_back(v);
  }
  return out;
}

TEST_F(QueryTest, AgreesWithAnInMemoryModelOnRandomEventsAndQueries) {
  std::mt19937_64 rng(20261128);
  const std::vector<std::string> tags = {"export_controls", "tariffs", "trade_bloc", "mining",
                                         "sanctions"};
  const std::vector<std::string> minerals = {"gallium", "germanium", "lithium", "cobalt"};
  const std::vector<std::string> countries = {"CN", "US", "CL", "CD"};
  const std::vector<std::string> blocs = {"eu", "g7", "mercosur"};
  const std::vector<std::string> feeds = {"https://a.example/", "https://b.example/",
                                          "https://c.example/"};
  const std::vector<std::string> severities = {"info", "low", "medium", "high", "critical",
                                               "odd"};
  std::vector<Event> model;
  for (int i = 0; i < 300; ++i) {
    Spec s;
    s.id = "id" + std::to_string(rng() % 100000) + "-" + std::to_string(i);
    s.micros = static_cast<int64_t>(rng() % 200);  // collisions: same time, other ids
    if (rng() % 8 == 0) s.micros = -s.micros;      // before the epoch too
    s.tags = Subset(rng, tags, 40);
    s.minerals = Subset(rng, minerals, 35);
    s.countries = Subset(rng, countries, 35);
    s.blocs = Subset(rng, blocs, 25);
    s.feed = feeds[rng() % feeds.size()];
    if (rng() % 2) s.story = "story" + std::to_string(rng() % 12);
    s.score = static_cast<double>(rng() % 100) / 10.0;
    s.severity = severities[rng() % severities.size()];
    model.push_back(Add(s));
  }
  // Event-key order: time, then article id bytes.
  std::sort(model.begin(), model.end(), [](const Event& x, const Event& y) {
    return x.time != y.time ? x.time < y.time : x.article_id < y.article_id;
  });

  for (int round = 0; round < 400; ++round) {
    EventQuery q;
    q.newest_first = rng() % 2;
    q.limit = rng() % 3 == 0 ? 0 : rng() % 120;
    if (rng() % 3 == 0) q.since = Micros(static_cast<int64_t>(rng() % 240) - 30);
    if (rng() % 3 == 0) q.until = Micros(static_cast<int64_t>(rng() % 240) - 30);
    if (rng() % 2) q.all_tags = Subset(rng, tags, 25);
    if (rng() % 3 == 0) q.any_tags = Subset(rng, tags, 30);
    if (rng() % 3 == 0) q.minerals = Subset(rng, minerals, 30);
    if (rng() % 3 == 0) q.countries = Subset(rng, countries, 30);
    if (rng() % 4 == 0) q.blocs = Subset(rng, blocs, 30);
    if (rng() % 4 == 0) q.feed = feeds[rng() % feeds.size()];
    if (rng() % 5 == 0) q.story = "story" + std::to_string(rng() % 12);
    if (rng() % 4 == 0) q.min_score = static_cast<double>(rng() % 100) / 10.0;
    if (rng() % 4 == 0) q.min_severity_rank = static_cast<int>(rng() % 5);

    std::vector<std::string> want;
    std::vector<const Event*> order;
    for (const Event& e : model) order.push_back(&e);
    if (q.newest_first) std::reverse(order.begin(), order.end());
    for (const Event* e : order) {
      if (q.limit != 0 && want.size() >= q.limit) break;
      if (ModelMatches(*e, q)) want.push_back(e->article_id);
    }
    Result<std::vector<Event>> got = store_->Events(q);
    ASSERT_TRUE(got) << got.error().ToString();
    std::vector<std::string> got_ids;
    for (const Event& e : *got) got_ids.push_back(e.article_id);
    ASSERT_EQ(got_ids, want) << "round " << round;
    for (const Event& e : *got) {
      auto it = std::find_if(model.begin(), model.end(),
                             [&](const Event& m) { return m.article_id == e.article_id; });
      ASSERT_NE(it, model.end());
      EXPECT_EQ(e, *it) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace assay::storage

namespace assay::storage {
namespace {

// Dense values (each on about half of 1,500 events), so that queries with
// several required values take the index intersection (leapfrog join)
// rather than one index walk; compared with the model as above.
TEST_F(QueryTest, IntersectingDenseIndexesAgreesWithTheModel) {
  std::mt19937_64 rng(7);
  const std::vector<std::string> tags = {"export_controls", "tariffs", "trade_bloc"};
  const std::vector<std::string> minerals = {"gallium", "lithium"};
  const std::vector<std::string> countries = {"CN", "US"};
  std::vector<Event> model;
  for (int i = 0; i < 1500; ++i) {
    Spec s;
    s.id = "e" + std::to_string(rng() % 1000) + "-" + std::to_string(i);
    s.micros = static_cast<int64_t>(rng() % 700);
    s.tags = Subset(rng, tags, 55);
    s.minerals = Subset(rng, minerals, 50);
    s.countries = Subset(rng, countries, 50);
    model.push_back(Add(s));
  }
  std::sort(model.begin(), model.end(), [](const Event& x, const Event& y) {
    return x.time != y.time ? x.time < y.time : x.article_id < y.article_id;
  });
  for (int round = 0; round < 300; ++round) {
    EventQuery q;
    q.newest_first = rng() % 2;
    q.limit = rng() % 3 == 0 ? 0 : 1 + rng() % 200;
    if (rng() % 3 == 0) q.since = Micros(static_cast<int64_t>(rng() % 400));
    if (rng() % 3 == 0) q.until = Micros(300 + static_cast<int64_t>(rng() % 450));
    q.all_tags = Subset(rng, tags, 40);
    q.minerals = Subset(rng, minerals, 50);
    q.countries = Subset(rng, countries, 50);
    if (rng() % 4 == 0) q.min_score = 0.5;
    std::vector<std::string> want;
    std::vector<const Event*> order;
    for (const Event& e : model) order.push_back(&e);
    if (q.newest_first) std::reverse(order.begin(), order.end());
    for (const Event* e : order) {
      if (q.limit != 0 && want.size() >= q.limit) break;
      if (ModelMatches(*e, q)) want.push_back(e->article_id);
    }
    Result<std::vector<Event>> got = store_->Events(q);
    ASSERT_TRUE(got) << got.error().ToString();
    std::vector<std::string> got_ids;
    for (const Event& e : *got) got_ids.push_back(e.article_id);
    ASSERT_EQ(got_ids, want) << "round " << round;
  }
}

}  // namespace
}  // namespace assay::storage
