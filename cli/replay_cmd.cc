// assay rules replay [--since 30d] --rules PACK [--apply] [--format text|json]:
// re-tags the stored articles fetched since a time with another rule pack
// and reports the difference with the events stored for them: per tag, the
// articles gaining and losing it (with titles), and summary counts.
//
// Without --apply it only reads (a secondary instance, beside a running
// daemon). With --apply it opens the store for writing, which RocksDB's
// LOCK refuses while a daemon holds the store (one-line error, exit 2), and
// rewrites each changed event with its index entries through
// Store::RewriteEvents, kReplayBatch events per atomic batch. An event
// "changes" when its tags, entities, score or severity differ; an article
// that gains its first tag gets an event stamped with its fetch time.
//
// Exit status: 0 (differences are a report, not a failure), 2 for a bad flag,
// a pack that does not load, or a store that cannot be read or written.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/store_access.h"
#include "cli/text.h"
#include "cli/time_flags.h"
#include "core/time.h"
#include "rules/rule_pack.h"
#include "rules/tagger.h"

namespace assay::cli {
namespace {

constexpr size_t kReplayBatch = 500;

struct ReplayFlags {
  StoreFlags store;
  std::string since = "30d";
  std::vector<std::string> rules;
  bool apply = false;
  std::string format = "text";
};

struct Change {
  std::string id;
  std::string title;
};

struct TagDiff {
  std::vector<Change> gained;
  std::vector<Change> lost;
};

struct ReplayReport {
  UnixMicros since{};
  std::string pack;
  uint64_t articles = 0;
  uint64_t events_before = 0;
  uint64_t events_after = 0;
  uint64_t created = 0;   // articles that get an event
  uint64_t removed = 0;   // articles that lose their event
  uint64_t changed = 0;   // events whose tags, entities, score or severity change
  uint64_t rewritten = 0; // events written (--apply)
  std::map<std::string, TagDiff> tags;
};

bool SameFindings(const Event& a, const Event& b) {
  return a.tags == b.tags && a.minerals == b.minerals && a.countries == b.countries &&
         a.blocs == b.blocs && a.score == b.score && a.severity == b.severity;
}

// Tags every article fetched since `report->since`, fills the report and
// returns the rewrites that would make the log match the new pack.
Result<std::vector<storage::EventRewrite>> Replay(const storage::Store& store,
                                                  const rules::Tagger& tagger,
                                                  ReplayReport* report) {
  std::vector<std::string> ids;
  ASSAY_RETURN_IF_ERROR(store.ScanStories(
      std::chrono::floor<std::chrono::seconds>(report->since),
      [&](storage::Store::StoryEntry e) { ids.push_back(std::move(e.article_id)); }));
  std::vector<storage::EventRewrite> rewrites;
  for (const std::string& id : ids) {
    Result<std::optional<Article>> article = store.GetArticle(id);
    if (!article) return article.error();
    if (!*article) continue;  // dropped since the scan
    ++report->articles;
    Result<std::optional<Event>> old = store.GetEventForArticle(id);
    if (!old) return old.error();
    rules::TagResult tagged = tagger.Tag(**article);
    std::optional<Event> now;
    if (!tagged.tags.empty()) now = rules::ToEvent(std::move(tagged), tagger.pack_version());
    if (*old) ++report->events_before;
    if (now) ++report->events_after;

    const std::vector<std::string> none;
    const std::vector<std::string>& before = *old ? (*old)->tags : none;
    const std::vector<std::string>& after = now ? now->tags : none;
    const Change change{id, (*article)->title};
    for (const std::string& t : after) {
      if (!std::binary_search(before.begin(), before.end(), t)) {
        report->tags[t].gained.push_back(change);
      }
    }
    for (const std::string& t : before) {
      if (!std::binary_search(after.begin(), after.end(), t)) {
        report->tags[t].lost.push_back(change);
      }
    }
    if (!*old && now) {
      ++report->created;
      now->time = (*article)->fetched;  // seconds to microseconds, exact
      rewrites.push_back({id, std::move(now)});
    } else if (*old && !now) {
      ++report->removed;
      rewrites.push_back({id, std::nullopt});
    } else if (*old && now && !SameFindings(**old, *now)) {
      ++report->changed;
      rewrites.push_back({id, std::move(now)});
    }
  }
  return rewrites;
}

nlohmann::ordered_json ChangesJson(const std::vector<Change>& changes) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Change& c : changes) out.push_back({{"id", c.id}, {"title", c.title}});
  return out;
}

