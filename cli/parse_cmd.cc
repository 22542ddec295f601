// `assay parse --json FILE|URL`: parses one feed and prints it in the
// contract of ../shared/conformance/feeds/README.md.
//
// Exit status: 0 parsed; 1 the bytes are not a feed (one line on stderr);
// 2 the file or URL could not be read.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/feed_source.h"
#include "core/status.h"
#include "core/time.h"
#include "parsers/feed.h"

namespace assay::cli {
namespace {

template <typename T>
nlohmann::ordered_json OrNull(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json Date(const std::optional<UnixSeconds>& t) {
  return t ? nlohmann::ordered_json(FormatRfc3339(*t)) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json ToJson(const parsers::Feed& feed) {
  using J = nlohmann::ordered_json;
  J out;
  out["format"] = std::string(parsers::FeedFormatName(feed.format));
  out["feed"] = {{"title", OrNull(feed.title)},       {"link", OrNull(feed.link)},
                 {"id", OrNull(feed.id)},             {"subtitle", OrNull(feed.subtitle)},
                 {"language", OrNull(feed.language)}, {"updated", Date(feed.updated)},
                 {"author", OrNull(feed.author)}};
  J entries = J::array();
  for (const parsers::Entry& e : feed.entries) {
    J enclosures = J::array();
    for (const Enclosure& enc : e.enclosures) {
      enclosures.push_back({{"url", enc.url},
                            {"type", enc.type.empty() ? J(nullptr) : J(enc.type)},
                            {"length", OrNull(enc.length)}});
    }
    entries.push_back({{"id", OrNull(e.id)},
                       {"title", OrNull(e.title)},
                       {"link", OrNull(e.link)},
                       {"published", Date(e.published)},
                       {"updated", Date(e.updated)},
                       {"author", OrNull(e.author)},
                       {"summary", OrNull(e.summary)},
                       {"content", OrNull(e.content)},
                       {"categories", e.categories},
                       {"enclosures", std::move(enclosures)}});
  }
  out["entries"] = std::move(entries);
  out["warnings"] = feed.warnings;
  return out;
}

int RunParse(const std::string& source) {
  Result<FeedBytes> fetched = ReadFeedSource(source);
  if (!fetched) {
    std::cerr << "assay parse: " << fetched.error().message() << "\n";
    return 2;
  }
  Result<parsers::Feed> feed = parsers::ParseFeed(fetched->body, fetched->info);
  if (!feed) {
    std::cerr << "assay parse: " << source << ": " << feed.error().message() << "\n";
    return 1;
  }
  std::cout << ToJson(*feed).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
  return 0;
}

}  // namespace

void AddParseCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("parse", "Parse one feed (file or http(s) URL)");
  auto source = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print the parsed feed as JSON (the default)");
  cmd->add_option("source", *source, "Feed file or http(s) URL")->required();
  cmd->callback([source, json, exit_code] { *exit_code = RunParse(*source); });
}

}  // namespace assay::cli
