// When to poll a feed next. Pure functions of the feed's state and `now`,
// so that every scheduling decision is tested with values alone.
#ifndef ASSAY_DAEMON_SCHEDULER_H_
#define ASSAY_DAEMON_SCHEDULER_H_

#include <chrono>

#include "config/config.h"
#include "core/article.h"
#include "core/time.h"

namespace assay::daemon {

// The interval a feed is polled at while healthy: its configured interval
// (or fetch.default_interval), never below fetch.min_interval, raised by the
// feed's own hint (RSS ttl, Cache-Control max-age) up to fetch.max_backoff.
std::chrono::seconds HealthyInterval(std::chrono::seconds configured, int64_t hint_seconds,
                                     const config::FetchConfig& fetch);

// The next attempt after the fetch that produced `state` (its outcome,
// consecutive_failures and hint_seconds), finished at `now`.
//
// After a success or a 304: now + HealthyInterval, stretched by up to 10%
// with `jitter` so that feeds configured together drift apart.
// After a failure: exponential backoff from the healthy interval, doubling
// per consecutive failure, capped at fetch.max_backoff, with "equal jitter"
// (half fixed, half random) so that a host that fails many feeds at once is
// not hit by all of them again at the same instant; never sooner than a
// Retry-After hint (`hint_seconds` after a 429/503), itself capped at
// fetch.max_backoff. `jitter` is uniform in [0, 1).
UnixSeconds NextAttempt(const FeedState& state, std::chrono::seconds configured,
                        UnixSeconds now, const config::FetchConfig& fetch, double jitter);

}  // namespace assay::daemon

#endif  // ASSAY_DAEMON_SCHEDULER_H_
