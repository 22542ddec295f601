// Helpers shared by the storage tests: ASSERT_OK, temporary directories,
// random model values.
#ifndef ASSAY_TESTS_STORAGE_TEST_UTIL_H_
#define ASSAY_TESTS_STORAGE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>
#include <string>

#include "core/article.h"
#include "core/status.h"

namespace assay::storage::testing {

inline Status ToStatus(const Status& s) { return s; }
template <typename T>
Status ToStatus(const Result<T>& r) {
  return r.status();
}

// Prints the Status when it is not ok.
#define ASSERT_OK(expr)                                                      \
  do {                                                                       \
    const ::assay::Status assert_ok_status_ =                                \
        ::assay::storage::testing::ToStatus(expr);                           \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_.ToString();     \
  } while (0)

// A fresh directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "assay_storage_test.XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << templ;
    }
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Random strings that exercise the encoding: empty, short, long, any byte
// (NUL and invalid UTF-8 included; the store must not care).
inline std::string RandomString(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> shape(0, 9);
  size_t len = 0;
  switch (shape(rng)) {
    case 0: len = 0; break;
    case 1: len = 200 + rng() % 2000; break;
    default: len = rng() % 24; break;
  }
  std::string s(len, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

inline std::optional<UnixSeconds> RandomOptionalTime(std::mt19937_64& rng) {
  if (rng() % 3 == 0) return std::nullopt;
  return UnixSeconds(std::chrono::seconds(static_cast<int64_t>(rng())));
}

inline int64_t RandomInt64(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0: return 0;
    case 1: return static_cast<int64_t>(rng() % 1000) - 500;
    default: return static_cast<int64_t>(rng());
  }
}

inline Article RandomArticle(std::mt19937_64& rng) {
  Article a;
  a.id = RandomString(rng);
  a.feed_url = RandomString(rng);
  a.link = RandomString(rng);
  a.guid = RandomString(rng);
  a.title = RandomString(rng);
  a.summary = RandomString(rng);
  a.content = RandomString(rng);
  a.author = RandomString(rng);
  for (size_t n = rng() % 4; n > 0; --n) a.categories.push_back(RandomString(rng));
  for (size_t n = rng() % 3; n > 0; --n) {
    Enclosure e{RandomString(rng), RandomString(rng), std::nullopt};
    if (rng() % 2) e.length = RandomInt64(rng);
    a.enclosures.push_back(e);
  }
  a.published = RandomOptionalTime(rng);
  a.updated = RandomOptionalTime(rng);
  a.fetched = UnixSeconds(std::chrono::seconds(RandomInt64(rng)));
  a.content_hash = rng();
  a.story_signature = RandomString(rng);
  a.story_id = RandomString(rng);
  return a;
}

inline FeedState RandomFeedState(std::mt19937_64& rng) {
  FeedState f;
  f.url = RandomString(rng);
  f.current_url = RandomString(rng);
  f.name = RandomString(rng);
  f.title = RandomString(rng);
  f.etag = RandomString(rng);
  f.last_modified = RandomString(rng);
  f.outcome = static_cast<FetchOutcome>(rng() % 4);
  f.http_status = static_cast<long>(RandomInt64(rng));
  f.last_error = RandomString(rng);
  f.last_fetch = RandomOptionalTime(rng);
  f.last_success = RandomOptionalTime(rng);
  f.next_attempt = RandomOptionalTime(rng);
  f.consecutive_failures = static_cast<uint32_t>(rng());
  f.hint_seconds = RandomInt64(rng);
  f.article_count = rng();
  f.warning_count = static_cast<uint32_t>(rng());
  f.last_warning = RandomString(rng);
  return f;
}

inline std::vector<std::pair<std::string, std::string>> RawEntries(const std::string& path,
                                                            std::string_view family) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const std::string& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, descs, &handles, &raw);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return out;
  std::unique_ptr<rocksdb::DB> db(raw);
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    if (h->GetName() != family) continue;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  }
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  return out;
}

// Writes `value` under `key` in `family` (deletes the key when `value` is
// nullopt) through the raw RocksDB API, bypassing the store: how the tests
// break a store on purpose. The store must be closed.
inline void RawWrite(const std::string& path, std::string_view family, const std::string& key,
                     const std::optional<std::string>& value) {
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const std::string& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::Open(rocksdb::DBOptions(), path, descs, &handles, &raw);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  bool found = false;
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    if (h->GetName() != family) continue;
    found = true;
    rocksdb::Status w = value ? db->Put(rocksdb::WriteOptions(), h, key, *value)
                              : db->Delete(rocksdb::WriteOptions(), h, key);
    EXPECT_TRUE(w.ok()) << w.ToString();
  }
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  EXPECT_TRUE(found) << "no family " << family;
}

}  // namespace assay::storage::testing

#endif  // ASSAY_TESTS_STORAGE_TEST_UTIL_H_
