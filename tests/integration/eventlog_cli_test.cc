// The reading side of the event log through the real `assay` binary, on
// stores written in this process through the storage API: --grep,
// --follow picking up events written by another process (this one, while
// `assay` runs), rules replay with and without --apply, and db backup,
// restore, verify and compact.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <rocksdb/db.h>

#include "core/time.h"
#include "storage/store.h"
#include "tests/integration/fixtures.h"
#include "tests/testing/child_process.h"
#include "tests/testing/run_command.h"
#include "tests/testing/temp_dir.h"

namespace assay {
namespace {

using namespace std::chrono_literals;
using testing::Assay;
using Names = std::set<std::string>;

const char kFeed[] = "https://wire.example/feed";

struct Item {
  std::string id;
  std::string title;
  std::string summary;
  std::vector<std::string> tags;  // empty: no event
  std::vector<std::string> minerals = {};
};

class EventLogCliTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  std::string store_path() const { return dir_ / "store"; }
  void Open() {
    auto s = storage::Store::Open(store_path(), {});
    ASSERT_TRUE(s) << s.error().ToString();
    store_ = std::move(*s);
  }
  void Close() { store_.reset(); }

  // Writes articles (and their events, stamped now) in one batch, as the
  // daemon does.
  void Write(const std::vector<Item>& items) {
    FeedState feed;
    feed.url = kFeed;
    feed.name = "Wire";
    std::vector<Article> articles;
    for (const Item& i : items) {
      Article a;
      a.id = i.id;
      a.feed_url = kFeed;
      a.link = "https://wire.example/" + i.id;
      a.title = i.title;
      a.summary = i.summary;
      a.fetched = SystemClock().NowSeconds();
      a.content_hash = std::hash<std::string>()(i.title + i.summary);
      articles.push_back(a);
    }
    Result<storage::IngestPlan> plan = store_->Plan(feed, articles);
    ASSERT_TRUE(plan) << plan.error().ToString();
    const UnixMicros now = SystemClock().Now();
    for (size_t k = 0; k < items.size(); ++k) {
      if (items[k].tags.empty()) continue;
      Event e;
      e.time = now;
      e.tags = items[k].tags;
      e.minerals = items[k].minerals;
      e.severity = "medium";
      e.score = 3;
      e.pack_version = "old@1";
      plan->items[k].event = e;
    }
    Status s = store_->Apply(*plan);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void WriteThree() {
    Write({{"ga", "China curbs gallium exports", "Licences needed from August", {"export_controls"},
            {"gallium"}},
           {"li", "Lithium deal signed", "Chile and the EU agree on supply", {"trade_bloc"},
            {"lithium"}},
           {"bk", "Bakery wins award", "Bread, again", {}}});
  }

  testing::CommandResult Run(const std::string& args) {
    return testing::RunCommand(Assay() + " " + args + " 2>&1");
  }
  std::string StoreFlag() const { return " --store " + store_path(); }

  static std::vector<std::string> NdjsonIds(const std::string& out) {
    std::vector<std::string> ids;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      ids.push_back(nlohmann::json::parse(line).at("id").get<std::string>());
    }
    return ids;
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

// --- --grep ---

TEST_F(EventLogCliTest, GrepMatchesTitleOrSummaryWithRe2AndCombinesWithFilters) {
  WriteThree();
  auto ids = [&](const std::string& args) {
    testing::CommandResult r = Run("events --format ndjson" + StoreFlag() + " " + args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::vector<std::string> v = NdjsonIds(r.output);
    return Names(v.begin(), v.end());
  };
  EXPECT_EQ(ids("--grep gallium"), Names{"ga"});
  EXPECT_EQ(ids("--grep 'Chile|August'"), (Names{"ga", "li"})) << "summary text counts";
  EXPECT_EQ(ids("--grep '(?i)LITHIUM'"), Names{"li"});
  EXPECT_EQ(ids("--grep Bakery"), Names{}) << "an article without an event is no event";
  EXPECT_EQ(ids("--grep 'Chile|August' --tag trade_bloc"), Names{"li"});
  EXPECT_EQ(ids("--grep 'Chile|August' --limit 1").size(), 1u);
}

TEST_F(EventLogCliTest, ABadGrepPatternIsOneLineAndExit2) {
  WriteThree();
  testing::CommandResult r = Run("events" + StoreFlag() + " --grep 'a(b'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--grep: 'a(b' is not a valid RE2 pattern"), std::string::npos)
      << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

// --- --follow ---

TEST_F(EventLogCliTest, FollowPrintsNewMatchingEventsWrittenByAnotherProcess) {
  WriteThree();
  testing::ChildProcess follow({Assay(), "events", "--store", store_path(), "--follow",
                                "--format", "ndjson", "--grep", "gallium|cobalt"});
  ASSERT_TRUE(follow.started());
  auto id_of = [](const std::string& line) {
    return line.empty() ? std::string("(nothing)")
                        : nlohmann::json::parse(line).at("id").get<std::string>();
  };
  // The matches already stored, then each new match once, in log order.
  EXPECT_EQ(id_of(follow.FirstLine()), "ga");
  Write({{"co", "Cobalt quotas", "DRC caps cobalt exports", {"export_controls"}},
         {"ni", "Nickel prices", "Indonesia", {"market"}}});
  EXPECT_EQ(id_of(follow.FirstLine()), "co") << "picked up from the writer";
  Write({{"ga2", "More gallium curbs", "", {"export_controls"}}});
  EXPECT_EQ(id_of(follow.FirstLine()), "ga2") << "nickel did not match; nothing repeated";
  const int status = follow.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "SIGTERM ends --follow cleanly; status " << status;
}

TEST_F(EventLogCliTest, FollowRefusesJsonAndUntil) {
  WriteThree();
  EXPECT_EQ(Run("events --follow --format json" + StoreFlag()).exit_code, 2);
  EXPECT_EQ(Run("events --follow --until 1h" + StoreFlag()).exit_code, 2);
}

// --- rules replay ---

void WritePack(const std::string& path) {
  std::ofstream(path) << "pack: replay\nversion: \"2\"\nrules:\n"
                      << "  - id: replay.lithium\n    tag: battery_metals\n"
                      << "    any: ['lithium', 'cobalt']\n"
                      << "  - id: replay.curbs\n    tag: export_controls\n"
                      << "    any: ['curbs?']\n";
}

TEST_F(EventLogCliTest, ReplayReportsGainedAndLostTagsAndWritesNothing) {
  WriteThree();
  WritePack(dir_ / "pack.yaml");
  testing::CommandResult r =
      Run("rules replay --format json --rules " + (dir_ / "pack.yaml") + StoreFlag());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["articles"], 3);
  EXPECT_EQ(j["events_before"], 2);
  EXPECT_EQ(j["events_after"], 2);
  // li: trade_bloc -> battery_metals; ga keeps its tag with another score.
  EXPECT_EQ(j["changed"], 2);
  EXPECT_EQ(j["created"], 0);
  EXPECT_EQ(j["applied"], false);
  std::map<std::string, std::pair<Names, Names>> tags;
  for (const auto& t : j["tags"]) {
    Names gained, lost;
    for (const auto& c : t["gained"]) gained.insert(c["id"].get<std::string>());
    for (const auto& c : t["lost"]) lost.insert(c["id"].get<std::string>());
    tags[t["tag"].get<std::string>()] = {gained, lost};
  }
  EXPECT_EQ(tags.size(), 2u) << r.output;
  EXPECT_EQ(tags["battery_metals"], std::make_pair(Names{"li"}, Names{}));
  EXPECT_EQ(tags["trade_bloc"], std::make_pair(Names{}, Names{"li"}));
  EXPECT_EQ(j["tags"][0]["gained"][0]["title"], "Lithium deal signed");

  testing::CommandResult text = Run("rules replay --rules " + (dir_ / "pack.yaml") + StoreFlag());
  EXPECT_NE(text.output.find("battery_metals: +1 -0"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("nothing written"), std::string::npos) << text.output;
  Result<std::optional<Event>> li = store_->GetEventForArticle("li");
  ASSERT_TRUE(li && *li);
  EXPECT_EQ((*li)->tags, std::vector<std::string>{"trade_bloc"});
}

TEST_F(EventLogCliTest, ReplayApplyIsRefusedWhileTheStoreIsHeldAndRewritesWhenItIsNot) {
  WriteThree();
  WritePack(dir_ / "pack.yaml");
  const std::string apply = "rules replay --apply --rules " + (dir_ / "pack.yaml") + StoreFlag();
  testing::CommandResult held = Run(apply);
  EXPECT_EQ(held.exit_code, 2);
  EXPECT_NE(held.output.find("in use by another process (a running assayd?)"), std::string::npos)
      << held.output;

  Close();
  testing::CommandResult r = Run(apply);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("applied: 2 events rewritten"), std::string::npos) << r.output;
  testing::CommandResult ids = Run("events --format ndjson --tag battery_metals" + StoreFlag());
  EXPECT_EQ(NdjsonIds(ids.output), std::vector<std::string>{"li"}) << ids.output;
  EXPECT_EQ(Run("events --format ndjson --tag trade_bloc" + StoreFlag()).output, "");
  testing::CommandResult verify = Run("db verify" + StoreFlag());
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  testing::CommandResult again = Run(apply);
  EXPECT_NE(again.output.find("applied: 0 events rewritten"), std::string::npos) << again.output;
}

// --- db ---

TEST_F(EventLogCliTest, BackupWhileTheStoreIsOpenRestoresTheSameEvents) {
  WriteThree();
  const std::string backup = dir_ / "backup";
  testing::CommandResult b = Run("db backup " + backup + StoreFlag());
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_NE(b.output.find("2 events, 3 articles, 1 feeds"), std::string::npos) << b.output;
  Write({{"later", "Gallium later", "", {"export_controls"}}});  // after the backup
  const std::string before = Run("events --format ndjson --limit 0" + StoreFlag()).output;
  Close();

  const std::string restored = dir_ / "restored";
  testing::CommandResult r = Run("db restore " + backup + " --store " + restored);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> ids =
      NdjsonIds(Run("events --format ndjson --limit 0 --store " + restored).output);
  EXPECT_EQ(Names(ids.begin(), ids.end()), (Names{"ga", "li"}));
  EXPECT_EQ(Run("db verify --store " + restored).exit_code, 0);

  // Over the existing store: only with --force.
  testing::CommandResult refused = Run("db restore " + backup + StoreFlag());
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.output.find("--force"), std::string::npos) << refused.output;
  EXPECT_EQ(Run("events --format ndjson --limit 0" + StoreFlag()).output, before);
  ASSERT_EQ(Run("db restore --force " + backup + StoreFlag()).exit_code, 0);
  EXPECT_EQ(NdjsonIds(Run("events --format ndjson --limit 0" + StoreFlag()).output).size(), 2u);
}

TEST_F(EventLogCliTest, VerifyListsABrokenIndexAndExits1) {
  WriteThree();
  Result<std::optional<Event>> ga = store_->GetEventForArticle("ga");
  ASSERT_TRUE(ga && *ga);
  const UnixMicros ga_time = (*ga)->time;
  EXPECT_EQ(Run("db verify" + StoreFlag()).exit_code, 0) << "a store written by the API is whole";
  Close();

  // Break it through the raw RocksDB API: delete one index entry of "ga"
  // and add one that points at no event.
  {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), store_path(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (const std::string& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), store_path(), descs, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ColumnFamilyHandle* index = nullptr;
    for (auto* h : handles) {
      if (h->GetName() == "index") index = h;
    }
    ASSERT_NE(index, nullptr);
    // Key layouts: storage/FORMAT.md ("tkey" and "index").
    auto tkey = [](UnixMicros t) {
      uint64_t v = static_cast<uint64_t>(t.time_since_epoch().count()) ^ (uint64_t{1} << 63);
      std::string out(8, '\0');
      for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
      return out;
    };
    const std::string ga_key = tkey(ga_time) + "ga";
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), index, std::string("mgallium\0", 9) + ga_key).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), index,
                        std::string("tsanctions\0", 11) + tkey(ga_time) + "ghost", "")
                    .ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }

  testing::CommandResult r = Run("db verify" + StoreFlag());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("index entry mineral=gallium -> ga @"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("is missing"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("index entry tag=sanctions -> ghost @"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2 problems"), std::string::npos) << r.output;
  testing::CommandResult j = Run("db verify --format json" + StoreFlag());
  EXPECT_EQ(j.exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(j.output)["problem_count"], 2) << j.output;
}

TEST_F(EventLogCliTest, CompactNeedsTheStoreToItself) {
  WriteThree();
  testing::CommandResult held = Run("db compact" + StoreFlag());
  EXPECT_EQ(held.exit_code, 2);
  EXPECT_NE(held.output.find("in use by another process"), std::string::npos) << held.output;
  Close();
  testing::CommandResult r = Run("db compact" + StoreFlag());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(NdjsonIds(Run("events --format ndjson" + StoreFlag()).output).size(), 2u);
}

}  // namespace
}  // namespace assay
