// The Python receivers of alert notifications, started per test on
// 127.0.0.1: smtp_server.py (aiosmtpd) and webhook_receiver.py. Each prints
// its port on its first line and stops with the test.
#ifndef ASSAY_TESTS_INTEGRATION_RECEIVERS_H_
#define ASSAY_TESTS_INTEGRATION_RECEIVERS_H_

#include <memory>
#include <string>
#include <vector>

#include "tests/testing/child_process.h"

namespace assay::testing {

class Receiver {
 public:
  // `script` is a file name in tests/integration/; `args` its options.
  Receiver(const std::string& script, std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     std::string(ASSAY_SOURCE_DIR) + "/tests/integration/" + script};
    argv.insert(argv.end(), args.begin(), args.end());
    child_ = std::make_unique<ChildProcess>(argv);
    port_ = child_->FirstLine();
  }
  bool ok() const { return !port_.empty(); }
  const std::string& port() const { return port_; }

 private:
  std::unique_ptr<ChildProcess> child_;
  std::string port_;
};

}  // namespace assay::testing

#endif  // ASSAY_TESTS_INTEGRATION_RECEIVERS_H_
