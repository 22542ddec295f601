// The RocksDB database behind a Store, for storage's own code that works on
// it below the Store interface: retention (retention.cc) and maintenance
// (maintenance.cc: event rewrites, verify, backup, compaction).
//
// Internal to storage/. A RawDb borrows everything from its Store and is
// valid while the Store lives. Writers hold *write_mu for each batch they
// write, like Apply(), so that the meta counters stay exact.
#ifndef ASSAY_STORAGE_INTERNAL_RAW_DB_H_
#define ASSAY_STORAGE_INTERNAL_RAW_DB_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "storage/internal/keys.h"

namespace assay::storage::internal {

struct RawDb {
  const std::string* path = nullptr;
  bool read_only = true;
  rocksdb::DB* db = nullptr;
  const std::array<rocksdb::ColumnFamilyHandle*, kFamilyCount>* handles = nullptr;
  std::mutex* write_mu = nullptr;
  std::atomic<uint64_t>* article_count = nullptr;
  std::atomic<uint64_t>* event_count = nullptr;
  const rocksdb::WriteOptions* write_options = nullptr;

  rocksdb::ColumnFamilyHandle* cf(Family f) const { return (*handles)[f]; }
};

}  // namespace assay::storage::internal

#endif  // ASSAY_STORAGE_INTERNAL_RAW_DB_H_
