// Alerts and their notifications as the store keeps them: plain values that
// storage/ writes and the daemon and the CLI read. rules/alerts.h decides
// when alerts change; daemon/ turns its updates into these records.
#ifndef ASSAY_CORE_ALERT_H_
#define ASSAY_CORE_ALERT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/time.h"

namespace assay {

// The latest state of one alert.
struct AlertRecord {
  std::string id;           // 16 hex digits, stable across restarts
  std::string rule;         // alert rule id
  std::string state;        // "firing" or "resolved"
  std::string last_change;  // "fired", "updated", "repeated", "resolved"
  std::vector<std::pair<std::string, std::string>> group;   // {"mineral", "gallium"}
  std::vector<std::pair<std::string, std::string>> labels;  // of the group and its events
  UnixMicros opened{};
  UnixMicros updated{};   // time of the latest change
  UnixMicros notified{};  // when targets were last told
  std::vector<std::string> events;  // article ids of its events, oldest first
  int64_t value = 0;                // events, sources or stories counted
  std::string severity;
  std::vector<std::string> targets;  // empty: every target
  bool acked = false;
  std::string acked_by;
  UnixMicros acked_at{};

  friend bool operator==(const AlertRecord&, const AlertRecord&) = default;
};

// One message to one delivery target about one alert change: the outbox
// entry the dispatcher works through. Written in the same batch as the
// change that caused it.
struct Notification {
  std::string id;  // stable: receivers deduplicate on it
  std::string alert_id;
  std::string target;   // target name from the config
  std::string change;   // "fired", "repeated", "resolved", "test"
  std::string state;    // "pending", "delivered", "failed", "silenced"
  UnixMicros created{};
  UnixMicros next_attempt{};  // pending only
  uint32_t attempts = 0;
  std::string last_error;        // the last failure, as the server put it
  UnixMicros finished{};         // delivered, failed or silenced at
  std::vector<std::string> log;  // one line per attempt, the last 20
  AlertRecord alert;             // the alert as of the change

  friend bool operator==(const Notification&, const Notification&) = default;
};

// A silence: notifications of alerts whose labels match every matcher are
// recorded as silenced instead of sent, from `starts` until `ends`.
struct SilenceRecord {
  std::string id;
  std::vector<std::pair<std::string, std::string>> matchers;  // {"mineral", "graphite"}
  UnixMicros starts{};
  UnixMicros ends{};
  std::string comment;
  std::string author;

  friend bool operator==(const SilenceRecord&, const SilenceRecord&) = default;
};

}  // namespace assay

#endif  // ASSAY_CORE_ALERT_H_
