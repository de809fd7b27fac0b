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

TEST_CASE("migration 0003 moves job_logs lines into chunks, keeping their seq") {
  test::TempDir dir;
  const std::string path = dir.file("v2.db");
  {
    auto db = Database::open({.path = path, .migrate = false});
    REQUIRE(db.ok());
    REQUIRE((*db)
                ->write([&](Connection& c) {
                  for (const auto& m : embedded_migrations())
                    if (m.version <= 2) c.db().exec(m.sql);
                  c.db().exec("PRAGMA user_version=2");
                  c.db().exec(
                      "INSERT INTO jobs (id, type, status, max_retries, retry_policy, run_at,"
                      " created_at) VALUES (1, 'exec', 'succeeded', 3, '{}', 0, 0),"
                      " (2, 'exec', 'succeeded', 3, '{}', 0, 0)");
                  c.db().exec(
                      "INSERT INTO job_logs (seq, job_id, ts, stream, line) VALUES"
                      " (10, 1, 100, 'stdout', 'one'), (11, 2, 101, 'stdout', 'other'),"
                      " (12, 1, 102, 'stderr', 'two \"quoted\"')");
                  return Status::Ok();
                })
                .ok());
  }
  auto db = Database::open({.path = path});
  REQUIRE(db.ok());
  SqliteStore store(std::shared_ptr<Database>(std::move(db.value())));
  auto lines = store.job_log_read(1, 0, 10).value();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].seq == 10);
  CHECK(lines[0].line == "one");
  CHECK(lines[1].seq == 12);
  CHECK(lines[1].stream == "stderr");
  CHECK(lines[1].line == "two \"quoted\"");
  CHECK(lines[1].ts == 102);
  // New lines continue after the moved ones, so a client resuming at seq 12 sees them.
  REQUIRE(store.job_log_append({{0, 1, 200, "stdout", "three"}}).ok());
  auto after = store.job_log_read(1, 12, 10).value();
  REQUIRE(after.size() == 1);
  CHECK(after[0].seq == 13);
  CHECK(after[0].line == "three");
}
