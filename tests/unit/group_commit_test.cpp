// Group commit (store/database_write.cpp): concurrent writes share transactions, and each
// write's outcome is still its own.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;

namespace {

// `threads` x `each` concurrent one-row inserts into t(v); returns the writes that committed
// and the commits that carried them.
Database::WriteCounts concurrent_inserts(Database& db, int threads, int each) {
  const auto before = db.write_counts();
  std::vector<std::thread> pool;
  std::atomic<int> failed{0};
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int i = 0; i < each; ++i)
        if (!db.write([](Connection& c) {
                 c.db().exec("INSERT INTO t(v) VALUES ('x')");
                 return Status::Ok();
               }).ok())
          ++failed;
    });
  for (auto& th : pool) th.join();
  CHECK(failed.load() == 0);
  const auto after = db.write_counts();
  return {after.writes - before.writes, after.commits - before.commits};
}

// Fills the database up to a page limit on the writer connection (PRAGMA max_page_count: the
// same SQLITE_FULL a full disk gives), then lifts the limit again.
void run_into_a_full_disk(Database& db) {
  REQUIRE(db.write([](Connection& c) {
              const auto pages = c.db().execAndGet("PRAGMA page_count").getInt64();
              c.db().exec("PRAGMA max_page_count=" + std::to_string(pages + 2));
              return Status::Ok();
            }).ok());
  Status full;
  for (int i = 0; i < 100 && full.ok(); ++i)
    full = db.write([](Connection& c) {
      c.db().exec("INSERT INTO t(v) VALUES (zeroblob(16384))");
      return Status::Ok();
    });
  REQUIRE_FALSE(full.ok());
  CHECK(full.error().cls == ErrorClass::unavailable);
  CHECK(full.error().message.find("disk full") != std::string::npos);
  const WriteHealth h = db.write_health();
  CHECK(h.failing);
  CHECK(h.single);
  // No rows change here, so this write clears neither the failure nor the single mode.
  REQUIRE(db.write([](Connection& c) {
              c.db().exec("PRAGMA max_page_count=1073741823");
              return Status::Ok();
            }).ok());
  CHECK(db.write_health().single);
}

std::int64_t count_rows(Database& db, const char* sql) {
  std::int64_t n = -1;
  REQUIRE(db.read([&](Connection& c) {
              n = c.db().execAndGet(sql).getInt64();
              return Status::Ok();
            }).ok());
  return n;
}

}  // namespace

TEST_CASE("concurrent writes share commits and each keeps its own outcome") {
  test::TempDir dir;
  auto opened = Database::open({.path = dir.file("g.db"), .synchronous_full = true});
  REQUIRE(opened.ok());
  Database& db = **opened;
  REQUIRE(db.write([](Connection& c) {
              c.db().exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
              return Status::Ok();
            }).ok());
  const auto before = db.write_counts();

  constexpr int kThreads = 16;
  constexpr int kEach = 40;
  std::atomic<int> refused{0}, conflicts{0}, ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string v = std::to_string(t) + "-" + std::to_string(i);
        // Every 5th write inserts, then refuses: its row must not survive. Every 7th inserts
        // a value that exists: a constraint error for it alone.
        const bool refuse = i % 5 == 4;
        const bool clash = i % 7 == 6;
        Status s = db.write([&](Connection& c) {
          auto& ins = c.stmt("INSERT INTO t(v) VALUES (?)");
          ins.bind(1, clash ? std::string("0-0") : v);
          ins.exec();
          return refuse ? invalid_error("refused on purpose") : Status::Ok();
        });
        if (s.ok())
          ++ok;
        else if (s.error().cls == ErrorClass::conflict)
          ++conflicts;
        else
          ++refused;
      }
    });
  for (auto& th : threads) th.join();

  const auto after = db.write_counts();
  CHECK(ok.load() + refused.load() + conflicts.load() == kThreads * kEach);
  CHECK(conflicts.load() > 0);
  CHECK(refused.load() > 0);
  CHECK(count_rows(db, "SELECT count(*) FROM t") == ok.load());
  CHECK(count_rows(db,
                   "SELECT count(*) FROM t WHERE CAST(substr(v, instr(v, '-') + 1) AS INTEGER)"
                   " % 5 = 4") == 0);
  CHECK(after.writes - before.writes == ok.load());
  // 16 writers against an fsync per commit: writes that arrive during one commit share the
  // next, so there are fewer commits than writes.
  CHECK(after.commits - before.commits < ok.load());
  CHECK_FALSE(db.write_health().single);
}

TEST_CASE("a lone write commits alone and a refused one leaves nothing") {
  test::TempDir dir;
  auto opened = Database::open({.path = dir.file("l.db")});
  REQUIRE(opened.ok());
  Database& db = **opened;
  REQUIRE(db.write([](Connection& c) {
              c.db().exec("CREATE TABLE t(v TEXT)");
              return Status::Ok();
            }).ok());
  Status s = db.write([](Connection& c) {
    c.db().exec("INSERT INTO t VALUES ('x')");
    return invalid_error("no");
  });
  CHECK_FALSE(s.ok());
  CHECK(count_rows(db, "SELECT count(*) FROM t") == 0);
}

TEST_CASE("after a full disk writes commit one at a time until space is back") {
  test::TempDir dir;
  // More free space than any filesystem has: once single, writes stay single.
  auto opened = Database::open(
      {.path = dir.file("f.db"), .synchronous_full = true, .regroup_free_bytes = INT64_MAX});
  REQUIRE(opened.ok());
  Database& db = **opened;
  REQUIRE(db.write([](Connection& c) {
              c.db().exec("CREATE TABLE t(v)");
              return Status::Ok();
            }).ok());
  const auto healthy = concurrent_inserts(db, 16, 20);
  CHECK(healthy.writes == 16 * 20);
  CHECK(healthy.commits < healthy.writes);  // grouped while healthy

  run_into_a_full_disk(db);
  const auto after = concurrent_inserts(db, 16, 20);
  CHECK(after.writes == 16 * 20);
  CHECK(after.commits == after.writes);  // each alone: the space never came back
  const WriteHealth h = db.write_health();
  CHECK_FALSE(h.failing);  // writes work: readiness is fine again
  CHECK(h.single);
}

TEST_CASE("a commit with space to spare after a full disk turns grouping back on") {
  test::TempDir dir;
  auto opened =
      Database::open({.path = dir.file("r.db"), .synchronous_full = true, .regroup_free_bytes = 1});
  REQUIRE(opened.ok());
  Database& db = **opened;
  REQUIRE(db.write([](Connection& c) {
              c.db().exec("CREATE TABLE t(v)");
              return Status::Ok();
            }).ok());
  run_into_a_full_disk(db);
  REQUIRE(db.write([](Connection& c) {
              c.db().exec("INSERT INTO t(v) VALUES ('first after')");
              return Status::Ok();
            }).ok());
  CHECK_FALSE(db.write_health().single);
  const auto after = concurrent_inserts(db, 16, 20);
  CHECK(after.writes == 16 * 20);
  CHECK(after.commits < after.writes);
}
