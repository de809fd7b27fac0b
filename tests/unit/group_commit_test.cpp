// Group commit (store/database_write.cpp): concurrent writes share transactions, and each
// write's outcome is still its own.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;

namespace {

std::int64_t count_rows(Database& db, const char* sql) {
  std::int64_t n = -1;
  REQUIRE(db.read([&](Connection& c) {
              n = c.db().execAndGet(sql).getInt64();
              return Status::Ok();
            }).ok());
  return n;
}

// Holds the writer with one write until release(), so that writes started meanwhile queue up
// and the next leader runs them as one group.
class WriterGate {
 public:
  explicit WriterGate(Database& db) : db_(db) {
    holder_ = std::thread([this] {
      held_ok_ = db_.write([this](Connection&) {
                      holding_ = true;
                      while (!released_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                      return Status::Ok();
                    })
                     .ok();
    });
    while (!holding_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Lets the held write (and the queue behind it) go once `started` writers have called
  // write() and had a moment to queue.
  void release_after(const std::atomic<int>& started, int n) {
    while (started < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    released_ = true;
    holder_.join();
    CHECK(held_ok_);
  }

 private:
  Database& db_;
  std::thread holder_;
  std::atomic<bool> holding_{false}, released_{false};
  bool held_ok_ = false;
};

constexpr int kGroup = 8;

// Runs kGroup inserts of "<round>-<i>" while the writer is held (WriterGate), so that they
// queue and commit together; `inject(c, i)` runs inside write i after its insert. The
// database has no other writer, so commits == 2 (the gate's and one more) proves they were
// one group. The Database does not say who waits (its header is kept lean), so a caller
// repeats the round until one formed a whole group; every round's outcomes are checked.
struct Round {
  std::vector<Status> results = std::vector<Status>(kGroup);
  std::int64_t commits = 0;
  std::int64_t writes = 0;
};
template <class Inject>
Round run_group(Database& db, int round, Inject inject) {
  Round r;
  const auto before = db.write_counts();
  std::atomic<int> started{0};
  WriterGate gate(db);
  std::vector<std::thread> writers;
  for (int i = 0; i < kGroup; ++i)
    writers.emplace_back([&, i] {
      ++started;
      r.results[static_cast<std::size_t>(i)] = db.write([&, i](Connection& c) {
        auto& ins = c.stmt("INSERT INTO t(v) VALUES (?)");
        ins.bind(1, std::to_string(round) + "-" + std::to_string(i));
        ins.exec();
        inject(c, i);
        return Status::Ok();
      });
    });
  gate.release_after(started, kGroup);
  for (auto& th : writers) th.join();
  const auto after = db.write_counts();
  r.commits = after.commits - before.commits;
  r.writes = after.writes - before.writes;
  return r;
}

std::int64_t rows_of_round(Database& db, int round) {
  std::int64_t n = -1;
  REQUIRE(db.read([&](Connection& c) {
              auto& q = c.stmt("SELECT count(*) FROM t WHERE v LIKE ?");
              q.bind(1, std::to_string(round) + "-%");
              REQUIRE(q.executeStep());
              n = q.getColumn(0).getInt64();
              return Status::Ok();
            }).ok());
  return n;
}

bool stored(Database& db, int round, int i) {
  std::int64_t n = -1;
  REQUIRE(db.read([&](Connection& c) {
              auto& q = c.stmt("SELECT count(*) FROM t WHERE v = ?");
              q.bind(1, std::to_string(round) + "-" + std::to_string(i));
              REQUIRE(q.executeStep());
              n = q.getColumn(0).getInt64();
              return Status::Ok();
            }).ok());
  return n == 1;
}

std::unique_ptr<Database> open_with_table(test::TempDir& dir) {
  auto opened = Database::open({.path = dir.file("f.db"), .synchronous_full = true});
  REQUIRE(opened.ok());
  REQUIRE((*opened)
              ->write([](Connection& c) {
                c.db().exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
                return Status::Ok();
              })
              .ok());
  return std::move(*opened);
}

// A commit hook that turns the next COMMIT into a rollback (SQLITE_CONSTRAINT_COMMITHOOK),
// as a failed fsync or a full disk at COMMIT would.
int fail_next_commit(void* armed) {
  return static_cast<std::atomic<bool>*>(armed)->exchange(false) ? 1 : 0;
}

}  // namespace

// Fills the database up to max_page_count inside the current write: SQLITE_FULL, as on a
// full disk. `own_row` inserts a chunk referencing the write's own row, as a log append
// does (SQLite then rolls back that statement only); otherwise a plain one-row insert, for
// which SQLite rolls back the whole transaction.
void fill_up(Connection& c, bool own_row) {
  const auto pages = c.db().execAndGet("PRAGMA page_count").getInt64();
  c.db().exec("PRAGMA max_page_count = " + std::to_string(pages + 2));
  if (own_row)
    c.db().exec("INSERT INTO chunk(t_id, b) VALUES (last_insert_rowid(), zeroblob(1000000))");
  else
    c.db().exec("INSERT INTO t(v) VALUES (zeroblob(1000000))");
}

Status room_again(Database& db) {
  return db.write([](Connection& c) {
    c.db().exec("PRAGMA max_page_count = 1073741823");
    c.db().exec("INSERT INTO t(v) VALUES ('after')");
    return Status::Ok();
  });
}

// After failed writes, writes commit alone until 16 succeeded (database.cpp); these do.
void regroup(Database& db) {
  for (int i = 0; i < 16; ++i) REQUIRE(room_again(db).ok());
  CHECK(db.write_health().failures == 0);
}

TEST_CASE("a failed commit fails every write of its group and acknowledges none") {
  test::TempDir dir;
  auto db = open_with_table(dir);
  std::atomic<bool> armed{false};
  bool whole_group_seen = false;
  for (int round = 0; round < 20 && !whole_group_seen; ++round) {
    regroup(*db);
    // The fourth write arms the hook: its group's one COMMIT fails after every function
    // returned ok, so no write of that group may be told it succeeded.
    auto r = run_group(*db, round, [&](Connection& c, int i) {
      if (i != 3) return;
      armed = true;
      sqlite3_commit_hook(c.db().getHandle(), fail_next_commit, &armed);
    });
    CAPTURE(round);
    CHECK_FALSE(r.results[3].ok());
    // Whatever the grouping, a write is acknowledged exactly when its row is stored.
    for (int i = 0; i < kGroup; ++i) {
      CAPTURE(i);
      CHECK(r.results[static_cast<std::size_t>(i)].ok() == stored(*db, round, i));
    }
    if (r.commits == 1) {  // the gate's: the eight were one group, and it failed whole
      whole_group_seen = true;
      for (const auto& res : r.results) CHECK_FALSE(res.ok());
      CHECK(rows_of_round(*db, round) == 0);
      CHECK(r.writes == 1);
      CHECK(db->write_health().failing);
    }
    // The writer is clean: the next write commits (and clears the failing state).
    REQUIRE(db->write([](Connection& c) {
                sqlite3_commit_hook(c.db().getHandle(), nullptr, nullptr);
                c.db().exec("INSERT INTO t(v) VALUES ('after')");
                return Status::Ok();
              }).ok());
    CHECK_FALSE(db->write_health().failing);
  }
  CHECK(whole_group_seen);
}

TEST_CASE("after a full disk writes commit alone, so the one that does not fit fails alone") {
  test::TempDir dir;
  auto db = open_with_table(dir);
  // A first full disk: whatever group it hit, the writes are failing now.
  auto first = run_group(*db, 0, [](Connection& c, int i) {
    if (i == 5) fill_up(c, false);
  });
  CHECK_FALSE(first.results[5].ok());
  const auto health = db->write_health();
  REQUIRE((health.failing || health.failures > 0));
  // Still full for the big write: every write commits alone (gate + seven = 8 commits,
  // whatever the timing), the small ones succeed and only the big one fails.
  auto r = run_group(*db, 1, [](Connection& c, int i) {
    if (i == 5) fill_up(c, false);
  });
  for (int i = 0; i < kGroup; ++i) {
    CAPTURE(i);
    CHECK(r.results[static_cast<std::size_t>(i)].ok() == (i != 5));
    CHECK(stored(*db, 1, i) == (i != 5));
  }
  CHECK(r.commits == kGroup);
  CHECK(r.writes == kGroup);
  // Space again: after 16 writes that succeeded, groups form again.
  REQUIRE(room_again(*db).ok());
  CHECK_FALSE(db->write_health().failing);
  bool whole_group_seen = false;
  for (int round = 2; round < 20 && !whole_group_seen; ++round) {
    regroup(*db);
    auto g = run_group(*db, round, [](Connection&, int) {});
    for (int i = 0; i < kGroup; ++i) CHECK(stored(*db, round, i));
    whole_group_seen = g.commits == 2;
  }
  CHECK(whole_group_seen);
}

TEST_CASE("a full disk that rolls the transaction back fails every write of the group") {
  test::TempDir dir;
  auto db = open_with_table(dir);
  bool whole_group_seen = false;
  for (int round = 0; round < 20 && !whole_group_seen; ++round) {
    regroup(*db);
    auto r = run_group(*db, round, [](Connection& c, int i) {
      if (i == 5) fill_up(c, false);
    });
    CAPTURE(round);
    CHECK_FALSE(r.results[5].ok());
    // Whatever the grouping, a write is acknowledged exactly when its row is stored.
    for (int i = 0; i < kGroup; ++i) {
      CAPTURE(i);
      CHECK(r.results[static_cast<std::size_t>(i)].ok() == stored(*db, round, i));
    }
    if (r.commits == 1) {  // the gate's only: the eight were one group, lost whole
      whole_group_seen = true;
      for (const auto& res : r.results) {
        REQUIRE_FALSE(res.ok());
        CHECK(res.error().message.find("disk full") != std::string::npos);
      }
      CHECK(rows_of_round(*db, round) == 0);
      CHECK(r.writes == 1);
    }
    CHECK(db->write_health().failing);
    REQUIRE(room_again(*db).ok());
    CHECK_FALSE(db->write_health().failing);
  }
  CHECK(whole_group_seen);
}

TEST_CASE("a refused write in a group leaves the others committed") {
  test::TempDir dir;
  auto db = open_with_table(dir);
  bool whole_group_seen = false;
  for (int round = 0; round < 20 && !whole_group_seen; ++round) {
    regroup(*db);
    auto r = run_group(*db, round, [](Connection&, int i) {
      if (i == 2) throw std::runtime_error("refused on purpose");
    });
    CAPTURE(round);
    for (int i = 0; i < kGroup; ++i) {
      CAPTURE(i);
      CHECK(r.results[static_cast<std::size_t>(i)].ok() == (i != 2));
      CHECK(stored(*db, round, i) == (i != 2));
    }
    CHECK(r.writes == kGroup);  // the gate's and seven of the group
    whole_group_seen = r.commits == 2;
  }
  CHECK(whole_group_seen);
}

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
  // Sixteen writers waiting on fsyncs: far fewer commits than writes.
  CHECK(after.commits - before.commits < ok.load());
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
