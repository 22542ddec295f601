// The test feed server (feed_server.py) on 127.0.0.1, started per test.
#ifndef ASSAY_TESTS_INTEGRATION_FEED_SERVER_H_
#define ASSAY_TESTS_INTEGRATION_FEED_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "tests/testing/child_process.h"

namespace assay::testing {

class FeedServer {
 public:
  // `root`, when given, is served under /files/.
  explicit FeedServer(const std::string& root = "", const std::string& bind = "127.0.0.1")
      : host_(bind) {
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     std::string(ASSAY_SOURCE_DIR) + "/tests/integration/feed_server.py"};
    if (!root.empty()) {
      argv.push_back("--root");
      argv.push_back(root);
    }
    argv.push_back("--bind");
    argv.push_back(bind);
    child_ = std::make_unique<ChildProcess>(argv);
    port_ = child_->FirstLine();
  }
  bool ok() const { return !port_.empty(); }
  std::string Url(const std::string& path) const { return "http://" + host_ + ":" + port_ + path; }
  const std::string& port() const { return port_; }

 private:
  std::string host_;
  std::unique_ptr<ChildProcess> child_;
  std::string port_;
};

}  // namespace assay::testing

#endif  // ASSAY_TESTS_INTEGRATION_FEED_SERVER_H_
