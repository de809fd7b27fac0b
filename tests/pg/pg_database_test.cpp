// The PostgreSQL connection layer and migrations (store/pg/pg_database.h) against a real
// server: built into hypersdk_pg_unit, run by ctest's "unit-pg: store conformance" beside a
// throwaway PostgreSQL (tests/pg/with_pg.sh).
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "store/pg/pg_migrations.h"
#include "store_conformance.h"

using namespace hypersdk;
using store::pg::p;
using store::pg::PgDatabase;
using store::pg::Tx;

TEST_CASE("open migrates a new database to the binary's version, and again is a no-op") {
  test::PgTestSchema schema;
  auto db = PgDatabase::open(schema.url());
  REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  CHECK((*db)->schema_version().value() == store::pg::embedded_pg_migrations().back().version);
  db = PgDatabase::open(schema.url());
  REQUIRE(db.ok());
  CHECK((*db)->schema_version().value() == store::pg::embedded_pg_migrations().back().version);
}

TEST_CASE("a schema newer than the binary is refused with a conflict") {
  test::PgTestSchema schema;
  {
    auto db = PgDatabase::open(schema.url());
    REQUIRE(db.ok());
    REQUIRE((*db)
                ->write([](Tx& tx) {
                  tx.exec("INSERT INTO schema_version (version, name) VALUES (9999, 'future')");
                  return Status::Ok();
                })
                .ok());
  }
  auto db = PgDatabase::open(schema.url());
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().cls == ErrorClass::conflict);
  CHECK(db.error().message.find("9999") != std::string::npos);
}

TEST_CASE("statement errors carry a class, and a failed write leaves nothing behind") {
  test::PgTestSchema schema;
  auto db = std::move(PgDatabase::open(schema.url()).value());
  auto insert = [&](const std::string& key) {
    return db->write([&](Tx& tx) {
      tx.exec(
          "INSERT INTO jobs (type, status, max_retries, retry_policy, run_at, created_at,"
          " idempotency_key) VALUES ('noop', 'queued', 0, '{}', 1, 1, $1)",
          {p(key)});
      return Status::Ok();
    });
  };
  REQUIRE(insert("k").ok());
  auto dup = insert("k");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().cls == ErrorClass::conflict);
  auto bad = db->write([](Tx& tx) {
    tx.exec("INSERT INTO jobs (type) VALUES ('x')");  // NOT NULL columns missing
    return Status::Ok();
  });
  CHECK(bad.error().cls == ErrorClass::internal);
  // A non-ok Status rolls back what fn wrote.
  auto undone = db->write([](Tx& tx) {
    tx.exec(
        "INSERT INTO jobs (type, status, max_retries, retry_policy, run_at, created_at)"
        " VALUES ('noop', 'queued', 0, '{}', 1, 1)");
    return Status(invalid_error("changed my mind"));
  });
  CHECK(undone.error().cls == ErrorClass::invalid);
  std::int64_t n = 0;
  REQUIRE(db->read([&](Tx& tx) {
              n = tx.exec("SELECT count(*) FROM jobs").i64(0, 0);
              return Status::Ok();
            }).ok());
  CHECK(n == 1);
}

TEST_CASE("params: NULL, integers, text and booleans as 1/0") {
  test::PgTestSchema schema;
  auto db = std::move(PgDatabase::open(schema.url()).value());
  REQUIRE(db->read([&](Tx& tx) {
              auto r = tx.exec(
                  "SELECT $1::bigint, $2::text, $3::bigint, $4::bigint",
                  {p(std::optional<std::int64_t>{}), p("a'b"), p(true), p(std::int64_t{1} << 40)});
              CHECK(r.size() == 1);
              CHECK(r.null(0, 0));
              CHECK(r.i64(0, 0) == 0);
              CHECK_FALSE(r.opt_i64(0, 0).has_value());
              CHECK(r.text(0, 1) == "a'b");
              CHECK(r.i64(0, 2) == 1);
              CHECK(r.i64(0, 3) == (std::int64_t{1} << 40));
              return Status::Ok();
            }).ok());
}

TEST_CASE("serializable writes that conflict are run again until both apply") {
  test::PgTestSchema schema;
  auto db = std::move(PgDatabase::open(schema.url()).value());
  // Read-modify-write of one row from several threads: without the retry on 40001 some
  // increments would fail (or, under a weaker isolation, be lost).
  constexpr int kThreads = 4, kEach = 10;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto s = db->write([](Tx& tx) {
          auto g = tx.exec("SELECT generation FROM schedule_generation WHERE id = 1").i64(0, 0);
          tx.exec("UPDATE schedule_generation SET generation = $1::bigint WHERE id = 1",
                  {p(g + 1)});
          return Status::Ok();
        });
        if (!s.ok()) ++failed;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failed.load() == 0);
  std::int64_t g = 0;
  REQUIRE(db->read([&](Tx& tx) {
              g = tx.exec("SELECT generation FROM schedule_generation").i64(0, 0);
              return Status::Ok();
            }).ok());
  CHECK(g == kThreads * kEach);
}

TEST_CASE("data_version moves after a write that changed rows, not after one that did not") {
  test::PgTestSchema schema;
  auto db = std::move(PgDatabase::open(schema.url()).value());
  const auto v0 = db->data_version().value();
  REQUIRE(db->write([](Tx& tx) {
              tx.exec("UPDATE jobs SET priority = 1 WHERE id = -1");
              return Status::Ok();
            }).ok());
  CHECK(db->data_version().value() == v0);
  REQUIRE(db->write([](Tx& tx) {
              tx.exec("UPDATE store_probe SET at = 5 WHERE id = 1");
              return Status::Ok();
            }).ok());
  CHECK(db->data_version().value() > v0);
}

TEST_CASE("an unreachable server is unavailable and names the URL without its password") {
  auto db = PgDatabase::open("postgres://u:pw@127.0.0.1:1/none?connect_timeout=2");
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().cls == ErrorClass::unavailable);
  CHECK(db.error().message.find("u:***@127.0.0.1:1") != std::string::npos);
  CHECK(db.error().message.find("pw") == std::string::npos);
}
