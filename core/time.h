// Time for assay: UTC instants in whole seconds, a Clock interface so that
// decisions are functions of `now`, and RFC 3339 formatting.
#ifndef ASSAY_CORE_TIME_H_
#define ASSAY_CORE_TIME_H_

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace assay {

// A UTC instant with one-second resolution (feeds carry no finer dates).
using UnixSeconds = std::chrono::sys_seconds;
// A UTC instant with microsecond resolution (event keys, fetch times).
using UnixMicros = std::chrono::sys_time<std::chrono::microseconds>;

// "2026-11-28T13:53:18Z".
std::string FormatRfc3339(UnixSeconds t);
// "2026-11-28T13:53:18.123456Z".
std::string FormatRfc3339Micros(UnixMicros t);

// Parses "2026-11-28T13:53:18Z", with optional fraction and numeric offset.
// This is the strict form assay itself writes; feed dates go through
// parsers/date.h, which accepts what the wild produces.
std::optional<UnixSeconds> ParseRfc3339(std::string_view s);

// "90s", "15m", "24h", "7d", "2w", "1h30m" -> seconds. InvalidArgument with
// the text quoted when malformed, unit-less or over ~31 years.
Result<std::chrono::seconds> ParseDuration(std::string_view text);

// Where time comes from. SystemClock in production, FakeClock in tests.
// Thread-safe: Now() may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMicros Now() const = 0;
  UnixSeconds NowSeconds() const {
    return std::chrono::floor<std::chrono::seconds>(Now());
  }
};

class SystemClock final : public Clock {
 public:
  UnixMicros Now() const override {
    return std::chrono::floor<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }
  // A process-wide instance; never destroyed.
  static Clock& Get();
};

// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixMicros start) : now_(start) {}
  UnixMicros Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Set(UnixMicros t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }
  void Advance(std::chrono::microseconds d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  UnixMicros now_;
};

}  // namespace assay

#endif  // ASSAY_CORE_TIME_H_
