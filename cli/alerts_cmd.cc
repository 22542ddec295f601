// assay alerts: the alerts the daemon raised, and the delivery of each.
//
//   assay alerts [--state firing|resolved|failed|all] [--format table|json]
//   assay alerts show ID [--format text|json]
//   assay alerts silences
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "cli/store_access.h"
#include "cli/text.h"
#include "query/alert_json.h"

namespace assay::cli {
namespace {

std::string GroupText(const AlertRecord& a) {
  std::vector<std::string> parts;
  for (const auto& [label, value] : a.group) parts.push_back(label + "=" + value);
  return Join(parts, ",");
}

using query::AlertJson;

nlohmann::json NotificationJson(const Notification& n) {
  return {{"id", n.id},         {"target", n.target},         {"change", n.change},
          {"state", n.state},   {"attempts", n.attempts},     {"created", FormatRfc3339Micros(n.created)},
          {"last_error", n.last_error}, {"log", n.log}};
}

// Delivery states per alert: "2 delivered, 1 failed".
std::map<std::string, std::map<std::string, int>> DeliveryCounts(const std::vector<Notification>& ns) {
  std::map<std::string, std::map<std::string, int>> out;
  for (const Notification& n : ns) ++out[n.alert_id][n.state];
  return out;
}

std::string CountsText(const std::map<std::string, int>& c) {
  std::vector<std::string> parts;
  for (const auto& [state, n] : c) parts.push_back(std::to_string(n) + " " + state);
  return parts.empty() ? "-" : Join(parts, ", ");
}

int List(const StoreFlags& flags, const std::string& state, const std::string& format) {
  auto store = ReadOnlyStore::Open(flags);
  if (!store) {
    std::cerr << "assay alerts: " << store.error().message() << "\n";
    return 2;
  }
  auto alerts = (*store)->store().ListAlerts();
  auto notifications = (*store)->store().ListNotifications();
  if (!alerts || !notifications) {
    std::cerr << "assay alerts: " << (alerts ? notifications.error() : alerts.error()).message() << "\n";
    return 2;
  }
  const auto counts = DeliveryCounts(*notifications);
  std::vector<const AlertRecord*> shown;
  for (const AlertRecord& a : *alerts) {
    auto c = counts.find(a.id);
    const bool failed = c != counts.end() && c->second.count("failed");
    if (state == "all" || a.state == state || (state == "failed" && failed)) shown.push_back(&a);
  }
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const AlertRecord* a : shown) {
      nlohmann::json j = AlertJson(*a);
      auto c = counts.find(a->id);
      j["deliveries"] = c == counts.end() ? nlohmann::json::object() : nlohmann::json(c->second);
      out.push_back(std::move(j));
    }
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  std::cout << Fit("ID", 16) << "  " << Fit("STATE", 8) << "  " << Fit("SEVERITY", 8) << "  "
            << Fit("RULE", 26) << "  " << Fit("GROUP", 24) << "  " << Fit("VALUE", 5) << "  "
            << Fit("UPDATED", 20) << "  DELIVERIES\n";
  for (const AlertRecord* a : shown) {
    auto c = counts.find(a->id);
    std::cout << Fit(a->id, 16) << "  " << Fit(a->state, 8) << "  " << Fit(a->severity, 8) << "  "
              << Fit(a->rule, 26) << "  " << Fit(GroupText(*a), 24) << "  "
              << Fit(std::to_string(a->value), 5) << "  "
              << Fit(FormatRfc3339(std::chrono::floor<std::chrono::seconds>(a->updated)), 20) << "  "
              << (c == counts.end() ? "-" : CountsText(c->second)) << "\n";
  }
  return 0;
}

int Show(const StoreFlags& flags, const std::string& id, const std::string& format) {
  auto store = ReadOnlyStore::Open(flags);
  if (!store) {
    std::cerr << "assay alerts show: " << store.error().message() << "\n";
    return 2;
  }
  storage::Store& s = (*store)->store();
  auto alert = s.GetAlert(id);
  if (!alert) {
    std::cerr << "assay alerts show: " << alert.error().message() << "\n";
    return 2;
  }
  if (!*alert) {
    std::cerr << "assay alerts show: no alert " << id << "\n";
    return 1;
  }
  const AlertRecord& a = **alert;
  auto notifications = s.ListNotifications(id);
  if (!notifications) {
    std::cerr << "assay alerts show: " << notifications.error().message() << "\n";
    return 2;
  }
  if (format == "json") {
    nlohmann::json j = AlertJson(a);
    j["notifications"] = nlohmann::json::array();
    for (const Notification& n : *notifications) j["notifications"].push_back(NotificationJson(n));
    nlohmann::json events = nlohmann::json::array();
    for (const std::string& article_id : a.events) {
      auto art = s.GetArticle(article_id);
      nlohmann::json e = {{"id", article_id}};
      if (art && *art) {
        e["title"] = (*art)->title;
        e["link"] = (*art)->link;
        e["feed"] = (*art)->feed_url;
      }
      events.push_back(std::move(e));
    }
    j["articles"] = std::move(events);
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  std::cout << "alert     " << a.id << " (" << a.state << ", last " << a.last_change << ")\n"
            << "rule      " << a.rule << "\n"
            << "group     " << (a.group.empty() ? "-" : GroupText(a)) << "\n"
            << "severity  " << a.severity << "   value " << a.value << "\n"
            << "opened    " << FormatRfc3339Micros(a.opened) << "\n"
            << "updated   " << FormatRfc3339Micros(a.updated) << "\n"
            << (a.acked ? "acked     by " + a.acked_by + " at " + FormatRfc3339Micros(a.acked_at) + "\n" : "")
            << "\nevents (" << a.events.size() << ")\n";
  for (const std::string& article_id : a.events) {
    auto art = s.GetArticle(article_id);
    if (art && *art) {
      std::cout << "  " << article_id << "  " << (*art)->title << "\n"
                << "      " << (*art)->feed_url << "\n"
                << "      " << (*art)->link << "\n";
    } else {
      std::cout << "  " << article_id << "  (article no longer stored)\n";
    }
  }
  std::cout << "\nnotifications (" << notifications->size() << ")\n";
  for (const Notification& n : *notifications) {
    std::cout << "  " << n.id << "\n      target " << n.target << ", " << n.change << ", " << n.state
              << " after " << n.attempts << " attempt" << (n.attempts == 1 ? "" : "s") << "\n";
    for (const std::string& line : n.log) std::cout << "      " << line << "\n";
  }
  return 0;
}

int Silences(const StoreFlags& flags) {
  auto store = ReadOnlyStore::Open(flags);
  if (!store) {
    std::cerr << "assay alerts silences: " << store.error().message() << "\n";
    return 2;
  }
  auto silences = (*store)->store().ListSilences();
  if (!silences) {
    std::cerr << "assay alerts silences: " << silences.error().message() << "\n";
    return 2;
  }
  const UnixMicros now = SystemClock::Get().Now();
  std::cout << Fit("ID", 18) << "  " << Fit("STATE", 7) << "  " << Fit("ENDS", 20) << "  "
            << Fit("MATCHERS", 36) << "  COMMENT\n";
  for (const SilenceRecord& r : *silences) {
    std::vector<std::string> m;
    for (const auto& [k, v] : r.matchers) m.push_back(k + "=" + v);
    const std::string state = now < r.starts ? "pending" : now < r.ends ? "active" : "expired";
    std::cout << Fit(r.id, 18) << "  " << Fit(state, 7) << "  "
              << Fit(FormatRfc3339(std::chrono::floor<std::chrono::seconds>(r.ends)), 20) << "  "
              << Fit(Join(m, ","), 36) << "  " << r.comment
              << (r.author.empty() ? "" : " (" + r.author + ")") << "\n";
  }
  return 0;
}

}  // namespace

void AddAlertsCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("alerts", "list the alerts raised and their deliveries");
  auto flags = std::make_shared<StoreFlags>();
  auto state = std::make_shared<std::string>("all");
  auto format = std::make_shared<std::string>("table");
  flags->AddTo(cmd);
  cmd->add_option("--state", *state, "firing, resolved, failed (a delivery failed) or all")
      ->check(CLI::IsMember({"firing", "resolved", "failed", "all"}))
      ->capture_default_str();
  cmd->add_option("--format", *format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  auto* show = cmd->add_subcommand("show", "one alert: its events and every delivery attempt");
  auto show_flags = std::make_shared<StoreFlags>();
  auto id = std::make_shared<std::string>();
  auto show_format = std::make_shared<std::string>("text");
  show_flags->AddTo(show);
  show->add_option("id", *id, "alert id, as `assay alerts` prints it")->required();
  show->add_option("--format", *show_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  show->callback([=] { *exit_code = Show(*show_flags, *id, *show_format); });
  auto* silences = cmd->add_subcommand("silences", "the silences recorded, active or expired");
  auto silence_flags = std::make_shared<StoreFlags>();
  silence_flags->AddTo(silences);
  silences->callback([=] { *exit_code = Silences(*silence_flags); });
  cmd->callback([=] {
    if (show->parsed() || silences->parsed()) return;
    *exit_code = List(*flags, *state, *format);
  });
}

}  // namespace assay::cli
