// The systemd notification protocol (sd_notify), for Type=notify units:
// READY=1 once the daemon can work, STATUS= lines, WATCHDOG=1 pings,
// STOPPING=1. Without $NOTIFY_SOCKET (not under systemd) every call is a
// no-op.
//
// Thread-safe: sd_notify sends one datagram per call.
#ifndef ASSAY_DAEMON_NOTIFY_H_
#define ASSAY_DAEMON_NOTIFY_H_

#include <chrono>
#include <optional>
#include <string_view>

namespace assay::daemon {

class Notifier {
 public:
  void Ready(std::string_view status) const;
  void Status(std::string_view status) const;
  void Stopping() const;
  // Followed by Ready() when the reload is done (or rejected).
  void Reloading() const;
  void Watchdog() const;

  // The interval at which WATCHDOG=1 must be sent ($WATCHDOG_USEC), or
  // nullopt when the unit has no watchdog.
  static std::optional<std::chrono::microseconds> WatchdogInterval();
};

}  // namespace assay::daemon

#endif  // ASSAY_DAEMON_NOTIFY_H_
