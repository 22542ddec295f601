// assay feeds: every feed the store knows, with its health.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>

#include "cli/commands.h"
#include "cli/store_access.h"
#include "cli/text.h"

namespace assay::cli {
namespace {

std::string When(const std::optional<UnixSeconds>& t) { return t ? FormatRfc3339(*t) : ""; }

nlohmann::json ToJson(const FeedState& f) {
  auto opt_time = [](const std::optional<UnixSeconds>& t) -> nlohmann::json {
    return t ? nlohmann::json(FormatRfc3339(*t)) : nlohmann::json(nullptr);
  };
  return {{"url", f.url},
          {"current_url", f.current_url},
          {"name", f.name},
          {"title", f.title},
          {"status", FetchOutcomeName(f.outcome)},
          {"http_status", f.http_status},
          {"last_fetch", opt_time(f.last_fetch)},
          {"last_success", opt_time(f.last_success)},
          {"next_attempt", opt_time(f.next_attempt)},
          {"consecutive_failures", f.consecutive_failures},
          {"last_error", f.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.last_error)},
          {"warnings", f.warning_count},
          {"last_warning", f.last_warning.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.last_warning)},
          {"articles", f.article_count}};
}

int Run(const StoreFlags& flags, const std::string& format) {
  auto store = ReadOnlyStore::Open(flags);
  if (!store) {
    std::cerr << "assay feeds: " << store.error().message() << "\n";
    return 2;
  }
  Result<std::vector<FeedState>> feeds = (*store)->store().ListFeeds();
  if (!feeds) {
    std::cerr << "assay feeds: " << feeds.error().message() << "\n";
    return 2;
  }
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const FeedState& f : *feeds) out.push_back(ToJson(f));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << Fit("FEED", 44) << "  " << Fit("TITLE", 28) << "  " << Fit("STATUS", 12) << "  "
            << Fit("LAST FETCH", 20) << "  " << Fit("NEXT ATTEMPT", 20) << "  " << "ARTICLES  ERROR\n";
  for (const FeedState& f : *feeds) {
    std::string status(FetchOutcomeName(f.outcome));
    if (f.outcome == FetchOutcome::kFailed) status += " x" + std::to_string(f.consecutive_failures);
    std::string article_count = std::to_string(f.article_count);
    article_count.resize(std::max<size_t>(article_count.size(), 8), ' ');
    std::cout << Fit(f.current_url, 44) << "  " << Fit(f.title.empty() ? f.name : f.title, 28) << "  "
              << Fit(status, 12) << "  " << Fit(When(f.last_fetch), 20) << "  "
              << Fit(When(f.next_attempt), 20) << "  " << article_count << "  " << f.last_error << "\n";
  }
  return 0;
}

}  // namespace

void AddFeedsCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("feeds", "list feeds with their status, last error and next attempt");
  auto flags = std::make_shared<StoreFlags>();
  auto format = std::make_shared<std::string>("table");
  flags->AddTo(cmd);
  cmd->add_option("--format", *format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->callback([=] { *exit_code = Run(*flags, *format); });
}

}  // namespace assay::cli
