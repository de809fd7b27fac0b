// db copy's parts that need no PostgreSQL (store/copy/): text repair, the count check, and the
// refusals that come before any connection (no file, not hypersdk, another schema version, a
// serve running on the file). The copy itself: tests/pg/db_copy_test.cpp.
#include <doctest/doctest.h>

#include <fstream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/copy/db_copy.h"
#include "store/copy/sqlite_source.h"
#include "store/copy/utf8_repair.h"
#include "store/migrations.h"
#include "store/server_registry.h"
#include "test_support.h"

using namespace hypersdk;
using namespace hypersdk::store::copy;

namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;

CopyOptions options(const std::string& from) {
  CopyOptions o;
  o.from = from;
  // Nothing listens on port 1: a test that got this far sees the connection fail.
  o.to = "postgres://app:s3cret@127.0.0.1:1/none?connect_timeout=2";
  o.now_ms = kNow;
  return o;
}

void set_user_version(const std::string& path, int v) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  db.exec("PRAGMA user_version = " + std::to_string(v));
}

}  // namespace

TEST_CASE("valid UTF-8 is left alone, and invalid bytes and NUL become U+FFFD one per byte") {
  std::string ok = "plain ascii, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80";
  CHECK(is_pg_text(ok));
  std::string same = ok;
  CHECK_FALSE(repair_utf8(same));
  CHECK(same == ok);

  const std::string fffd = "\xEF\xBF\xBD";
  struct Case {
    std::string in, out;
  } cases[] = {
      {"a\xFF"
       "b",
       "a" + fffd + "b"},                               // never valid
      {"x\xC3", "x" + fffd},                            // truncated at the end
      {"\xC0\xAF", fffd + fffd},                        // overlong '/'
      {"\xED\xA0\x80", fffd + fffd + fffd},             // a surrogate (U+D800)
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
      {std::string("a\0b", 3), "a" + fffd + "b"},       // PostgreSQL refuses NUL in text
      {"\xE2\x82"
       "A",
       fffd + fffd + "A"},  // a sequence cut short
  };
  for (auto& c : cases) {
    CAPTURE(c.in);
    CHECK_FALSE(is_pg_text(c.in));
    std::string s = c.in;
    CHECK(repair_utf8(s));
    CHECK(s == c.out);
    CHECK(is_pg_text(s));
  }
}

TEST_CASE("the count check names every table whose counts differ, and only those") {
  CHECK(count_mismatches({{"jobs", 3, 3}, {"schedules", 0, 0}}).empty());
  auto m = count_mismatches({{"jobs", 10, 9}, {"audit_log", 2, 2}, {"events", 0, 1}});
  REQUIRE(m.size() == 2);
  CHECK(m[0] == "jobs: 10 in SQLite, 9 in PostgreSQL");
  CHECK(m[1] == "events: 0 in SQLite, 1 in PostgreSQL");
}

TEST_CASE("the source is refused when missing, not a hypersdk database, or of another schema") {
  test::TempDir dir;
  auto missing = SqliteSource::open(dir.file("nope.db"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().cls == ErrorClass::not_found);
  CHECK(missing.error().message.find("nope.db") != std::string::npos);

  std::ofstream(dir.file("junk.db")) << std::string(8192, 'x');
  auto junk = SqliteSource::open(dir.file("junk.db"));
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.error().cls == ErrorClass::invalid);
  CHECK(junk.error().message.find("not a SQLite database") != std::string::npos);

  {
    SQLite::Database other(dir.file("other.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
  }
  auto other = SqliteSource::open(dir.file("other.db"));
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().cls == ErrorClass::invalid);
  CHECK(other.error().message.find("not a hypersdk database") != std::string::npos);

  test::StoreFixture f;
  const std::string path = f.db->path();
  const int latest = store::latest_schema_version();
  REQUIRE(SqliteSource::open(path).ok());
  set_user_version(path, latest - 1);
  auto older = SqliteSource::open(path);
  REQUIRE_FALSE(older.ok());
  CHECK(older.error().cls == ErrorClass::conflict);
  CHECK(older.error().message.find("hypersdk db migrate") != std::string::npos);
  set_user_version(path, latest + 1);
  auto newer = SqliteSource::open(path);
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.error().cls == ErrorClass::conflict);
  CHECK(newer.error().message.find("upgrade hypersdk") != std::string::npos);
}

TEST_CASE("tables come parents first, so every foreign key finds its row already copied") {
  test::StoreFixture f;
  auto src = SqliteSource::open(f.db->path());
  REQUIRE(src.ok());
  auto tables = (*src)->tables();
  REQUIRE(tables.ok());
  std::map<std::string, std::size_t> at;
  for (std::size_t i = 0; i < tables->size(); ++i) at[(*tables)[i].name] = i;
  for (const auto& t : *tables) {
    CAPTURE(t.name);
    CHECK(t.name.rfind("sqlite_", 0) != 0);
    for (const auto& parent : t.references) CHECK(at.at(parent) < at.at(t.name));
  }
  for (const char* name :
       {"jobs", "job_log_chunks", "dead_letters", "schedules", "schedule_occurrences", "workflows",
        "workflow_edges", "events", "deliveries", "delivery_attempts", "audit_log", "uploads",
        "upload_parts", "backups", "workflow_templates", "servers"})
    CHECK_MESSAGE(at.count(name), name);
  CHECK(at["workflows"] < at["jobs"]);
  CHECK(at["uploads"] < at["upload_parts"]);
}

TEST_CASE("a serve with a fresh heartbeat on the file stops the copy before any connection") {
  test::StoreFixture f;
  store::SqliteServerRegistry reg(*f.db);
  store::ServerEntry e;
  e.address = "http://127.0.0.1:8080";
  e.pid = 4242;
  e.host = "here";
  e.version = "test";
  REQUIRE(reg.server_register(e, kNow - 2'000, 0).ok());
  auto r = copy_sqlite_to_postgres(options(f.db->path()));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().cls == ErrorClass::conflict);
  CHECK(r.error().message.find("serve is running") != std::string::npos);
  CHECK(r.error().message.find("pid 4242") != std::string::npos);

  // A heartbeat older than the freshness rule is a serve that died: the copy goes on, here to
  // the unreachable PostgreSQL, whose error never shows the password.
  auto stale = options(f.db->path());
  stale.now_ms = kNow + stale.server_fresh_ms;
  auto r2 = copy_sqlite_to_postgres(stale);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().cls == ErrorClass::unavailable);
  CHECK(r2.error().message.find("app:***@127.0.0.1:1") != std::string::npos);
  CHECK(r2.error().message.find("s3cret") == std::string::npos);
}
