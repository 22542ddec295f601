// Runs a shell command to completion and returns its exit code and output.
#ifndef ASSAY_TESTS_TESTING_RUN_COMMAND_H_
#define ASSAY_TESTS_TESTING_RUN_COMMAND_H_

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace assay::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout, and stderr when the command redirects it
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace assay::testing

#endif  // ASSAY_TESTS_TESTING_RUN_COMMAND_H_
