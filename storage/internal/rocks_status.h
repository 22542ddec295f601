// FromRocks: a rocksdb::Status as an assay Status, with context.
//
// Internal to storage/. Pure: any thread.
#ifndef ASSAY_STORAGE_INTERNAL_ROCKS_STATUS_H_
#define ASSAY_STORAGE_INTERNAL_ROCKS_STATUS_H_

#include <string_view>

#include <rocksdb/status.h>

#include "core/status.h"

namespace assay::storage::internal {

// Maps RocksDB's codes onto assay's: NotFound, Corruption and InvalidArgument
// keep their meaning; a full disk, Busy, TimedOut, TryAgain and Incomplete
// become Unavailable (transient; retry later); other I/O errors stay
// IOError; NotSupported becomes FailedPrecondition; the rest Internal.
// `context` says what was being done ("writing ingest batch for feed X").
Status FromRocks(const rocksdb::Status& s, std::string_view context);

}  // namespace assay::storage::internal

#endif  // ASSAY_STORAGE_INTERNAL_ROCKS_STATUS_H_
