// `assay rules check [PACK ...]`: validates a rule pack, printing every
// problem as `file:line: subject: message`; exit 1 on any.
// `assay rules test [--rules PACK ...] (--title T [--summary S] | --file FEED)`:
// tags one text (or every entry of a feed file) and shows why: tags,
// entities, score, severity, each piece of evidence and the text with the
// matched spans highlighted (ANSI colour only when stdout is a terminal).
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/feed_source.h"
#include "core/article.h"
#include "parsers/feed.h"
#include "parsers/normalize.h"
#include "rules/rule_pack.h"
#include "rules/tagger.h"

namespace assay::cli {
namespace {

struct RulesArgs {
  std::vector<std::string> check_paths;
  std::vector<std::string> rules;
  std::string title;
  std::string summary;
  std::string content;
  std::string file;
  std::string url;
};

std::string Join(const std::vector<std::string>& v) {
  if (v.empty()) return "-";
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

int RunCheck(const RulesArgs& args) {
  std::vector<std::string> paths =
      args.check_paths.empty() ? rules::DefaultPackPaths() : args.check_paths;
  if (paths.empty()) {
    std::cerr << "assay rules check: no pack given and no default pack found\n";
    return 2;
  }
  std::vector<rules::PackProblem> problems;
  Result<rules::RulePack> pack = rules::LoadRulePack(paths, &problems);
  if (!pack) {
    for (const rules::PackProblem& p : problems) std::cout << p.ToString() << "\n";
    std::cout << problems.size() << " problem" << (problems.size() == 1 ? "" : "s")
              << " in " << paths.size() << " file" << (paths.size() == 1 ? "" : "s")
              << "\n";
    return 1;
  }
  auto tagger = rules::Tagger::Compile(*pack);
  if (!tagger) {
    std::cout << tagger.error().message() << "\n";
    return 1;
  }
  std::cout << "ok: " << pack->version_string << ": " << pack->rules.size()
            << " rules, " << pack->PatternCount() << " patterns ("
            << (*tagger)->pattern_count() << " distinct), " << pack->entities.size()
            << " entities in " << paths.size() << " file"
            << (paths.size() == 1 ? "" : "s") << "\n";
  return 0;
}

// Prints `text` with the spans in [start, end) marked: inverse colour on a
// terminal, [[...]] otherwise. Overlapping spans merge.
void PrintHighlighted(std::ostream& out, std::string_view text,
                      std::vector<std::pair<size_t, size_t>> spans, bool colour) {
  std::sort(spans.begin(), spans.end());
  std::vector<std::pair<size_t, size_t>> merged;
  for (const auto& s : spans) {
    if (!merged.empty() && s.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, s.second);
    } else {
      merged.push_back(s);
    }
  }
  const char* open = colour ? "\x1b[1;33m" : "[[";
  const char* close = colour ? "\x1b[0m" : "]]";
  size_t pos = 0;
  for (const auto& [start, end] : merged) {
    if (start > text.size() || end > text.size()) break;
    out << text.substr(pos, start - pos) << open << text.substr(start, end - start)
        << close;
    pos = end;
  }
  out << text.substr(pos) << "\n";
}

void ShowResult(const rules::Tagger& tagger, const Article& a, bool colour) {
  rules::TagResult r = tagger.Tag(a);
  std::cout << "tags:      " << Join(r.tags) << "\n"
            << "minerals:  " << Join(r.minerals) << "\n"
            << "countries: " << Join(r.countries) << "\n"
            << "blocs:     " << Join(r.blocs) << "\n"
            << "score:     " << r.score << " (" << rules::SeverityName(r.severity)
            << ")\n"
            << "rules:     " << Join(r.fired_rules) << "\n";
  if (!r.matches.empty()) std::cout << "evidence:\n";
  for (const rules::Match& m : r.matches) {
    std::cout << "  " << m.rule << "  " << rules::FieldName(m.field) << " " << m.start
              << ".." << m.end << "  \"" << m.text << "\"  /" << m.pattern << "/\n";
  }
  const std::string* texts[] = {&a.title, &a.summary, &a.content};
  for (int f = 0; f < rules::kFieldCount; ++f) {
    if (texts[f]->empty()) continue;
    std::vector<std::pair<size_t, size_t>> spans;
    for (const rules::Match& m : r.matches) {
      if (static_cast<int>(m.field) == f) spans.emplace_back(m.start, m.end);
    }
    std::cout << rules::FieldName(static_cast<rules::Field>(f)) << ": ";
    PrintHighlighted(std::cout, *texts[f], std::move(spans), colour);
  }
}

int RunTest(const RulesArgs& args) {
  auto tagger = rules::LoadTagger(args.rules);
  if (!tagger) {
    std::cerr << tagger.error().message() << "\n";
    return 2;
  }
  const bool colour = isatty(STDOUT_FILENO) == 1;
  std::cout << "pack:      " << (*tagger)->pack_version() << "\n";
  if (!args.file.empty() || !args.url.empty()) {
    const std::string& source = args.url.empty() ? args.file : args.url;
    Result<FeedBytes> bytes = ReadFeedSource(source);
    if (!bytes) {
      std::cerr << "assay rules test: " << bytes.error().message() << "\n";
      return 2;
    }
    Result<parsers::Feed> feed = parsers::ParseFeed(bytes->body, bytes->info);
    if (!feed) {
      std::cerr << source << ": " << feed.error().message() << "\n";
      return 2;
    }
    std::vector<Article> articles = parsers::Normalise(*feed, bytes->info.url, UnixSeconds{});
    for (size_t i = 0; i < articles.size(); ++i) {
      std::cout << "\n--- " << (i + 1) << "/" << articles.size() << "  "
                << (articles[i].guid.empty() ? articles[i].id : articles[i].guid) << "\n";
      ShowResult(**tagger, articles[i], colour);
    }
    return 0;
  }
  if (args.title.empty() && args.summary.empty() && args.content.empty()) {
    std::cerr << "assay rules test: give --title/--summary/--content, --file or --url\n";
    return 2;
  }
  Article a;
  a.title = args.title;
  a.summary = args.summary;
  a.content = args.content;
  ShowResult(**tagger, a, colour);
  return 0;
}

}  // namespace

void AddRulesCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<RulesArgs>();
  CLI::App* rules_cmd = app.add_subcommand("rules", "Check and try out rule packs");
  rules_cmd->require_subcommand(1);

  CLI::App* check = rules_cmd->add_subcommand(
      "check", "Validate rule pack files (default: the critical-minerals pack)");
  check->add_option("packs", args->check_paths, "Rule pack YAML files");
  check->callback([args, exit_code] { *exit_code = RunCheck(*args); });

  CLI::App* test = rules_cmd->add_subcommand(
      "test", "Tag a text or a feed file and show the evidence");
  test->add_option("--rules", args->rules,
                   "Rule pack YAML files (default: the critical-minerals pack)");
  test->add_option("--title", args->title, "Title text");
  test->add_option("--summary", args->summary, "Summary text");
  test->add_option("--content", args->content, "Content text");
  test->add_option("--file", args->file, "A feed file (RSS, Atom, JSON Feed)");
  test->add_option("--url", args->url, "A feed URL (http or https)")->excludes("--file");
  test->callback([args, exit_code] { *exit_code = RunTest(*args); });

  AddRulesReplayCommand(rules_cmd, exit_code);
}

}  // namespace assay::cli
