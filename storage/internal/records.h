// Record-level helpers shared by the store's writers and readers
// (store.cc, retention.cc, maintenance.cc).
//
// Internal to storage/. Pure functions: any thread.
#ifndef ASSAY_STORAGE_INTERNAL_RECORDS_H_
#define ASSAY_STORAGE_INTERNAL_RECORDS_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"

namespace assay::storage::internal {

// Every `index` entry of an event stored at `event_key` (the 'a' pointer
// aside), in one place: writing, deleting and verifying an event must use
// the same list (checklist: IndexKind in keys.h, FORMAT.md).
std::vector<std::string> IndexEntries(const Event& e, std::string_view event_key);

// Decodes an `events` entry: the record, checked against its key, with the
// time taken from the key. Corruption for a malformed key or record.
Result<Event> DecodeEventEntry(std::string_view key, std::string_view value);

}  // namespace assay::storage::internal

#endif  // ASSAY_STORAGE_INTERNAL_RECORDS_H_
