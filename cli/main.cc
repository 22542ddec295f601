// assay: the command line. Queries the store (read-only, beside a running
// daemon), parses feeds, tags text and checks rule packs.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"assay: critical-mineral supply-risk monitor (command line)"};
  app.require_subcommand(1);
  int exit_code = 0;
  assay::cli::AddParseCommand(app, &exit_code);
  assay::cli::AddFeedsCommand(app, &exit_code);
  assay::cli::AddTagCommand(app, &exit_code);
  assay::cli::AddRulesCommand(app, &exit_code);
  assay::cli::AddEventsCommand(app, &exit_code);
  assay::cli::AddShowCommand(app, &exit_code);
  assay::cli::AddStatsCommand(app, &exit_code);
  assay::cli::AddDbCommand(app, &exit_code);
  assay::cli::AddAlertsCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
