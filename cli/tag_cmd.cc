// `assay tag --jsonl [--rules PACK ...] [--no-spans]`: tags JSON lines
// {id, title, summary, content?} from stdin and prints one JSON line per
// item: {id, tags, minerals, countries, blocs, score, severity, matches}.
// A bad input line is reported on stderr with its line number; the rest are
// still tagged, and the exit status is then 1.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/article.h"
#include "rules/tagger.h"

namespace assay::cli {
namespace {

using nlohmann::json;

struct TagArgs {
  bool jsonl = false;
  bool no_spans = false;
  std::vector<std::string> rules;
};

// Reads one field that must be a string when present.
bool ReadText(const json& obj, const char* key, bool required, std::string* out,
              std::string* error) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) *error = std::string("missing \"") + key + "\"";
    return !required;
  }
  if (!it->is_string()) {
    *error = std::string("\"") + key + "\" must be a string";
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

// Keys in the documented order: id, tags, minerals, countries, blocs, score,
// severity, matches.
nlohmann::ordered_json ResultToJson(const std::string& id, const rules::TagResult& r) {
  nlohmann::ordered_json out = {{"id", id},
              {"tags", r.tags},
              {"minerals", r.minerals},
              {"countries", r.countries},
              {"blocs", r.blocs},
              {"score", r.score},
              {"severity", std::string(rules::SeverityName(r.severity))}};
  nlohmann::ordered_json matches = nlohmann::ordered_json::array();
  for (const rules::Match& m : r.matches) {
    matches.push_back({{"rule", m.rule},
                       {"pattern", m.pattern},
                       {"field", std::string(rules::FieldName(m.field))},
                       {"start", m.start},
                       {"end", m.end},
                       {"text", m.text}});
  }
  out["matches"] = std::move(matches);
  return out;
}

int RunTag(const TagArgs& args) {
  if (!args.jsonl) {
    std::cerr << "assay tag: only --jsonl input is supported\n";
    return 2;
  }
  auto tagger = rules::LoadTagger(args.rules);
  if (!tagger) {
    std::cerr << tagger.error().message() << "\n";
    return 2;
  }
  std::ios::sync_with_stdio(false);
  rules::TagOptions options;
  options.spans = !args.no_spans;
  int status = 0;
  std::string line;
  for (size_t line_no = 1; std::getline(std::cin, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json in = json::parse(line, nullptr, /*allow_exceptions=*/false);
    std::string error;
    Article article;
    if (in.is_discarded()) {
      error = "not valid JSON";
    } else if (!in.is_object()) {
      error = "not a JSON object";
    } else if (ReadText(in, "id", true, &article.id, &error) &&
               ReadText(in, "title", false, &article.title, &error) &&
               ReadText(in, "summary", false, &article.summary, &error) &&
               ReadText(in, "content", false, &article.content, &error)) {
      error.clear();
    }
    if (!error.empty()) {
      std::cerr << "stdin:" << line_no << ": " << error << "\n";
      status = 1;
      continue;
    }
    rules::TagResult r = (*tagger)->Tag(article, options);
    std::cout << ResultToJson(article.id, r).dump(-1, ' ', false,
                                                  nlohmann::ordered_json::error_handler_t::replace)
              << "\n";
  }
  std::cout.flush();
  return status;
}

}  // namespace

void AddTagCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<TagArgs>();
  CLI::App* cmd = app.add_subcommand(
      "tag", "Tag JSON lines {id, title, summary, content?} from stdin with a rule pack");
  cmd->add_flag("--jsonl", args->jsonl, "Read JSON lines from stdin (required)");
  cmd->add_option("--rules", args->rules,
                  "Rule pack YAML files (default: the critical-minerals pack)");
  cmd->add_flag("--no-spans", args->no_spans,
                "Tags and entities only, without matched spans (faster)");
  cmd->callback([args, exit_code] { *exit_code = RunTag(*args); });
}

}  // namespace assay::cli
