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
  {
    auto db = Database::open({.path = path});
    REQUIRE(db.ok());
    REQUIRE((*db)
                ->write([](Connection& c) {
                  c.db().exec("PRAGMA user_version=0");
                  c.db().exec("DROP TABLE dead_letters; DROP TABLE job_logs; DROP TABLE jobs;");
                  c.db().exec("CREATE TABLE legacy(x)");
                  c.db().exec("PRAGMA user_version=0");
                  return Status::Ok();
                })
                .ok());
  }
  // A version-0 database with content is treated as new (nothing to back up); fake v1 instead.
  auto db = Database::open({.path = path, .migrate = false});
  REQUIRE(db.ok());
  auto r = (*db)->migrate(true);
  REQUIRE(r.ok());
  CHECK_FALSE(r->backup_path.empty());
  CHECK(std::filesystem::exists(r->backup_path));
  CHECK(r->to_version == latest_schema_version());
}
