// Event-log benchmark: ingest throughput with indexes, store size per event,
// and query latency in-process and for the whole `assay` process.
//
//   cmake -S . -B build/rel -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
//   cmake --build build/rel --target events_bench assay -j2
//   build/rel/bench/events_bench --events 1000000 [--batch 1000] [--dir /tmp/x]
//                                [--runs 200] [--process-runs 30] [--keep] [--reuse]
//                                [--direct]
//
// Generates --events articles with one event each, spread evenly over the
// last 365 days and written oldest first (as a daemon writes them), with
// Zipf-like (s = 1) distributions: 1-3 tags of 12, 1-2 minerals of 16, 1-2
// countries of 30, a bloc of 6 for one event in five, feeds of 2000. Titles
// and summaries are news-like text (~80 and ~300 bytes). Each batch of
// --batch articles goes through Store::Plan and Store::Apply, the daemon's
// ingest path: one WriteBatch with the articles, their time entries,
// events, index entries, feed record and counters, WAL on (as the daemon
// runs it), no fsync (the daemon's default).
//
// Then the store is closed (flushing its memtables), its size measured, and
// it is opened again as a secondary instance (as `assay` opens it) for the
// queries, each run --runs times with its parameter varied over the tag,
// mineral and country values, p50/p95 reported:
//   tag:       --tag X --since 7d --limit 100
//   mineral:   --mineral M --country C --since 30d (--limit 50, assay's default)
//   grep:      --grep 'tungsten|antimony' (--limit 50): no index, the article
//              of every event read until 50 match
// and the same three through `assay events ... --format ndjson >/dev/null`,
// --process-runs times each (process start, store open, catch-up, query,
// output). The store directory is deleted at the end unless --keep.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include <re2/re2.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "core/article.h"
#include "core/event.h"
#include "core/time.h"
#include "storage/internal/coding.h"
#include "storage/internal/keys.h"
#include "storage/internal/records.h"
#include "storage/store.h"

namespace {

namespace fs = std::filesystem;
using assay::Article;
using assay::Event;
using assay::UnixMicros;
using assay::storage::EventQuery;
using assay::storage::Store;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kTags = {
    "critical_minerals", "export_controls", "trade_bloc",     "supply_disruption",
    "tariffs",           "sanctions",       "mining_policy",  "price_shock",
    "investment",        "stockpiling",     "smelting",       "recycling"};
const std::vector<std::string> kMinerals = {
    "lithium", "cobalt",   "nickel",   "graphite", "rare_earths", "copper",
    "gallium", "germanium", "antimony", "tungsten", "manganese",  "vanadium",
    "platinum", "palladium", "tin",     "indium"};
const std::vector<std::string> kCountries = {
    "CN", "US", "AU", "CL", "CD", "ID", "CA", "AR", "JP", "KR", "DE", "IN", "RU", "ZA", "BR",
    "PH", "FR", "GB", "VN", "MX", "PE", "BO", "ZW", "MA", "KZ", "MN", "MY", "TH", "SE", "FI"};
const std::vector<std::string> kBlocs = {"EU", "G7", "ASEAN", "MERCOSUR", "QUAD", "BRICS"};
const std::vector<std::string> kWords = {
    "government", "announced", "new",      "rules",    "on",        "exports",  "of",
    "the",        "metal",     "used",     "in",       "batteries", "and",      "chips",
    "officials",  "said",      "supply",   "chain",    "prices",    "rose",     "after",
    "ministry",   "licence",   "required", "shipment", "quota",     "smelter",  "mine",
    "output",     "fell",      "deal",     "signed",   "partners",  "agreement", "tariff",
    "imports",    "market",    "traders",  "expect",   "shortage",  "refinery", "plant"};

// Zipf (s = 1) over n values: value i with weight 1 / (i + 1).
class Zipf {
 public:
  explicit Zipf(size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) cdf_.push_back(sum += 1.0 / static_cast<double>(i + 1));
    for (double& c : cdf_) c /= sum;
  }
  size_t operator()(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin()) %
           cdf_.size();
  }

 private:
  std::vector<double> cdf_;
};

