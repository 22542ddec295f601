#include "storage/internal/rocks_status.h"

#include <string>

namespace assay::storage::internal {

Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::Ok();
  std::string message(context);
  message += ": ";
  message += s.ToString();
  StatusCode code = StatusCode::kInternal;
  switch (s.code()) {
    case rocksdb::Status::kOk:
      return Status::Ok();
    case rocksdb::Status::kNotFound:
      code = StatusCode::kNotFound;
      break;
    case rocksdb::Status::kCorruption:
      code = StatusCode::kCorruption;
      break;
    case rocksdb::Status::kInvalidArgument:
      code = StatusCode::kInvalidArgument;
      break;
    case rocksdb::Status::kNotSupported:
      code = StatusCode::kFailedPrecondition;
      break;
    case rocksdb::Status::kIOError:
      code = s.IsNoSpace() ? StatusCode::kUnavailable : StatusCode::kIOError;
      break;
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kIncomplete:
      code = StatusCode::kUnavailable;
      break;
    default:
      code = StatusCode::kInternal;
      break;
  }
  return Status(code, std::move(message));
}

}  // namespace assay::storage::internal
