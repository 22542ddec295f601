// Alerts and the outbox: the `alerts` and `outbox` families (FORMAT.md).
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "storage/internal/alert_records.h"
#include "storage/internal/keys.h"
#include "storage/internal/raw_db.h"
#include "storage/internal/rocks_status.h"
#include "storage/store.h"

namespace assay::storage {

namespace internal {

namespace {

using nlohmann::json;

int64_t Micros(UnixMicros t) { return t.time_since_epoch().count(); }
UnixMicros FromMicros(int64_t v) { return UnixMicros(std::chrono::microseconds(v)); }

json Pairs(const std::vector<std::pair<std::string, std::string>>& v) {
  json out = json::array();
  for (const auto& [a, b] : v) out.push_back({a, b});
  return out;
}

std::vector<std::pair<std::string, std::string>> PairsFrom(const json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const json& p : j) out.emplace_back(p.at(0).get<std::string>(), p.at(1).get<std::string>());
  return out;
}

json AlertJson(const AlertRecord& a) {
  return {{"id", a.id},           {"rule", a.rule},         {"state", a.state},
          {"change", a.last_change}, {"group", Pairs(a.group)}, {"labels", Pairs(a.labels)},
          {"opened", Micros(a.opened)}, {"updated", Micros(a.updated)},
          {"notified", Micros(a.notified)}, {"events", a.events}, {"value", a.value},
          {"severity", a.severity}, {"targets", a.targets}, {"acked", a.acked},
          {"acked_by", a.acked_by}, {"acked_at", Micros(a.acked_at)}};
}

AlertRecord AlertFrom(const json& j) {
  AlertRecord a;
  a.id = j.at("id").get<std::string>();
  a.rule = j.at("rule").get<std::string>();
  a.state = j.at("state").get<std::string>();
  a.last_change = j.at("change").get<std::string>();
  a.group = PairsFrom(j.at("group"));
  a.labels = PairsFrom(j.at("labels"));
  a.opened = FromMicros(j.at("opened").get<int64_t>());
  a.updated = FromMicros(j.at("updated").get<int64_t>());
  a.notified = FromMicros(j.at("notified").get<int64_t>());
  a.events = j.at("events").get<std::vector<std::string>>();
  a.value = j.at("value").get<int64_t>();
  a.severity = j.at("severity").get<std::string>();
  a.targets = j.at("targets").get<std::vector<std::string>>();
  a.acked = j.at("acked").get<bool>();
  a.acked_by = j.at("acked_by").get<std::string>();
  a.acked_at = FromMicros(j.at("acked_at").get<int64_t>());
  return a;
}

// Records are JSON: small, rare, and readable with ldb when it matters.
// Invalid UTF-8 (feed text in labels) is replaced, never thrown.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string AlertKey(std::string_view id) { return "a" + std::string(id); }
std::string NotificationKey(std::string_view id) { return "n" + std::string(id); }
std::string PendingKey(UnixMicros next_attempt, std::string_view id) {
  return "p" + EncodeTimeMicros(next_attempt) + std::string(id);
}

std::string EncodeAlert(const AlertRecord& a) { return Dump(AlertJson(a)); }

Result<AlertRecord> DecodeAlert(std::string_view value) {
  try {
    return AlertFrom(json::parse(value));
  } catch (const json::exception& e) {
    return Corruption(std::string("alert record: ") + e.what());
  }
}

std::string EncodeNotification(const Notification& n) {
  return Dump({{"id", n.id},
               {"alert_id", n.alert_id},
               {"target", n.target},
               {"change", n.change},
               {"state", n.state},
               {"created", Micros(n.created)},
               {"next_attempt", Micros(n.next_attempt)},
               {"attempts", n.attempts},
               {"last_error", n.last_error},
               {"finished", Micros(n.finished)},
               {"log", n.log},
               {"alert", AlertJson(n.alert)}});
}

Result<Notification> DecodeNotification(std::string_view value) {
  try {
    const json j = json::parse(value);
    Notification n;
    n.id = j.at("id").get<std::string>();
    n.alert_id = j.at("alert_id").get<std::string>();
    n.target = j.at("target").get<std::string>();
    n.change = j.at("change").get<std::string>();
    n.state = j.at("state").get<std::string>();
    n.created = FromMicros(j.at("created").get<int64_t>());
    n.next_attempt = FromMicros(j.at("next_attempt").get<int64_t>());
    n.attempts = j.at("attempts").get<uint32_t>();
    n.last_error = j.at("last_error").get<std::string>();
    n.finished = FromMicros(j.at("finished").get<int64_t>());
    n.log = j.at("log").get<std::vector<std::string>>();
    n.alert = AlertFrom(j.at("alert"));
    return n;
  } catch (const json::exception& e) {
    return Corruption(std::string("notification record: ") + e.what());
  }
}

rocksdb::Status PutAlertRecords(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* alerts,
                                rocksdb::ColumnFamilyHandle* outbox,
                                std::span<const AlertRecord> records,
                                std::span<const Notification> notifications) {
  rocksdb::Status s;
  for (const AlertRecord& a : records) {
    if (s.ok()) s = batch->Put(alerts, AlertKey(a.id), EncodeAlert(a));
  }
  for (const Notification& n : notifications) {
    if (s.ok()) s = batch->Put(outbox, NotificationKey(n.id), EncodeNotification(n));
    if (s.ok() && n.state == "pending") {
      s = batch->Put(outbox, PendingKey(n.next_attempt, n.id), "");
    }
  }
  return s;
}

}  // namespace internal

Status Store::WriteAlerts(std::span<const AlertRecord> alerts,
                          std::span<const Notification> notifications) {
  internal::RawDb raw = Raw();
  if (raw.read_only) return FailedPrecondition("WriteAlerts: store is open read-only");
  std::lock_guard lock(*raw.write_mu);
  rocksdb::WriteBatch batch;
  rocksdb::Status s = internal::PutAlertRecords(&batch, raw.cf(internal::kAlerts),
                                                raw.cf(internal::kOutbox), alerts, notifications);
  if (s.ok()) s = raw.db->Write(*raw.write_options, &batch);
  return internal::FromRocks(s, "writing alerts to store " + *raw.path);
}

Result<std::optional<AlertRecord>> Store::GetAlert(std::string_view id) const {
  internal::RawDb raw = const_cast<Store*>(this)->Raw();
  std::string value;
  rocksdb::Status s =
      raw.db->Get(rocksdb::ReadOptions(), raw.cf(internal::kAlerts), internal::AlertKey(id), &value);
  if (s.IsNotFound()) return std::optional<AlertRecord>();
  if (!s.ok()) return internal::FromRocks(s, "reading alert " + std::string(id));
  Result<AlertRecord> a = internal::DecodeAlert(value);
  if (!a) return a.error().WithContext("alerts[" + std::string(id) + "]");
  return std::optional<AlertRecord>(std::move(*a));
}

Result<std::vector<AlertRecord>> Store::ListAlerts() const {
  internal::RawDb raw = const_cast<Store*>(this)->Raw();
  std::vector<AlertRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(
      raw.db->NewIterator(rocksdb::ReadOptions(), raw.cf(internal::kAlerts)));
  for (it->Seek("a"); it->Valid() && it->key().starts_with("a"); it->Next()) {
    Result<AlertRecord> a = internal::DecodeAlert(it->value().ToStringView());
    if (!a) return a.error().WithContext("alerts[" + it->key().ToString() + "]");
    out.push_back(std::move(*a));
  }
  if (!it->status().ok()) return internal::FromRocks(it->status(), "listing alerts");
  std::sort(out.begin(), out.end(), [](const AlertRecord& a, const AlertRecord& b) {
    return a.updated > b.updated;
  });
  return out;
}

Result<std::vector<Notification>> Store::ListNotifications(std::string_view alert_id) const {
  internal::RawDb raw = const_cast<Store*>(this)->Raw();
  std::vector<Notification> out;
  std::unique_ptr<rocksdb::Iterator> it(
      raw.db->NewIterator(rocksdb::ReadOptions(), raw.cf(internal::kOutbox)));
  for (it->Seek("n"); it->Valid() && it->key().starts_with("n"); it->Next()) {
    Result<Notification> n = internal::DecodeNotification(it->value().ToStringView());
    if (!n) return n.error().WithContext("outbox[" + it->key().ToString() + "]");
    if (alert_id.empty() || n->alert_id == alert_id) out.push_back(std::move(*n));
  }
  if (!it->status().ok()) return internal::FromRocks(it->status(), "listing notifications");
  std::sort(out.begin(), out.end(), [](const Notification& a, const Notification& b) {
    return a.created < b.created || (a.created == b.created && a.id < b.id);
  });
  return out;
}

Result<std::vector<Notification>> Store::DueNotifications(UnixMicros now, size_t limit) const {
  internal::RawDb raw = const_cast<Store*>(this)->Raw();
  std::vector<Notification> out;
  std::unique_ptr<rocksdb::Iterator> it(
      raw.db->NewIterator(rocksdb::ReadOptions(), raw.cf(internal::kOutbox)));
  const std::string end = "p" + internal::EncodeTimeMicros(now) + "\xff";
  for (it->Seek("p"); it->Valid() && it->key().starts_with("p") && out.size() < limit; it->Next()) {
    if (it->key().compare(end) > 0) break;
    const std::string id = it->key().ToString().substr(9);
    std::string value;
    rocksdb::Status s = raw.db->Get(rocksdb::ReadOptions(), raw.cf(internal::kOutbox),
                                    internal::NotificationKey(id), &value);
    if (s.IsNotFound()) continue;  // a dangling pending entry: verify reports it
    if (!s.ok()) return internal::FromRocks(s, "reading notification " + id);
    Result<Notification> n = internal::DecodeNotification(value);
    if (!n) return n.error().WithContext("outbox[n" + id + "]");
    if (n->state == "pending" && n->next_attempt <= now) out.push_back(std::move(*n));
  }
  if (!it->status().ok()) return internal::FromRocks(it->status(), "reading the outbox");
  return out;
}

Status Store::UpdateNotification(const Notification& n, UnixMicros previous_next_attempt) {
  internal::RawDb raw = Raw();
  if (raw.read_only) return FailedPrecondition("UpdateNotification: store is open read-only");
  std::lock_guard lock(*raw.write_mu);
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* outbox = raw.cf(internal::kOutbox);
  rocksdb::Status s = batch.Delete(outbox, internal::PendingKey(previous_next_attempt, n.id));
  if (s.ok()) s = batch.Put(outbox, internal::NotificationKey(n.id), internal::EncodeNotification(n));
  if (s.ok() && n.state == "pending") {
    s = batch.Put(outbox, internal::PendingKey(n.next_attempt, n.id), "");
  }
  if (s.ok()) s = raw.db->Write(*raw.write_options, &batch);
  return internal::FromRocks(s, "updating notification " + n.id);
}

Status Store::PutSilence(const SilenceRecord& silence) {
  internal::RawDb raw = Raw();
  if (raw.read_only) return FailedPrecondition("PutSilence: store is open read-only");
  nlohmann::json matchers = nlohmann::json::array();
  for (const auto& [k, v] : silence.matchers) matchers.push_back({k, v});
  const nlohmann::json j = {{"id", silence.id},
                            {"matchers", matchers},
                            {"starts", silence.starts.time_since_epoch().count()},
                            {"ends", silence.ends.time_since_epoch().count()},
                            {"comment", silence.comment},
                            {"author", silence.author}};
  std::lock_guard lock(*raw.write_mu);
  rocksdb::Status s = raw.db->Put(*raw.write_options, raw.cf(internal::kAlerts), "s" + silence.id,
                                  j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return internal::FromRocks(s, "writing silence " + silence.id);
}

Result<std::vector<SilenceRecord>> Store::ListSilences() const {
  internal::RawDb raw = const_cast<Store*>(this)->Raw();
  std::vector<SilenceRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(
      raw.db->NewIterator(rocksdb::ReadOptions(), raw.cf(internal::kAlerts)));
  for (it->Seek("s"); it->Valid() && it->key().starts_with("s"); it->Next()) {
    try {
      const nlohmann::json j = nlohmann::json::parse(it->value().ToStringView());
      SilenceRecord r;
      r.id = j.at("id").get<std::string>();
      for (const auto& m : j.at("matchers")) {
        r.matchers.emplace_back(m.at(0).get<std::string>(), m.at(1).get<std::string>());
      }
      r.starts = UnixMicros(std::chrono::microseconds(j.at("starts").get<int64_t>()));
      r.ends = UnixMicros(std::chrono::microseconds(j.at("ends").get<int64_t>()));
      r.comment = j.at("comment").get<std::string>();
      r.author = j.at("author").get<std::string>();
      out.push_back(std::move(r));
    } catch (const nlohmann::json::exception& e) {
      return Corruption("alerts[" + it->key().ToString() + "]: silence record: " + e.what());
    }
  }
  if (!it->status().ok()) return internal::FromRocks(it->status(), "listing silences");
  return out;
}

}  // namespace assay::storage
