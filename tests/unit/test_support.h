// Helpers shared by unit tests: temporary directories and a fresh SQLite store.
#pragma once

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "store/sqlite_store.h"

namespace hypersdk::test {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("hypersdk-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct StoreFixture {
  TempDir dir;
  std::shared_ptr<store::Database> db;
  std::unique_ptr<store::SqliteStore> store;

  StoreFixture() {
    store::DatabaseOptions opts;
    opts.path = dir.file("test.db");
    opts.synchronous_full = false;
    auto r = store::Database::open(opts);
    if (!r) throw std::runtime_error(r.error().message);
    db = std::move(r.value());
    store = std::make_unique<store::SqliteStore>(db);
  }
};

}  // namespace hypersdk::test
