// The store conformance fixture: the same test cases against both drivers (DESIGN §3). A
// ConformanceFixture is a fresh SQLite store, or, when HYPERSDK_TEST_PG_URL names a
// PostgreSQL server (tests/pg/with_pg.sh sets it; ctest's "unit-pg: store conformance"), a
// PostgreSQL store in a schema of its own (created with a random name, dropped at the end).
// Conformance tests use only the port (f.store); a test that looks at SQLite's own tables
// uses test::StoreFixture (test_support.h) and stays SQLite-only.
// The files that hold conformance tests are listed in tests/CMakeLists.txt
// (HYPERSDK_PG_CONFORMANCE); PostgreSQL-only tests are in tests/pg/ (hypersdk_pg_unit).
#pragma once

#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "store/backend.h"
#include "store/pg/pg_backend.h"
#include "store/pg/pg_database.h"
#include "store/pg/pg_store.h"
#include "test_support.h"

namespace hypersdk::test {

// The server's URL, or empty when the conformance tests run on SQLite.
inline std::string pg_test_url() {
  const char* url = std::getenv("HYPERSDK_TEST_PG_URL");
  return url ? url : "";
}

// A schema of its own on the test server, dropped at the end; url() selects it
// (search_path), so every migration and statement of a store on it lands there.
class PgTestSchema {
 public:
  PgTestSchema() : base_(pg_test_url()) {
    if (base_.empty())
      throw std::runtime_error(
          "HYPERSDK_TEST_PG_URL is not set: run PostgreSQL tests under tests/pg/with_pg.sh");
    std::random_device rd;
    name_ = "t_" + std::to_string(rd()) + "_" + std::to_string(rd());
    if (auto s = store::pg::exec_once(base_, "CREATE SCHEMA " + name_); !s.ok())
      throw std::runtime_error(s.error().message);
  }
  ~PgTestSchema() { (void)store::pg::exec_once(base_, "DROP SCHEMA " + name_ + " CASCADE"); }
  PgTestSchema(const PgTestSchema&) = delete;
  PgTestSchema& operator=(const PgTestSchema&) = delete;

  const std::string& name() const { return name_; }
  std::string url() const {
    return base_ + (base_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           name_;
  }

 private:
  std::string base_;
  std::string name_;
};

struct ConformanceFixture {
  std::unique_ptr<PgTestSchema> schema;  // PostgreSQL only
  std::unique_ptr<StoreFixture> sqlite;  // SQLite only
  std::unique_ptr<store::Store> store;
  // The side ports (outbox, audit, backups, uploads, ...) on the same database.
  std::shared_ptr<store::StoreBackend> backend;
  bool pg = false;

  ConformanceFixture() {
    if (pg_test_url().empty()) {
      sqlite = std::make_unique<StoreFixture>();
      store = std::move(sqlite->store);
      backend = store::StoreBackend::over_sqlite(sqlite->db);
      return;
    }
    pg = true;
    schema = std::make_unique<PgTestSchema>();
    auto db = store::pg::PgDatabase::open(schema->url());
    if (!db) throw std::runtime_error(db.error().message);
    std::shared_ptr<store::pg::PgDatabase> shared = std::move(db.value());
    store = std::make_unique<store::pg::PgStore>(shared);
    backend = std::make_shared<store::pg::PgBackend>(shared);
  }
  ~ConformanceFixture() {  // the pool's connections close before the DROP
    store.reset();
    backend.reset();
  }
};

}  // namespace hypersdk::test
