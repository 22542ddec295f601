#include "cli/commands.h"

namespace assay::cli {

void AddFeedsCommand(CLI::App& app, int* exit_code) {
  (void)app;
  (void)exit_code;
}

}  // namespace assay::cli