void PrintJson(const ReplayReport& r, bool applied) {
  nlohmann::ordered_json tags = nlohmann::ordered_json::array();
  for (const auto& [tag, diff] : r.tags) {
    tags.push_back({{"tag", tag},
                    {"gained", ChangesJson(diff.gained)},
                    {"lost", ChangesJson(diff.lost)}});
  }
  nlohmann::ordered_json out = {{"since", FormatRfc3339Micros(r.since)},
                                {"pack", r.pack},
                                {"articles", r.articles},
                                {"events_before", r.events_before},
                                {"events_after", r.events_after},
                                {"created", r.created},
                                {"removed", r.removed},
                                {"changed", r.changed},
                                {"applied", applied},
                                {"rewritten", r.rewritten},
                                {"tags", tags}};
  std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void PrintText(const ReplayReport& r, bool applied) {
  std::cout << "replayed " << r.articles << " article" << (r.articles == 1 ? "" : "s")
            << " fetched since " << FormatRfc3339Micros(r.since) << " with " << r.pack << "\n"
            << "events: " << r.events_before << " before, " << r.events_after << " after ("
            << r.created << " new, " << r.removed << " removed, " << r.changed << " changed)\n";
  if (r.tags.empty()) std::cout << "no tag changes\n";
  for (const auto& [tag, diff] : r.tags) {
    std::cout << "\n" << tag << ": +" << diff.gained.size() << " -" << diff.lost.size() << "\n";
    for (const Change& c : diff.gained) std::cout << "  + " << Fit(c.title, 70) << "  " << c.id << "\n";
    for (const Change& c : diff.lost) std::cout << "  - " << Fit(c.title, 70) << "  " << c.id << "\n";
  }
  if (applied) {
    std::cout << "\napplied: " << r.rewritten << " event" << (r.rewritten == 1 ? "" : "s")
              << " rewritten\n";
  } else if (r.created + r.removed + r.changed > 0) {
    std::cout << "\nnothing written; --apply writes these changes\n";
  }
}

int Run(const ReplayFlags& flags) {
  const char* kName = "assay rules replay";
  ReplayReport report;
  Result<UnixMicros> since = ParseTimeFlag("--since", flags.since, SystemClock().Now());
  if (!since) {
    std::cerr << kName << ": " << since.error().message() << "\n";
    return 2;
  }
  report.since = *since;
  Result<std::shared_ptr<const rules::Tagger>> tagger = rules::LoadTagger(flags.rules);
  if (!tagger) {
    std::cerr << kName << ": " << tagger.error().message() << "\n";
    return 2;
  }
  report.pack = (*tagger)->pack_version();

  std::unique_ptr<ReadOnlyStore> reader;
  std::unique_ptr<storage::Store> writer;
  if (flags.apply) {
    Result<std::unique_ptr<storage::Store>> w =
        OpenStoreForWriting(flags.store, "rules replay --apply");
    if (!w) {
      std::cerr << kName << ": " << w.error().message() << "\n";
      return 2;
    }
    writer = std::move(*w);
  } else {
    Result<std::unique_ptr<ReadOnlyStore>> r = ReadOnlyStore::Open(flags.store);
    if (!r) {
      std::cerr << kName << ": " << r.error().message() << "\n";
      return 2;
    }
    reader = std::move(*r);
  }
  storage::Store& store = writer ? *writer : reader->store();

  Result<std::vector<storage::EventRewrite>> rewrites = Replay(store, **tagger, &report);
  if (!rewrites) {
    std::cerr << kName << ": " << rewrites.error().message() << "\n";
    return 2;
  }
  if (flags.apply) {
    const std::span<const storage::EventRewrite> all(*rewrites);
    for (size_t i = 0; i < all.size(); i += kReplayBatch) {
      const auto batch = all.subspan(i, std::min(kReplayBatch, all.size() - i));
      if (Status s = store.RewriteEvents(batch); !s.ok()) {
        std::cerr << kName << ": " << s.message() << " (" << report.rewritten
                  << " events rewritten before the failure)\n";
        return 2;
      }
      report.rewritten += batch.size();
    }
  }
  if (flags.format == "json") {
    PrintJson(report, flags.apply);
  } else {
    PrintText(report, flags.apply);
  }
  std::cout.flush();
  return std::cout ? 0 : 2;
}

}  // namespace

void AddRulesReplayCommand(CLI::App* rules, int* exit_code) {
  auto f = std::make_shared<ReplayFlags>();
  CLI::App* cmd = rules->add_subcommand(
      "replay", "Re-tag stored articles with another pack and show what would change");
  f->store.AddTo(cmd);
  cmd->add_option("--since", f->since, "articles fetched from this time on (30d, or RFC 3339)")
      ->capture_default_str();
  cmd->add_option("--rules", f->rules, "rule pack YAML files")->required();
  cmd->add_flag("--apply", f->apply,
                "rewrite the changed events (needs the daemon stopped)");
  cmd->add_option("--format", f->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([f, exit_code] { *exit_code = Run(*f); });
}

}  // namespace assay::cli
