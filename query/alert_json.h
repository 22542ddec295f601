// Alerts as JSON, one shape for `assay alerts --format json` and
// GET /api/v1/alerts.
#ifndef ASSAY_QUERY_ALERT_JSON_H_
#define ASSAY_QUERY_ALERT_JSON_H_

#include <nlohmann/json.hpp>

#include "core/alert.h"

namespace assay::query {

// {"id", "rule", "state", "last_change", "group": {label: value},
//  "severity", "value", "opened", "updated" (RFC 3339, µs), "events",
//  "acked", "acked_by"}.
nlohmann::json AlertJson(const AlertRecord& a);

}  // namespace assay::query

#endif  // ASSAY_QUERY_ALERT_JSON_H_
