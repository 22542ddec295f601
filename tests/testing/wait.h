// Waiting on a condition with a deadline, for tests that watch another
// process (a daemon writing its store, a child exiting): the condition is
// re-checked every 50 ms until it holds or the deadline passes.
#ifndef ASSAY_TESTS_TESTING_WAIT_H_
#define ASSAY_TESTS_TESTING_WAIT_H_

#include <chrono>
#include <thread>

namespace assay::testing {

template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // between checks
  }
  return true;
}

}  // namespace assay::testing

#endif  // ASSAY_TESTS_TESTING_WAIT_H_
