// assay db backup|restore|verify|compact: the safety of the store.
//
//   backup DIR      a consistent copy of the store, taken beside a running
//                   daemon (from a secondary instance; Store::WriteBackup)
//   restore BACKUP  replaces the store with a backup (--force when a store
//                   exists; refused while a daemon holds it)
//   verify          checks every index entry, event pointer and time entry
//                   (Store::Verify); exit 1 listing the problems
//   compact         full compaction; needs the daemon stopped
//
// Exit status: 0 done (verify: no problem), 1 verify found problems, 2 a
// usage, store or I/O error, with one line on stderr.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/store_access.h"

namespace assay::cli {
namespace {

namespace fs = std::filesystem;

struct DbFlags {
  StoreFlags store;
  std::string backup_dir;
  bool force = false;
  std::string format = "text";
  size_t max_problems = 1000;
};

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const uintmax_t n = it->file_size(size_ec);
      if (!size_ec) total += n;
    }
  }
  return total;
}

std::string Megabytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

int Fail(std::string_view command, const Status& s) {
  std::cerr << "assay db " << command << ": " << s.message() << "\n";
  return 2;
}

int RunBackup(const DbFlags& f) {
  auto store = ReadOnlyStore::Open(f.store);
  if (!store) return Fail("backup", store.error());
  Result<storage::BackupInfo> info = (*store)->store().WriteBackup(f.backup_dir);
  if (!info) return Fail("backup", info.error());
  std::cout << "backed up " << (*store)->path() << " to " << f.backup_dir << ": "
            << info->counts.events << " events, " << info->counts.articles << " articles, "
            << info->counts.feeds << " feeds (" << info->keys << " keys, "
            << Megabytes(DirectoryBytes(f.backup_dir)) << ")\n";
  return 0;
}

int RunRestore(const DbFlags& f) {
  Result<std::string> path = ResolveStorePath(f.store);
  if (!path) return Fail("restore", path.error());
  if (Status s = storage::Store::RestoreBackup(f.backup_dir, *path, f.force); !s.ok()) {
    if (s.message().find("in use") != std::string::npos) {
      return Fail("restore", FailedPrecondition(s.message() + " (a running assayd?); stop it first"));
    }
    return Fail("restore", s);
  }
  std::cout << "restored " << *path << " from " << f.backup_dir << "\n";
  return 0;
}

int RunVerify(const DbFlags& f) {
  auto store = ReadOnlyStore::Open(f.store);
  if (!store) return Fail("verify", store.error());
  Result<storage::VerifyReport> r = (*store)->store().Verify(f.max_problems);
  if (!r) return Fail("verify", r.error());
  if (f.format == "json") {
    nlohmann::ordered_json out = {{"store", (*store)->path()},
                                  {"ok", r->ok()},
                                  {"events", r->events},
                                  {"index_entries", r->index_entries},
                                  {"articles", r->articles},
                                  {"article_time_entries", r->article_time_entries},
                                  {"problem_count", r->problem_count},
                                  {"problems", r->problems}};
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    for (const std::string& p : r->problems) std::cout << p << "\n";
    if (r->problem_count > r->problems.size()) {
      std::cout << "... and " << (r->problem_count - r->problems.size()) << " more\n";
    }
    std::cout << (*store)->path() << ": " << r->events << " events, " << r->index_entries
              << " index entries, " << r->articles << " articles, " << r->article_time_entries
              << " time entries: "
              << (r->ok() ? std::string("ok")
                          : std::to_string(r->problem_count) + " problem" +
                                (r->problem_count == 1 ? "" : "s"))
              << "\n";
  }
  std::cout.flush();
  if (!std::cout) return 2;
  return r->ok() ? 0 : 1;
}

int RunCompact(const DbFlags& f) {
  Result<std::string> path = ResolveStorePath(f.store);
  if (!path) return Fail("compact", path.error());
  const uint64_t before = DirectoryBytes(*path);
  {
    Result<std::unique_ptr<storage::Store>> store = OpenStoreForWriting(f.store, "db compact");
    if (!store) return Fail("compact", store.error());
    if (Status s = (*store)->CompactAll(); !s.ok()) return Fail("compact", s);
  }
  std::cout << "compacted " << *path << ": " << Megabytes(before) << " -> "
            << Megabytes(DirectoryBytes(*path)) << "\n";
  return 0;
}

}  // namespace

void AddDbCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<DbFlags>();
  CLI::App* db = app.add_subcommand("db", "Back up, restore, verify and compact the store");
  db->require_subcommand(1);

  CLI::App* backup = db->add_subcommand(
      "backup", "Write a consistent copy of the store to DIR (works while assayd runs)");
  f->store.AddTo(backup);
  backup->add_option("dir", f->backup_dir, "backup directory (new or empty)")->required();
  backup->callback([f, exit_code] { *exit_code = RunBackup(*f); });

  CLI::App* restore = db->add_subcommand(
      "restore", "Replace the store with a backup (assayd must be stopped)");
  f->store.AddTo(restore);
  restore->add_option("backup", f->backup_dir, "backup directory (from assay db backup)")
      ->required();
  restore->add_flag("--force", f->force, "replace an existing store");
  restore->callback([f, exit_code] { *exit_code = RunRestore(*f); });

  CLI::App* verify = db->add_subcommand(
      "verify", "Check that every index entry, event and time entry points where it should");
  f->store.AddTo(verify);
  verify->add_option("--format", f->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  verify->add_option("--max-problems", f->max_problems, "list at most this many problems")
      ->capture_default_str();
  verify->callback([f, exit_code] { *exit_code = RunVerify(*f); });

  CLI::App* compact = db->add_subcommand(
      "compact", "Compact the whole store (assayd must be stopped)");
  f->store.AddTo(compact);
  compact->callback([f, exit_code] { *exit_code = RunCompact(*f); });
}

}  // namespace assay::cli
