#include "daemon/scheduler.h"

#include <algorithm>
#include <cmath>

namespace assay::daemon {

using std::chrono::seconds;

seconds HealthyInterval(seconds configured, int64_t hint_seconds,
                        const config::FetchConfig& fetch) {
  seconds interval = configured.count() > 0 ? configured : fetch.default_interval;
  interval = std::max(interval, fetch.min_interval);
  const seconds hint = std::min(seconds(std::max<int64_t>(hint_seconds, 0)), fetch.max_backoff);
  return std::max(interval, hint);
}

UnixSeconds NextAttempt(const FeedState& state, seconds configured, UnixSeconds now,
                        const config::FetchConfig& fetch, double jitter) {
  jitter = std::clamp(jitter, 0.0, 1.0);
  if (state.outcome != FetchOutcome::kFailed) {
    const seconds interval = HealthyInterval(configured, state.hint_seconds, fetch);
    return now + interval + seconds(static_cast<int64_t>(0.1 * jitter * static_cast<double>(interval.count())));
  }
  const seconds base = HealthyInterval(configured, 0, fetch);
  const uint32_t failures = std::max<uint32_t>(state.consecutive_failures, 1);
  // 2^(failures-1) overflows nothing: the exponent is bounded before use.
  const double factor = std::ldexp(1.0, static_cast<int>(std::min<uint32_t>(failures - 1, 30)));
  const double capped = std::min(static_cast<double>(base.count()) * factor,
                                 static_cast<double>(fetch.max_backoff.count()));
  seconds delay(static_cast<int64_t>(capped / 2 + jitter * capped / 2));
  delay = std::max(delay, fetch.min_interval);
  if (state.hint_seconds > 0) {
    delay = std::max(delay, std::min(seconds(state.hint_seconds), fetch.max_backoff));
  }
  return now + delay;
}

}  // namespace assay::daemon
