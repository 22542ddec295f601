// The `assay` subcommands. Each file cli/<name>_cmd.cc registers one
// subcommand on the app; when the subcommand runs it stores its exit status
// in *exit_code (0 ok, 1 a finding such as invalid rules, 2 a usage or I/O
// error).
#ifndef ASSAY_CLI_COMMANDS_H_
#define ASSAY_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace assay::cli {

void AddParseCommand(CLI::App& app, int* exit_code);  // parse_cmd.cc
void AddFeedsCommand(CLI::App& app, int* exit_code);  // feeds_cmd.cc
void AddTagCommand(CLI::App& app, int* exit_code);    // tag_cmd.cc
void AddRulesCommand(CLI::App& app, int* exit_code);  // rules_cmd.cc
void AddEventsCommand(CLI::App& app, int* exit_code);  // events_cmd.cc
void AddShowCommand(CLI::App& app, int* exit_code);    // show_cmd.cc
void AddStatsCommand(CLI::App& app, int* exit_code);   // stats_cmd.cc
void AddDbCommand(CLI::App& app, int* exit_code);      // db_cmd.cc
void AddAlertsCommand(CLI::App& app, int* exit_code);  // alerts_cmd.cc
// `rules replay`, under the `rules` subcommand that rules_cmd.cc creates.
void AddRulesReplayCommand(CLI::App* rules, int* exit_code);  // replay_cmd.cc

}  // namespace assay::cli

#endif  // ASSAY_CLI_COMMANDS_H_
