// The PostgreSQL change feed (store/pg/pg_listener.h) against a real server: a committed write
// of PgDatabase wakes it, a burst of commits wakes it a few times rather than once per commit
// (debounce), a write that changed nothing does not, and a session the server ends
// (pg_terminate_backend) is reported lost, then reconnected.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store/pg/pg_listener.h"
#include "store_conformance.h"

using namespace hypersdk;
using namespace std::chrono_literals;
using store::pg::PgDatabase;
using store::pg::Tx;

namespace {

struct Feed {
  std::atomic<int> changed{0};
  std::atomic<int> up{0};
  std::atomic<int> down{0};
  std::unique_ptr<store::ChangeFeed> feed;

  explicit Feed(const std::string& url) {
    feed = store::open_change_feed(url, {.changed = [this] { ++changed; },
                                         .listening = [this](bool on) { ++(on ? up : down); }});
  }
  template <typename P>
  static bool within(std::chrono::milliseconds limit, P pred) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(2ms);
    }
    return pred();
  }
};

Status touch(PgDatabase& db, std::int64_t at) {
  return db.write(
      [at](Tx& tx) {
        tx.exec("UPDATE store_probe SET at = $1::bigint WHERE id = 1", {store::pg::p(at)});
        return Status::Ok();
      },
      store::pg::Isolation::read_committed);
}

}  // namespace

TEST_CASE("pg listener: a commit wakes it, a burst wakes it a few times, no change none") {
  test::PgTestSchema schema;
  auto opened = PgDatabase::open(schema.url());
  REQUIRE(opened.ok());
  PgDatabase& db = **opened;
  Feed f(schema.url());
  REQUIRE(f.feed);
  CHECK_FALSE(store::open_change_feed("/tmp/x.db", {}));  // SQLite: no feed
  f.feed->start();
  REQUIRE(Feed::within(10s, [&] { return f.up.load() == 1; }));
  // Listening starts with one wake-up (what was committed before it went unannounced).
  REQUIRE(Feed::within(10s, [&] { return f.changed.load() == 1; }));

  REQUIRE(touch(db, 1).ok());
  CHECK(Feed::within(5s, [&] { return f.changed.load() == 2; }));

  // A write that changed no row commits without NOTIFY.
  REQUIRE(db.write([](Tx& tx) {
              tx.exec("UPDATE store_probe SET at = 0 WHERE id = -1");
              return Status::Ok();
            }).ok());
  std::this_thread::sleep_for(200ms);
  CHECK(f.changed.load() == 2);

  // 200 commits from 4 threads as fast as they go: far fewer wake-ups than commits, and the
  // last one comes after the last commit (nothing is left unannounced).
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) CHECK(touch(db, 1000 * t + i).ok());  // no throw in a thread
    });
  for (auto& w : writers) w.join();
  const int before_quiet = f.changed.load();
  std::this_thread::sleep_for(300ms);
  const int wakes = f.changed.load() - 2;
  MESSAGE("200 commits woke the listener " << wakes << " times");
  CHECK(wakes >= 1);
  CHECK(wakes < 100);
  CHECK(f.changed.load() - before_quiet <= 1);  // at most the debounce's trailing call
  f.feed->stop();
  f.feed->stop();  // idempotent
  CHECK_FALSE(f.feed->listening());
}

TEST_CASE("pg listener: a session the server ends is reported lost and reconnected") {
  test::PgTestSchema schema;
  auto opened = PgDatabase::open(schema.url());
  REQUIRE(opened.ok());
  PgDatabase& db = **opened;
  Feed f(schema.url());
  f.feed->start();
  REQUIRE(Feed::within(10s, [&] { return f.up.load() == 1; }));
  REQUIRE(store::pg::exec_once(test::pg_test_url(),
                               "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                               "application_name = 'hypersdk-listener'")
              .ok());
  CHECK(Feed::within(10s, [&] { return f.down.load() == 1; }));
  CHECK(Feed::within(10s, [&] { return f.up.load() == 2 && f.feed->listening(); }));
  CHECK(f.feed->reconnects() == 1);
  // And it hears commits again.
  const int seen = f.changed.load();
  REQUIRE(touch(db, 7).ok());
  CHECK(Feed::within(5s, [&] { return f.changed.load() > seen; }));
  f.feed->stop();
}
