// PgDatabase's write health (store/pg/pg_database.h): what /ready's database:writable reports
// on PostgreSQL. A write that loses its server marks writes failing with the reason; a write
// refused for its content does not; the next write that commits clears it.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "store_conformance.h"

using namespace hypersdk;
using store::pg::PgDatabase;
using store::pg::Tx;

TEST_CASE("a write whose connection the server dropped marks writes failing until one commits") {
  test::PgTestSchema schema;
  auto opened = PgDatabase::open(schema.url());
  REQUIRE(opened.ok());
  PgDatabase& db = **opened;
  CHECK_FALSE(db.write_health().failing);

  // A refusal by the write itself is no storage failure.
  (void)db.write([](Tx&) { return Status(make_error(ErrorClass::not_found, "no job j-1")); });
  CHECK_FALSE(db.write_health().failing);

  // The pool's one idle connection: the server ends it, as a restart or a failover does.
  std::string pid;
  REQUIRE(db.write([&](Tx& tx) {
              pid = tx.exec("SELECT pg_backend_pid()").text(0, 0);
              return Status::Ok();
            }).ok());
  REQUIRE(
      store::pg::exec_once(test::pg_test_url(), "SELECT pg_terminate_backend(" + pid + ")").ok());
  auto watcher = PgDatabase::open(schema.url());
  REQUIRE(watcher.ok());
  for (int i = 0; i < 500; ++i) {  // until the backend is gone (a positive signal, not a sleep)
    std::int64_t alive = 1;
    REQUIRE((*watcher)
                ->read([&](Tx& tx) {
                  alive =
                      tx.exec("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid).i64(0, 0);
                  return Status::Ok();
                })
                .ok());
    if (alive == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  Status lost = db.probe_write(1);
  REQUIRE_FALSE(lost.ok());
  CHECK(lost.error().cls == ErrorClass::unavailable);
  auto health = db.write_health();
  CHECK(health.failing);
  CHECK(health.failures == 1);
  CHECK(health.episodes == 1);
  CHECK_FALSE(health.reason.empty());

  // The dropped connection left the pool; the next write connects again and clears it.
  REQUIRE(db.probe_write(2).ok());
  health = db.write_health();
  CHECK_FALSE(health.failing);
  CHECK(health.failures == 0);
  CHECK(health.episodes == 1);
  CHECK(health.last_reason == lost.error().message);
}
