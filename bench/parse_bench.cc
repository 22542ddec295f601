// Parse throughput: full ParseFeed + Normalise against a bare libxml2 parse
// (xmlReadMemory, tree built and freed) of the same bytes, per core.
//
// Two workloads, generated in memory with a fixed seed:
//   * one ~5 MB RSS 2.0 feed (items with HTML descriptions, escaped as
//     feeds do, plus content:encoded in CDATA);
//   * 1,000 small feeds of 10 such items each.
//
// Times are the thread's CPU time (per core), the median of N passes after
// a warm-up pass. Build and run (release build directory):
//   cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
//   cmake --build build/release --target parse_bench -j2
//   taskset -c 0 build/release/bench/parse_bench [repetitions]
#include <libxml/parser.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "core/time.h"
#include "parsers/feed.h"
#include "parsers/normalize.h"

namespace {

// Per-core figures: the thread's CPU time, so that other load on the
// machine (scheduling, not cache) does not count against either pipeline.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t s_;
};

constexpr const char* kWords[] = {
    "lithium", "cobalt", "nickel", "graphite", "gallium", "germanium",
    "antimony", "tungsten", "rare", "earths", "export", "controls", "licence",
    "ministry", "commerce", "supply", "chain", "smelter", "refinery", "prices",
    "tonnes", "shipments", "agreement", "partnership", "tariff", "quota",
    "China", "Indonesia", "Congo", "Chile", "Australia", "European", "Union",
    "announced", "restrict", "producers", "battery", "magnet", "demand",
    "market", "analysts", "said", "the", "of", "and", "to", "in", "on", "for",
    "with", "after", "week", "government", "industry", "mining", "output"};

std::string Words(Rng& rng, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += kWords[rng.Below(std::size(kWords))];
  }
  return s;
}

// An HTML paragraph block as feeds carry it: tags, a link, entities.
std::string HtmlDescription(Rng& rng) {
  std::string h;
  size_t paras = 2 + rng.Below(3);
  for (size_t p = 0; p < paras; ++p) {
    h += "<p>" + Words(rng, 12 + rng.Below(20));
    h += " <a href=\"https://news.example.com/topic/" + std::to_string(rng.Below(1000)) +
         "?utm_source=rss&amp;utm_medium=feed\">" + Words(rng, 3) + "</a> ";
    h += "&ldquo;" + Words(rng, 6) + "&rdquo; &mdash; <b>" + Words(rng, 2) + "</b> ";
    h += Words(rng, 10 + rng.Below(15)) + " &amp; " + Words(rng, 4) + ".</p>";
  }
  h += "<img src=\"https://cdn.example.com/i/" + std::to_string(rng.Below(1 << 20)) +
       ".jpg\" alt=\"chart\"/>";
  return h;
}

