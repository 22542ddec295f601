#include "cli/store_access.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "config/config.h"

namespace assay::cli {

namespace fs = std::filesystem;

void StoreFlags::AddTo(CLI::App* cmd) {
  cmd->add_option("--store", store, "store directory (default: the config's store.path)");
  cmd->add_option("-c,--config", config, "configuration file (default: /etc/assay/assay.yaml)");
}

Result<std::string> ResolveStorePath(const StoreFlags& flags) {
  if (!flags.store.empty()) return flags.store;
  std::string config_path = flags.config;
  if (config_path.empty() && fs::exists(config::kDefaultConfigPath)) {
    config_path = config::kDefaultConfigPath;
  }
  if (config_path.empty()) return fs::absolute("var/assay").string();
  Result<config::Config> cfg = config::LoadConfig(config_path);
  if (!cfg) return cfg.error();
  return cfg->store_path;
}

Result<std::unique_ptr<storage::Store>> OpenStoreForWriting(const StoreFlags& flags,
                                                            std::string_view command) {
  Result<std::string> path = ResolveStorePath(flags);
  if (!path) return path.error();
  Result<std::unique_ptr<storage::Store>> store =
      storage::Store::Open(*path, storage::StoreOptions{.create_if_missing = false});
  if (!store && store.error().code() == StatusCode::kFailedPrecondition &&
      store.error().message().find("in use") != std::string::npos) {
    return FailedPrecondition(std::string(command) + " needs the store to itself, and store " +
                              *path +
                              " is in use by another process (a running assayd?); stop it first");
  }
  return store;
}

Result<std::unique_ptr<ReadOnlyStore>> ReadOnlyStore::Open(const StoreFlags& flags) {
  Result<std::string> resolved = ResolveStorePath(flags);
  if (!resolved) return resolved.error();
  const std::string& path = *resolved;
  std::string scratch = (fs::temp_directory_path() / "assay-cli-XXXXXX").string();
  if (mkdtemp(scratch.data()) == nullptr) {
    return IOError("cannot create a scratch directory in " + fs::temp_directory_path().string());
  }
  auto out = std::unique_ptr<ReadOnlyStore>(new ReadOnlyStore());
  out->path_ = path;
  out->scratch_ = scratch;
  Result<std::unique_ptr<storage::Store>> store = storage::Store::OpenSecondary(path, scratch);
  if (!store) return store.error();
  out->store_ = std::move(*store);
  return out;
}

ReadOnlyStore::~ReadOnlyStore() {
  store_.reset();
  std::error_code ignored;
  if (!scratch_.empty()) fs::remove_all(scratch_, ignored);
}

}  // namespace assay::cli
