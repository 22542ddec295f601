// How CLI subcommands find and open the store: read-only, as a RocksDB
// secondary instance, so that they work beside a running daemon.
#ifndef ASSAY_CLI_STORE_ACCESS_H_
#define ASSAY_CLI_STORE_ACCESS_H_

#include <memory>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "core/status.h"
#include "storage/store.h"

namespace assay::cli {

// --store PATH and --config FILE, shared by every subcommand that reads the
// store. The store is --store, else the config's store.path (--config, or
// /etc/assay/assay.yaml when it exists), else ./var/assay.
struct StoreFlags {
  std::string store;
  std::string config;
  void AddTo(CLI::App* cmd);
};

// The store directory the flags name (see StoreFlags); an error only for a
// config file that does not load.
Result<std::string> ResolveStorePath(const StoreFlags& flags);

// Opens the store for writing, for the commands that must not run beside a
// daemon (rules replay --apply, db compact). `command` names the command in
// the error: a store held by another process gets "store <path> is in use
// by another process (a running assayd?); stop it first".
Result<std::unique_ptr<storage::Store>> OpenStoreForWriting(const StoreFlags& flags,
                                                            std::string_view command);

// An open read-only store and the scratch directory its secondary instance
// uses; removes the directory when destroyed.
class ReadOnlyStore {
 public:
  static Result<std::unique_ptr<ReadOnlyStore>> Open(const StoreFlags& flags);
  ~ReadOnlyStore();
  storage::Store& store() { return *store_; }
  const std::string& path() const { return path_; }

 private:
  ReadOnlyStore() = default;
  std::unique_ptr<storage::Store> store_;
  std::string path_;
  std::string scratch_;
};

}  // namespace assay::cli

#endif  // ASSAY_CLI_STORE_ACCESS_H_
