// Tagging throughput of the default pack on generated news text.
//
//   cmake -S . -B build/rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build/rel --target tag_bench -j2
//   build/rel/bench/tag_bench [--mb 64] [--runs 5] [--dump items.jsonl]
//                             [--only tags|spans|bare]
//
// Generates items of ~400 bytes (a title and a summary) from a vocabulary of
// news phrases, some of which the pack tags, and reports single-thread
// (= per core) MB/s and items/s for: tags only, tags with spans, and one
// bare RE2::Set pass per field with the same patterns (the floor the tagger
// is measured against). Times are the thread's CPU time, so that other load
// on the machine does not count; prints the median of --runs runs.
//
// --dump also writes the generated items as JSON lines {id, title, summary}
// for `assay tag --jsonl`, so that a change to the tagger can be diffed on
// the same text. --only runs one mode (to profile it with perf).
#include <re2/re2.h>
#include <re2/set.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/article.h"
#include "rules/rule_pack.h"
#include "rules/tagger.h"

namespace {

using assay::Article;
namespace rules = assay::rules;

// Most of a real feed is not about minerals: two titles in three and three
// summary sentences in four come from the plain vocabulary below.
const char* const kPlain[] = {
    "The city council approved a new budget for schools and road repairs",
    "Shares of the retailer rose after strong holiday sales",
    "The football club signed a striker from a rival team on a three-year deal",
    "Researchers published a study on sleep and memory in older adults",
    "The airline added routes for the summer season",
    "Heavy rain caused flooding in several neighbourhoods overnight",
    "The software company released an update to its cloud platform",
    "Museum attendance returned to pre-pandemic levels this year",
    "The central bank left interest rates unchanged, as economists expected",
    "A new restaurant opened downtown with a menu of local produce",
    "Lawmakers debated a bill on housing and rent controls",
    "The festival drew record crowds despite the heat"};
const char* const kSubjects[] = {
    "China", "Beijing", "The U.S. Commerce Department", "Indonesia", "Australia",
    "The European Commission", "Chile's government", "A Canadian miner", "Glencore",
    "Toyota", "The city council", "Local officials", "Apple", "The central bank",
    "Congo's mines ministry", "Japan and the Philippines", "G7 trade ministers",
    "A startup", "Shareholders", "The football club"};
const char* const kVerbs[] = {
    "tightens export controls on", "signs a memorandum on", "halts output of",
    "raises prices for", "reviews the supply of", "announces a stockpile of",
    "reports record profits from", "opens a new plant for", "bans exports of",
    "agrees a free trade deal covering", "invests in", "cuts jobs in", "launches",
    "recalls", "discusses", "celebrates"};
const char* const kObjects[] = {
    "gallium and germanium", "lithium hydroxide", "cobalt", "nickel pig iron",
    "rare earth magnets", "flake graphite", "antimony", "tungsten concentrate",
    "copper cathodes", "smartphones", "electric cars", "a new stadium",
    "quarterly earnings", "cloud software", "coffee beans", "wheat", "the annual budget",
    "its pension fund", "solar panels", "bauxite"};
const char* const kFillers[] = {
    "analysts said on Tuesday", "according to a statement",
    "as markets weighed the outlook", "in a move seen as retaliation",
    "amid concerns about supply chains", "after months of negotiations",
    "while investors awaited earnings", "as the weather turned cold",
    "citing national security", "in a filing with regulators",
    "before the holiday weekend", "despite protests by residents"};

template <size_t N>
const char* Pick(const char* const (&arr)[N], std::mt19937& rng) {
  return arr[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
}

std::vector<Article> Generate(size_t target_bytes, size_t* total_bytes) {
  std::mt19937 rng(20240601);
  std::vector<Article> items;
  *total_bytes = 0;
  while (*total_bytes < target_bytes) {
    Article a;
    if (std::uniform_int_distribution<int>(0, 2)(rng) != 0) {
      a.title = Pick(kPlain, rng);
    } else {
      a.title = std::string(Pick(kSubjects, rng)) + " " + Pick(kVerbs, rng) + " " +
                Pick(kObjects, rng);
    }
    while (a.summary.size() < 320) {
      if (std::uniform_int_distribution<int>(0, 3)(rng) != 0) {
        a.summary += std::string(Pick(kPlain, rng)) + ". ";
      } else {
        a.summary += std::string(Pick(kSubjects, rng)) + " " + Pick(kVerbs, rng) + " " +
                     Pick(kObjects, rng) + ", " + Pick(kFillers, rng) + ". ";
      }
    }
    *total_bytes += a.title.size() + a.summary.size();
    items.push_back(std::move(a));
  }
  return items;
}

void CollectPatterns(const rules::Condition& c, std::vector<std::string>* out) {
  if (c.kind == rules::Condition::Kind::kPattern) out->push_back(c.pattern.CompiledRegex());
  for (const rules::Pattern& p : c.near) out->push_back(p.CompiledRegex());
  for (const rules::Condition& child : c.children) CollectPatterns(child, out);
}

// Minimal JSON string escaping: the generator writes ASCII only, but keep
// quotes, backslashes and control bytes valid anyway.
std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool Dump(const std::vector<Article>& items, const char* path) {
  std::FILE* f = std::fopen(path, "w");
  if (f == nullptr) return false;
  for (size_t i = 0; i < items.size(); ++i) {
    std::fprintf(f, "{\"id\": \"g%zu\", \"title\": %s, \"summary\": %s}\n", i,
                 JsonString(items[i].title).c_str(), JsonString(items[i].summary).c_str());
  }
  return std::fclose(f) == 0;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  size_t mb = 64;
  int runs = 5;
  const char* dump = nullptr;
  std::string only;  // "tags", "spans" or "bare": one mode, for profiling
  int64_t set_mem_mb = 64;  // RE2 budget of each RE2::Set
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--mb") == 0) mb = std::strtoul(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--dump") == 0) dump = argv[i + 1];
    if (std::strcmp(argv[i], "--only") == 0) only = argv[i + 1];
    if (std::strcmp(argv[i], "--set-mem") == 0) set_mem_mb = std::atoll(argv[i + 1]);
  }
  runs = std::max(runs, 1);
  auto pack = rules::LoadRulePack(rules::DefaultPackPaths());
  if (!pack) {
    std::fprintf(stderr, "%s\n", pack.error().message().c_str());
    return 2;
  }
  rules::TaggerOptions tagger_options;
  tagger_options.set_max_mem = set_mem_mb << 20;
  auto tagger = rules::Tagger::Compile(*pack, tagger_options);
  if (!tagger) {
    std::fprintf(stderr, "%s\n", tagger.error().message().c_str());
    return 2;
  }
  size_t bytes = 0;
  std::vector<Article> items = Generate(mb << 20, &bytes);
  if (dump != nullptr && !Dump(items, dump)) {
    std::fprintf(stderr, "cannot write %s\n", dump);
    return 2;
  }

  // The same patterns in one bare RE2::Set, as the tagger builds per field.
  std::vector<std::string> patterns;
  for (const rules::Rule& r : pack->rules) CollectPatterns(r.when, &patterns);
  for (const rules::Entity& e : pack->entities) {
    for (const rules::Pattern& p : e.forms) patterns.push_back(p.CompiledRegex());
    for (const rules::Pattern& p : e.exclude) patterns.push_back(p.CompiledRegex());
  }
  for (const rules::EntityKindSpec& k : pack->kinds) {
    for (const rules::Pattern& p : k.exclude) patterns.push_back(p.CompiledRegex());
  }
  std::sort(patterns.begin(), patterns.end());
  patterns.erase(std::unique(patterns.begin(), patterns.end()), patterns.end());
  RE2::Options opts;
  opts.set_max_mem(set_mem_mb << 20);
  opts.set_log_errors(false);
  RE2::Set set(opts, RE2::UNANCHORED);
  for (const std::string& p : patterns) {
    if (set.Add(p, nullptr) < 0) return 2;
  }
  if (!set.Compile()) return 2;

  size_t tagged = 0;
  auto time = [&](const std::function<void()>& body) {
    double t0 = ThreadCpuSeconds();
    body();
    return ThreadCpuSeconds() - t0;
  };
  auto want = [&](const char* mode) { return only.empty() || only == mode; };
  std::vector<double> fast, spans, bare;
  for (int run = 0; run < runs; ++run) {
    if (want("tags")) fast.push_back(time([&] {
      tagged = 0;
      for (const Article& a : items) {
        tagged += !(*tagger)->Tag(a, rules::TagOptions{.spans = false}).tags.empty();
      }
    }));
    if (want("spans")) spans.push_back(time([&] {
      for (const Article& a : items) (*tagger)->Tag(a);
    }));
    if (want("bare")) bare.push_back(time([&] {
      std::vector<int> hits;
      for (const Article& a : items) {
        set.Match(a.title, &hits);
        set.Match(a.summary, &hits);
      }
    }));
  }
  const double mbytes = static_cast<double>(bytes) / (1 << 20);
  const double n = static_cast<double>(items.size());
  std::printf("tag_bench: pack %s: %zu rules, %zu distinct patterns, %zu entities\n",
              (*tagger)->pack_version().c_str(), (*tagger)->rule_count(),
              (*tagger)->pattern_count(), (*tagger)->entity_count());
  std::printf("corpus: %zu items, %.1f MB (%.0f bytes/item), %.1f%% tagged; median of %d runs, one thread\n",
              items.size(), mbytes, static_cast<double>(bytes) / n,
              100.0 * static_cast<double>(tagged) / n, runs);
  std::printf("%-26s %10s %12s\n", "mode", "MB/s/core", "items/s/core");
  auto row = [&](const char* name, const std::vector<double>& secs) {
    if (secs.empty()) return;
    double s = Median(secs);
    std::printf("%-26s %10.1f %12.0f\n", name, mbytes / s, n / s);
  };
  row("tags only", fast);
  row("tags + spans", spans);
  row("bare RE2::Set (2 fields)", bare);
  std::printf("reproduce: %s --mb %zu --runs %d (Release build)\n", argv[0], mb, runs);
  return 0;
}