std::string EscapeXml(const std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Item(Rng& rng, size_t n) {
  std::string id = std::to_string(n);
  std::string s = "<item>\n<title>" + EscapeXml(Words(rng, 8)) + "</title>\n";
  s += "<link>https://news.example.com/2024/05/" + id + "/story?utm_campaign=x</link>\n";
  s += "<guid isPermaLink=\"false\">urn:example:" + id + "</guid>\n";
  s += "<pubDate>Tue, 14 May 2024 0" + std::to_string(rng.Below(10)) + ":" +
       std::to_string(10 + rng.Below(50)) + ":00 +0000</pubDate>\n";
  s += "<dc:creator>" + Words(rng, 2) + "</dc:creator>\n";
  s += "<category>" + Words(rng, 1) + "</category><category>" + Words(rng, 1) + "</category>\n";
  s += "<description>" + EscapeXml(HtmlDescription(rng)) + "</description>\n";
  s += "<content:encoded><![CDATA[" + HtmlDescription(rng) + "]]></content:encoded>\n";
  s += "</item>\n";
  return s;
}

std::string Feed(Rng& rng, size_t items, size_t* next_id) {
  std::string s =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
      "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n<channel>\n"
      "<title>Critical minerals wire</title>\n<link>https://news.example.com/</link>\n"
      "<description>Supply news</description>\n<language>en</language>\n";
  for (size_t i = 0; i < items; ++i) s += Item(rng, (*next_id)++);
  s += "</channel>\n</rss>\n";
  return s;
}

struct Workload {
  const char* name;
  std::vector<std::string> docs;
  size_t bytes = 0;
  size_t items = 0;
};

// CPU seconds for one pass over the workload.
double TimePass(const Workload& w, const std::function<size_t(const std::string&)>& fn,
                size_t* sink) {
  double t0 = ThreadCpuSeconds();
  for (const std::string& d : w.docs) *sink += fn(d);
  return ThreadCpuSeconds() - t0;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int reps = argc > 1 ? std::atoi(argv[1]) : 7;
  if (reps < 1) reps = 1;
  Rng rng(42);
  size_t next_id = 0;
  Workload big{"one 5 MB feed", {}, 0, 0};
  {
    std::string doc;
    size_t items = 0;
    // Grow until ~5 MB.
    std::string head = Feed(rng, 0, &next_id);
    doc = head.substr(0, head.find("</channel>"));
    while (doc.size() < 5 * 1000 * 1000) {
      doc += Item(rng, next_id++);
      ++items;
    }
    doc += "</channel>\n</rss>\n";
    big.docs.push_back(std::move(doc));
    big.items = items;
  }
  Workload small{"1,000 small feeds", {}, 0, 0};
  for (int i = 0; i < 1000; ++i) {
    small.docs.push_back(Feed(rng, 10, &next_id));
    small.items += 10;
  }
  for (Workload* w : {&big, &small}) {
    for (const auto& d : w->docs) w->bytes += d.size();
  }

  const assay::parsers::FetchInfo info{.url = "https://news.example.com/feed.xml",
                                       .content_type = "application/rss+xml; charset=utf-8"};
  const assay::UnixSeconds fetched{std::chrono::seconds(1'715'000'000)};
  auto assay_parse = [&](const std::string& d) -> size_t {
    auto feed = assay::parsers::ParseFeed(d, info);
    if (!feed) {
      std::fprintf(stderr, "parse failed: %s\n", feed.error().message().c_str());
      std::exit(1);
    }
    return assay::parsers::Normalise(*feed, info.url, fetched).size();
  };
  auto libxml2_parse = [](const std::string& d) -> size_t {
    xmlDocPtr doc = xmlReadMemory(d.data(), static_cast<int>(d.size()), "feed.xml", nullptr,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == nullptr) return 0;
    xmlFreeDoc(doc);
    return 1;
  };

  std::printf("parse_bench: median of %d passes, one thread, CPU time\n", reps);
  std::printf("%-20s %-34s %10s %12s\n", "workload", "pipeline", "MB/s", "items/s");
  size_t sink = 0;
  for (const Workload* w : {&big, &small}) {
    // Check the items all come through before timing.
    size_t got = 0;
    for (const auto& d : w->docs) got += assay_parse(d);
    if (got != w->items) {
      std::fprintf(stderr, "%s: expected %zu articles, got %zu\n", w->name, w->items, got);
      return 1;
    }
    struct Row {
      const char* name;
      std::function<size_t(const std::string&)> fn;
    } rows[] = {{"ParseFeed + Normalise (assay)", assay_parse},
                {"xmlReadMemory (libxml2 tree)", libxml2_parse}};
    for (const Row& r : rows) {
      std::vector<double> secs;
      TimePass(*w, r.fn, &sink);  // warm-up
      for (int i = 0; i < reps; ++i) secs.push_back(TimePass(*w, r.fn, &sink));
      double s = Median(secs);
      std::printf("%-20s %-34s %10.1f %12.0f\n", w->name, r.name,
                  static_cast<double>(w->bytes) / 1e6 / s, static_cast<double>(w->items) / s);
    }
    std::printf("%-20s (%.1f MB, %zu items)\n", "", static_cast<double>(w->bytes) / 1e6,
                w->items);
  }
  std::printf("reproduce: cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo"
              " && cmake --build build/release --target parse_bench -j2"
              " && taskset -c 0 build/release/bench/parse_bench %d\n", reps);
  return sink == 0 ? 1 : 0;
}
