// A datagram socket owned by a test that stands in for systemd's
// NOTIFY_SOCKET: it receives what a daemon sends with sd_notify.
#ifndef ASSAY_TESTS_INTEGRATION_NOTIFY_SOCKET_H_
#define ASSAY_TESTS_INTEGRATION_NOTIFY_SOCKET_H_

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

namespace assay::testing {

class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    ok_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return ok_; }

  // The next datagram, or "" when none comes within `timeout`.
  std::string Receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

  // Receives until a datagram containing `what` arrives; false at the
  // deadline. Every datagram seen is appended to *seen.
  bool WaitFor(const std::string& what, std::chrono::milliseconds timeout,
               std::vector<std::string>* seen) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      std::string m = Receive(left);
      if (m.empty()) continue;
      seen->push_back(m);
      if (m.find(what) != std::string::npos) return true;
    }
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool ok_ = false;
};

}  // namespace assay::testing

#endif  // ASSAY_TESTS_INTEGRATION_NOTIFY_SOCKET_H_
