#include <doctest/doctest.h>

#include <fstream>

#include "store/migrations.h"
#include "test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;

TEST_CASE("a new database is migrated to the latest schema without a backup") {
  test::TempDir dir;
  auto db = Database::open({.path = dir.file("a/b/new.db")});
  REQUIRE(db.ok());
  CHECK((*db)->schema_version() == latest_schema_version());
  CHECK((*db)->migration().backup_path.empty());
  CHECK((*db)->check().ok);
}

TEST_CASE("a database newer than the binary is refused with a clear error") {
  test::TempDir dir;
  {
    auto db = Database::open({.path = dir.file("x.db")});
    REQUIRE(db.ok());
    REQUIRE((*db)
                ->write([](Connection& c) {
                  c.db().exec("PRAGMA user_version=999");
                  return Status::Ok();
                })
                .ok());
  }
  auto again = Database::open({.path = dir.file("x.db")});
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().cls == ErrorClass::conflict);
  CHECK(again.error().message.find("newer than this hypersdk") != std::string::npos);
}

TEST_CASE("a file that is not a database is a clear error") {
  test::TempDir dir;
  std::ofstream(dir.file("junk.db")) << "this is not sqlite at all, just some text padding......";
  auto db = Database::open({.path = dir.file("junk.db")});
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().message.find("not a hypersdk database") != std::string::npos);
}

TEST_CASE("migrating an older database takes a backup first") {
  test::TempDir dir;
  const std::string path = dir.file("old.db");
  const auto& migrations = embedded_migrations();
  REQUIRE(migrations.size() >= 2);
  {
    // A database as the previous release left it: every migration but the last.
    auto db = Database::open({.path = path, .migrate = false});
    REQUIRE(db.ok());
    REQUIRE((*db)
                ->write([&](Connection& c) {
                  for (std::size_t i = 0; i + 1 < migrations.size(); ++i)
                    c.db().exec(migrations[i].sql);
                  c.db().exec("PRAGMA user_version=" +
                              std::to_string(migrations[migrations.size() - 2].version));
                  c.db().exec(
                      "INSERT INTO jobs (type, status, max_retries, retry_policy, run_at,"
                      " created_at) VALUES ('noop', 'queued', 3, '{}', 0, 0)");
                  return Status::Ok();
                })
                .ok());
  }
  auto db = Database::open({.path = path});
  REQUIRE(db.ok());
  const auto& report = (*db)->migration();
  CHECK(report.from_version == migrations[migrations.size() - 2].version);
  CHECK(report.to_version == latest_schema_version());
  REQUIRE_FALSE(report.backup_path.empty());
  // The backup is the old database, intact, at the old version.
  auto backup = Database::open({.path = report.backup_path, .migrate = false});
  REQUIRE(backup.ok());
  CHECK((*backup)->schema_version() == report.from_version);
  CHECK((*backup)->check().jobs == 1);
  CHECK((*db)->check().ok);
}