// 1 + extra distinct values of `values`, sorted (events keep them sorted).
std::vector<std::string> Pick(std::mt19937_64& rng, const Zipf& z,
                              const std::vector<std::string>& values, int max_count) {
  const int n = 1 + static_cast<int>(rng() % static_cast<uint64_t>(max_count));
  std::vector<std::string> out;
  for (int i = 0; i < n * 3 && static_cast<int>(out.size()) < n; ++i) {
    const std::string& v = values[z(rng)];
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Sentence(std::mt19937_64& rng, size_t bytes, const std::vector<std::string>& extra) {
  std::string s;
  while (s.size() < bytes) {
    if (!s.empty()) s += ' ';
    if (!extra.empty() && rng() % 6 == 0) {
      s += extra[rng() % extra.size()];
    } else {
      s += kWords[rng() % kWords.size()];
    }
  }
  return s;
}

struct Generated {
  Article article;
  Event event;
};

class Generator {
 public:
  Generator(uint64_t total, UnixMicros start, UnixMicros end)
      : total_(total), start_(start), span_(end - start) {}

  Generated Next() {
    const uint64_t i = next_++;
    Generated g;
    Event& e = g.event;
    e.time = start_ + std::chrono::microseconds(static_cast<int64_t>(
                          static_cast<double>(span_.count()) * static_cast<double>(i) /
                          static_cast<double>(total_)));
    e.tags = Pick(rng_, tag_z_, kTags, 3);
    e.minerals = Pick(rng_, mineral_z_, kMinerals, 2);
    e.countries = Pick(rng_, country_z_, kCountries, 2);
    if (rng_() % 5 == 0) e.blocs = {kBlocs[bloc_z_(rng_)]};
    e.score = 1.0 + static_cast<double>(rng_() % 90) / 10.0;
    static const char* const kSeverities[] = {"info", "low", "medium", "high", "critical"};
    e.severity = kSeverities[rng_() % 5];
    e.pack_version = "critical-minerals@3+0f3c2a9d";
    std::vector<std::string> names = e.minerals;
    for (const std::string& c : e.countries) names.push_back(c);
    Article& a = g.article;
    char id[48];
    std::snprintf(id, sizeof id, "u:https://news%03llu.example/a/%010llu",
                  static_cast<unsigned long long>(feed_z_(rng_) % 1000),
                  static_cast<unsigned long long>(i));
    a.id = id;
    a.feed_url = "https://feeds" + std::to_string(feed_z_(rng_)) + ".example/rss";
    a.link = a.id.substr(2);
    a.guid = a.link;
    a.title = Sentence(rng_, 80, names);
    a.summary = Sentence(rng_, 300, names);
    a.fetched = std::chrono::floor<std::chrono::seconds>(e.time);
    a.content_hash = rng_();
    a.story_signature.assign(48, static_cast<char>('a' + rng_() % 26));
    for (const std::string& m : e.minerals) {
      const size_t at = a.title.find(m);
      e.matches.push_back({"mineral:" + m, "title", static_cast<uint32_t>(at == std::string::npos ? 0 : at),
                           static_cast<uint32_t>(at == std::string::npos ? 0 : at + m.size()), m});
    }
    e.matches.push_back({"ec.licence", "summary", 10, 25, "export licences"});
    return g;
  }

 private:
  uint64_t total_;
  uint64_t next_ = 0;
  UnixMicros start_;
  std::chrono::microseconds span_;
  std::mt19937_64 rng_{20261128};
  Zipf tag_z_{kTags.size()}, mineral_z_{kMinerals.size()}, country_z_{kCountries.size()},
      bloc_z_{kBlocs.size()}, feed_z_{2000};
};

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

void Report(const char* what, const std::vector<double>& ms, double results) {
  std::printf("  %-44s p50 %7.2f ms  p95 %7.2f ms  (%zu runs, %.0f events per result)\n", what,
              Percentile(ms, 0.5), Percentile(ms, 0.95), ms.size(), results);
}

int RunProcess(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}


// --direct: the records Apply() would write, written straight into RocksDB
// in large batches (storage/internal encoders: the same bytes), then
// compacted by the Store itself.
int BuildDirect(const std::string& path, uint64_t events, UnixMicros start, UnixMicros end) {
  namespace internal = assay::storage::internal;
  {
    auto created = Store::Open(path, {});  // families and schema version
    if (!created) {
      std::fprintf(stderr, "%s\n", created.error().ToString().c_str());
      return 1;
    }
  }
  const auto t0 = Clock::now();
  std::vector<std::string> names;
  rocksdb::DBOptions db_options;
  db_options.max_background_jobs = 2;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, path, &names);
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const std::string& n : names) {
    rocksdb::ColumnFamilyOptions o;
    o.disable_auto_compactions = true;
    o.write_buffer_size = 64u << 20;
    o.max_write_buffer_number = 4;
    o.compression = rocksdb::kLZ4Compression;
    descs.emplace_back(n, o);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (s.ok()) s = rocksdb::DB::Open(db_options, path, descs, &handles, &raw);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  auto cf = [&](std::string_view name) {
    for (rocksdb::ColumnFamilyHandle* h : handles) {
      if (h->GetName() == name) return h;
    }
    return handles.front();
  };
  rocksdb::ColumnFamilyHandle* articles = cf(internal::kArticlesFamily);
  rocksdb::ColumnFamilyHandle* times = cf(internal::kArticleTimeFamily);
  rocksdb::ColumnFamilyHandle* events_cf = cf(internal::kEventsFamily);
  rocksdb::ColumnFamilyHandle* index = cf(internal::kIndexFamily);
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  Generator gen(events, start, end);
  std::set<std::string> feeds;
  rocksdb::WriteBatch batch;
  for (uint64_t i = 0; i < events; ++i) {
    Generated g = gen.Next();
    Article& a = g.article;
    Event& e = g.event;
    a.story_id = a.id;
    e.article_id = a.id;
    e.feed_url = a.feed_url;
    e.story_id = a.id;
    feeds.insert(a.feed_url);
    const std::string key = internal::EventKey::Encode(e.time, a.id);
    batch.Put(articles, a.id, internal::EncodeArticle(a)).PermitUncheckedError();
    batch.Put(times, internal::ArticleTimeKey::Encode(internal::ToMicrosSaturated(a.fetched), a.id),
              internal::ArticleTimeValue::Encode(a.story_id, a.story_signature))
        .PermitUncheckedError();
    batch.Put(events_cf, key, internal::EncodeEvent(e)).PermitUncheckedError();
    for (const std::string& k : internal::IndexEntries(e, key)) {
      batch.Put(index, k, "").PermitUncheckedError();
    }
    batch.Put(index, internal::ArticleEventKey(a.id), key).PermitUncheckedError();
    if (batch.Count() >= 100'000 || i + 1 == events) {
      if (s = db->Write(wo, &batch); !s.ok()) break;
      batch.Clear();
    }
    if ((i + 1) % 1'000'000 == 0) {
      std::fprintf(stderr, "  ... %llu events written directly\n",
                   static_cast<unsigned long long>(i + 1));
    }
  }
  for (const std::string& url : feeds) {
    assay::FeedState f;
    f.url = url;
    f.current_url = url;
    f.name = url.substr(8, url.find('.') - 8);
    if (s.ok()) s = db->Put(wo, cf(internal::kFeedsFamily), url, internal::EncodeFeedState(f));
  }
  auto fixed64 = [](uint64_t v) {
    std::string out;
    internal::PutFixed64(&out, v);
    return out;
  };
  rocksdb::ColumnFamilyHandle* meta = cf(internal::kMetaFamily);
  if (s.ok()) s = db->Put(wo, meta, internal::kFeedCountKey, fixed64(feeds.size()));
  if (s.ok()) s = db->Put(wo, meta, internal::kArticleCountKey, fixed64(events));
  if (s.ok()) s = db->Put(wo, meta, internal::kEventCountKey, fixed64(events));
  if (s.ok()) s = db->Flush(rocksdb::FlushOptions(), handles);
  for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db.reset();
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  const double written = std::chrono::duration<double>(Clock::now() - t0).count();
  const auto c0 = Clock::now();
  {
    auto store = Store::Open(path, {.create_if_missing = false});
    if (!store) {
      std::fprintf(stderr, "%s\n", store.error().ToString().c_str());
      return 1;
    }
    if (assay::Status c = (*store)->CompactAll(); !c.ok()) {
      std::fprintf(stderr, "%s\n", c.ToString().c_str());
      return 1;
    }
  }
  std::printf("direct build (not the ingest path): %llu events written in %.1f s, "
              "compacted by the store in %.1f s\n",
              static_cast<unsigned long long>(events), written,
              std::chrono::duration<double>(Clock::now() - c0).count());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t events = 1'000'000;
  size_t batch = 1000;
  int runs = 200;
  int process_runs = 30;
  bool keep = false;
  bool reuse = false;  // query a store kept by an earlier --keep run
  // Builds the store by writing the same records straight into RocksDB (no
  // reads, no WAL, compactions off), then opens it as a Store and compacts
  // it fully with the store's own options: how the 10 M store is built for
  // the query figures in minutes on two shared cores. Not the ingest path;
  // it measures no ingest throughput.
  bool direct = false;
  std::string dir;
  std::string assay = ASSAY_CLI_PATH;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--events") events = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--batch") batch = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--runs") runs = std::atoi(next().c_str());
    else if (a == "--process-runs") process_runs = std::atoi(next().c_str());
    else if (a == "--dir") dir = next();
    else if (a == "--assay") assay = next();
    else if (a == "--keep") keep = true;
    else if (a == "--reuse") reuse = true;
    else if (a == "--direct") direct = true;
    else {
      std::fprintf(stderr, "usage: events_bench [--events N] [--batch N] [--runs N] "
                           "[--process-runs N] [--dir DIR] [--assay PATH] [--keep] [--reuse] [--direct]\n");
      return 2;
    }
  }
  if (dir.empty()) {
    std::string tmpl = "/tmp/assay-events-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) return 2;
    dir = tmpl;
  }
  const std::string path = dir + "/store";
  std::printf("events_bench --events %llu --batch %zu --runs %d --process-runs %d\nstore %s\n",
              static_cast<unsigned long long>(events), batch, runs, process_runs, path.c_str());

  const UnixMicros now = assay::SystemClock().Now();
  const UnixMicros start = now - std::chrono::hours(24 * 365);

  // --- ingest ---
  if (reuse) {
    // The events were spread over the year before that run, not this one:
    // the time-bounded queries below then cover a little less of the log.
    std::printf("reusing the store of an earlier run\n");
  } else if (direct) {
    if (int rc = BuildDirect(path, events, start, now); rc != 0) return rc;
  } else {
    auto store = Store::Open(path, {});
    if (!store) {
      std::fprintf(stderr, "%s\n", store.error().ToString().c_str());
      return 1;
    }
    Generator gen(events, start, now);
    double store_seconds = 0;
    const auto wall0 = Clock::now();
    auto last_report = wall0;
    for (uint64_t done = 0; done < events;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(batch, events - done));
      std::vector<Article> articles;
      std::vector<Event> evs;
      articles.reserve(n);
      evs.reserve(n);
      for (size_t k = 0; k < n; ++k) {
        Generated g = gen.Next();
        articles.push_back(std::move(g.article));
        evs.push_back(std::move(g.event));
      }
      assay::FeedState feed;
      feed.url = articles.front().feed_url;
      const auto t0 = Clock::now();
      auto plan = (*store)->Plan(feed, std::move(articles));
      if (!plan) {
        std::fprintf(stderr, "%s\n", plan.error().ToString().c_str());
        return 1;
      }
      for (size_t k = 0; k < plan->items.size(); ++k) plan->items[k].event = std::move(evs[k]);
      if (assay::Status s = (*store)->Apply(*plan); !s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 1;
      }
      store_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      done += n;
      if (Clock::now() - last_report > std::chrono::seconds(10)) {
        last_report = Clock::now();
        std::fprintf(stderr, "  ... %llu events, %.0f events/s\n",
                     static_cast<unsigned long long>(done),
                     static_cast<double>(done) / store_seconds);
      }
    }
    const auto close0 = Clock::now();
    store->reset();  // flushes the memtables
    const double close_seconds = std::chrono::duration<double>(Clock::now() - close0).count();
    const double wall = std::chrono::duration<double>(Clock::now() - wall0).count();
    std::printf("ingest: %llu events in %.1f s of Plan+Apply: %.0f events/s "
                "(%.0f events/s counting generation and the %.1f s closing flush)\n",
                static_cast<unsigned long long>(events), store_seconds,
                static_cast<double>(events) / store_seconds, static_cast<double>(events) / wall,
                close_seconds);
  }
  const uint64_t bytes = DirBytes(path);
  std::printf("store: %.1f MB, %.0f bytes per event (article, time entry, event, index "
              "entries; after the closing flush, before any further compaction)\n",
              static_cast<double>(bytes) / 1e6,
              static_cast<double>(bytes) / static_cast<double>(events));

  // --- queries, in-process, through a secondary instance ---
  auto store = Store::OpenSecondary(path, dir + "/scratch");
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().ToString().c_str());
    return 1;
  }
  auto time_query = [&](const std::function<EventQuery(int)>& make) {
    std::vector<double> ms;
    double results = 0;
    for (int r = 0; r < runs; ++r) {
      EventQuery q = make(r);
      const auto t0 = Clock::now();
      auto got = (*store)->Events(q);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (!got) {
        std::fprintf(stderr, "%s\n", got.error().ToString().c_str());
        std::exit(1);
      }
      results += static_cast<double>(got->size());
    }
    return std::make_pair(ms, results / runs);
  };
  const UnixMicros week = now - std::chrono::hours(24 * 7);
  const UnixMicros month = now - std::chrono::hours(24 * 30);
  std::printf("queries in-process (secondary instance):\n");
  {
    auto [ms, n] = time_query([&](int r) {
      EventQuery q;
      q.all_tags = {kTags[static_cast<size_t>(r) % kTags.size()]};
      q.since = week;
      q.limit = 100;
      return q;
    });
    Report("--tag X --since 7d --limit 100", ms, n);
  }
  {
    auto [ms, n] = time_query([&](int r) {
      EventQuery q;
      q.minerals = {kMinerals[static_cast<size_t>(r) % kMinerals.size()]};
      q.countries = {kCountries[static_cast<size_t>(r / 3) % 10]};
      q.since = month;
      q.limit = 50;
      return q;
    });
    Report("--mineral M --country C --since 30d", ms, n);
  }
  {
    auto re = std::make_shared<RE2>("tungsten|antimony");
    auto [ms, n] = time_query([&](int) {
      EventQuery q;
      q.limit = 50;
      q.article_filter = [re](const Article& a) {
        return RE2::PartialMatch(a.title, *re) || RE2::PartialMatch(a.summary, *re);
      };
      return q;
    });
    Report("--grep 'tungsten|antimony'", ms, n);
  }
  store->reset();

  // --- the whole assay process ---
  if (process_runs > 0 && fs::exists(assay)) {
    std::printf("queries through the assay process (%s):\n", assay.c_str());
    auto time_process = [&](const char* what, const std::function<std::vector<std::string>(int)>& args) {
      std::vector<double> ms;
      for (int r = 0; r < process_runs; ++r) {
        std::vector<std::string> cmd = {assay, "events", "--store", path, "--format", "ndjson"};
        for (std::string& a : args(r)) cmd.push_back(std::move(a));
        const auto t0 = Clock::now();
        const int rc = RunProcess(cmd);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (rc != 0) {
          std::fprintf(stderr, "assay exited %d\n", rc);
          std::exit(1);
        }
      }
      std::printf("  %-44s p50 %7.2f ms  p95 %7.2f ms  (%zu runs)\n", what, Percentile(ms, 0.5),
                  Percentile(ms, 0.95), ms.size());
    };
    time_process("assay events --tag X --since 7d --limit 100", [&](int r) {
      return std::vector<std::string>{"--tag", kTags[static_cast<size_t>(r) % kTags.size()],
                                      "--since", "7d", "--limit", "100"};
    });
    time_process("assay events --mineral M --country C --since 30d", [&](int r) {
      return std::vector<std::string>{"--mineral", kMinerals[static_cast<size_t>(r) % kMinerals.size()],
                                      "--country", kCountries[static_cast<size_t>(r / 3) % 10],
                                      "--since", "30d"};
    });
    time_process("assay events --grep 'tungsten|antimony'", [&](int) {
      return std::vector<std::string>{"--grep", "tungsten|antimony"};
    });
  }
  if (!keep) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return 0;
}
