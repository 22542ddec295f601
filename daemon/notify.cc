#include "daemon/notify.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace assay::daemon {
namespace {

void Send(std::string message) {
  // A daemon not run by systemd has no socket; sd_notify then returns 0.
  // A failed send is not worth stopping for: systemd notices a missing
  // READY or watchdog ping itself.
  sd_notify(0, message.c_str());
}

// STATUS= is one line: feed text (errors, titles) must not break it.
std::string OneLine(std::string_view s) {
  std::string out(s.substr(0, 512));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

void Notifier::Ready(std::string_view status) const {
  Send("READY=1\nSTATUS=" + OneLine(status));
}
void Notifier::Status(std::string_view status) const { Send("STATUS=" + OneLine(status)); }
void Notifier::Stopping() const { Send("STOPPING=1\nSTATUS=stopping"); }
void Notifier::Watchdog() const { Send("WATCHDOG=1"); }
void Notifier::Reloading() const { Send("RELOADING=1\nSTATUS=reloading"); }

std::optional<std::chrono::microseconds> Notifier::WatchdogInterval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

}  // namespace assay::daemon
