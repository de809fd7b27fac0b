// Expand/contract across nodes (store/node_versions.h): no schema migration while a live node
// of an older version uses the database. SQLite here; PostgreSQL in
// tests/pg/pg_node_versions_test.cpp.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "store/database.h"
#include "store/migrations.h"
#include "store/node_versions.h"
#include "test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;

namespace {
core::TimeMs real_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

// A database as the previous release left it (every migration but the last), with one row in
// its server registry.
void previous_release_with_node(const std::string& path, const std::string& version,
                                const std::string& host, std::int64_t pid, core::TimeMs heartbeat) {
  const auto& migrations = embedded_migrations();
  auto db = Database::open({.path = path, .migrate = false});
  REQUIRE(db.ok());
  REQUIRE((*db)
              ->write([&](Connection& c) {
                for (std::size_t i = 0; i + 1 < migrations.size(); ++i)
                  c.db().exec(migrations[i].sql);
                c.db().exec("PRAGMA user_version=" +
                            std::to_string(migrations[migrations.size() - 2].version));
                SQLite::Statement st(c.db(),
                                     "INSERT INTO servers (address, pid, host, version, "
                                     "started_at, heartbeat) VALUES ('http://10.0.0.7:8080', ?, "
                                     "?, ?, 0, ?)");
                st.bind(1, static_cast<std::int64_t>(pid));
                st.bind(2, host);
                st.bind(3, version);
                st.bind(4, static_cast<std::int64_t>(heartbeat));
                st.exec();
                return Status::Ok();
              })
              .ok());
}

std::int64_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}
}  // namespace

TEST_CASE("versions compare number by number") {
  CHECK(compare_versions("0.1.0", "0.1.0") == 0);
  CHECK(compare_versions("0.0.9", "0.1.0") < 0);
  CHECK(compare_versions("0.10.0", "0.9.1") > 0);
  CHECK(compare_versions("1.2", "1.2.0") == 0);
  CHECK(compare_versions("1.2.3-rc1", "1.2.3") == 0);
  CHECK(compare_versions("2", "10") < 0);
}

TEST_CASE("no migration while a live node of an older version uses the database") {
  test::TempDir dir;
  const std::string path = dir.file("old.db");
  previous_release_with_node(path, "0.0.1", "other-host", 4242, real_now());
  auto db = Database::open({.path = path});
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().cls == ErrorClass::conflict);
  INFO(db.error().message);
  CHECK(db.error().message.find("not applying schema migrations") != std::string::npos);
  CHECK(db.error().message.find("http://10.0.0.7:8080 (version 0.0.1, other-host:4242") !=
        std::string::npos);
  // Nothing was applied, and no backup was taken.
  auto old = Database::open({.path = path, .migrate = false});
  REQUIRE(old.ok());
  CHECK((*old)->schema_version() ==
        embedded_migrations()[embedded_migrations().size() - 2].version);
}

TEST_CASE("a stale heartbeat, the same version or a dead process on this host blocks nothing") {
  const auto latest = latest_schema_version();
  SUBCASE("stale heartbeat") {
    test::TempDir dir;
    previous_release_with_node(dir.file("a.db"), "0.0.1", "other-host", 1,
                               real_now() - 2 * kNodeFreshMs);
    auto db = Database::open({.path = dir.file("a.db"), .backup_before_migrate = false});
    REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
    CHECK((*db)->schema_version() == latest);
  }
  SUBCASE("same version") {
    test::TempDir dir;
    previous_release_with_node(dir.file("b.db"), HYPERSDK_VERSION, "other-host", 1, real_now());
    auto db = Database::open({.path = dir.file("b.db"), .backup_before_migrate = false});
    REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
    CHECK((*db)->schema_version() == latest);
  }
  SUBCASE("a node on this host killed moments ago") {
    test::TempDir dir;
    previous_release_with_node(dir.file("c.db"), "0.0.1", hostname(), dead_pid(), real_now());
    auto db = Database::open({.path = dir.file("c.db"), .backup_before_migrate = false});
    REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
    CHECK((*db)->schema_version() == latest);
  }
}
