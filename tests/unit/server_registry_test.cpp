#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "cli/context.h"
#include "cli/db_backups.h"
#include "ops/log_journal.h"
#include "store/leader_lease.h"
#include "store/migrations.h"
#include "store/server_registry.h"
#include "test_support.h"

using namespace hypersdk;

TEST_CASE("a database without the servers table has no live servers") {
  test::TempDir dir;
  store::DatabaseOptions opts;
  opts.path = dir.file("old.db");
  opts.migrate = false;
  auto db = store::Database::open(opts);
  REQUIRE(db.ok());
  store::SqliteServerRegistry reg(**db);
  auto live = reg.server_list_live(0);
  REQUIRE(live.ok());
  CHECK(live->empty());
  // Nor a leader (cluster status reads both).
  store::SqliteLeaderLease lease(**db);
  auto leader = lease.leader_get(0);
  REQUIRE_MESSAGE(leader.ok(), (leader.ok() ? "" : leader.error().message));
  CHECK(leader->holder.empty());
  CHECK_FALSE(leader->leading);
}

TEST_CASE("a missing database names its path, and the service's when that exists") {
  test::TempDir dir;
  const std::string service = dir.file("service.db");
  Error e = cli::missing_database_error(dir.file("mine.db"), service);
  CHECK(e.cls == ErrorClass::not_found);
  CHECK(e.message.find("no database at " + dir.file("mine.db")) != std::string::npos);
  CHECK(e.message.find("service.db") == std::string::npos);
  std::ofstream(service) << "x";
  e = cli::missing_database_error(dir.file("mine.db"), service);
  CHECK(e.message.find("the service's database is " + service) != std::string::npos);
}

TEST_CASE("the backup to restore is the newest one this binary can read") {
  test::TempDir dir;
  const std::string db = dir.file("hypersdk.db");
  CHECK_FALSE(cli::newest_backup(db, 4).has_value());
  for (const char* name :
       {"hypersdk.db.backup-v1-20250101T000000Z", "hypersdk.db.backup-v2-20260101T000000Z",
        "hypersdk.db.backup-v9-20270101T000000Z", "other.db.backup-v2-20280101T000000Z",
        "hypersdk.db.backup-vX-20290101T000000Z"})
    std::ofstream(dir.file(name)) << "x";
  CHECK(cli::newest_backup(db, 4) == dir.file("hypersdk.db.backup-v2-20260101T000000Z"));
  CHECK(cli::newest_backup(db, 1) == dir.file("hypersdk.db.backup-v1-20250101T000000Z"));

  const Error newer = make_error(ErrorClass::conflict,
                                 "database x has schema version 9, newer than this hypersdk "
                                 "supports (4); upgrade hypersdk, or restore the backup");
  const Error hinted = cli::with_backup_hint(newer, db);
  CHECK(hinted.cls == ErrorClass::conflict);
  CHECK(hinted.message.find("the backup to restore is " +
                            cli::newest_backup(db, store::latest_schema_version()).value()) !=
        std::string::npos);
  const Error other = make_error(ErrorClass::conflict, "something else");
  CHECK(cli::with_backup_hint(other, db).message == "something else");
}

TEST_CASE("journald's stream is recognised by the device and inode of stderr") {
  struct stat st {};
  REQUIRE(::fstat(STDERR_FILENO, &st) == 0);
  const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  const std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  CHECK(ops::stderr_is_journal(mine));
  CHECK_FALSE(ops::stderr_is_journal(other));
  CHECK_FALSE(ops::stderr_is_journal(std::nullopt));
  CHECK_FALSE(ops::stderr_is_journal("garbage"));
  CHECK_FALSE(ops::stderr_is_journal(mine + "x"));
  CHECK(ops::syslog_prefix(ops::LogLevel::error) == "<3>");
  CHECK(ops::syslog_prefix(ops::LogLevel::warn) == "<4>");
  CHECK(ops::syslog_prefix(ops::LogLevel::info) == "<6>");
  CHECK(ops::syslog_prefix(ops::LogLevel::debug) == "<7>");
}
