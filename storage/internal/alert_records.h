// Keys and encodings of the `alerts` and `outbox` families (FORMAT.md), for
// Apply() (store.cc) and storage/alerts.cc.
//
// Internal to storage/. Pure functions: any thread.
#ifndef ASSAY_STORAGE_INTERNAL_ALERT_RECORDS_H_
#define ASSAY_STORAGE_INTERNAL_ALERT_RECORDS_H_

#include <rocksdb/status.h>

#include <span>
#include <string>
#include <string_view>

#include "core/alert.h"
#include "core/status.h"

namespace rocksdb {
class WriteBatch;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace assay::storage::internal {

std::string AlertKey(std::string_view id);         // "a" + id
std::string NotificationKey(std::string_view id);  // "n" + id
// "p" + 8-byte time + id: the pending notifications in due order.
std::string PendingKey(UnixMicros next_attempt, std::string_view id);

std::string EncodeAlert(const AlertRecord& a);
Result<AlertRecord> DecodeAlert(std::string_view value);
std::string EncodeNotification(const Notification& n);
Result<Notification> DecodeNotification(std::string_view value);

// Adds the records (and the pending entries of pending notifications) to
// `batch`.
rocksdb::Status PutAlertRecords(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* alerts,
                                rocksdb::ColumnFamilyHandle* outbox,
                                std::span<const AlertRecord> records,
                                std::span<const Notification> notifications);

}  // namespace assay::storage::internal

#endif  // ASSAY_STORAGE_INTERNAL_ALERT_RECORDS_H_
