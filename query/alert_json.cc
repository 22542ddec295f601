#include "query/alert_json.h"

namespace assay::query {

nlohmann::json AlertJson(const AlertRecord& a) {
  nlohmann::json group = nlohmann::json::object();
  for (const auto& [label, value] : a.group) group[label] = value;
  return {{"id", a.id},
          {"rule", a.rule},
          {"state", a.state},
          {"last_change", a.last_change},
          {"group", group},
          {"severity", a.severity},
          {"value", a.value},
          {"opened", FormatRfc3339Micros(a.opened)},
          {"updated", FormatRfc3339Micros(a.updated)},
          {"events", a.events},
          {"acked", a.acked},
          {"acked_by", a.acked_by}};
}

}  // namespace assay::query
