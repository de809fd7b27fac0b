// The leader lease (store/leader_lease.h) and the elector on it (engine/leader.h), on both
// drivers. Several connections racing for it on PostgreSQL: tests/pg/pg_leader_test.cpp.
#include <doctest/doctest.h>

#include <thread>

#include "cluster_fixture.h"
#include "engine/leader.h"

using namespace hypersdk;
using std::chrono::milliseconds;

TEST_CASE("the leader lease: taken, renewed with the same token, taken over with a new one") {
  test::ConformanceFixture f;
  auto lease = test::lease_of(f);
  CHECK(lease->leader_get(0)->holder.empty());  // nobody took it yet
  CHECK_FALSE(lease->leader_get(0)->leading);

  auto a = lease->leader_acquire_or_renew("a", 1'000, milliseconds(100));
  REQUIRE(a.ok());
  CHECK(a->leading);
  CHECK(a->token == 1);
  CHECK(a->expires_at == 1'100);

  // Another node while it is held: refused, told who holds it.
  auto b = lease->leader_acquire_or_renew("b", 1'050, milliseconds(100));
  REQUIRE(b.ok());
  CHECK_FALSE(b->leading);
  CHECK(b->holder == "a");
  CHECK(b->token == 1);

  // A renewal keeps the token and moves the expiry.
  a = lease->leader_acquire_or_renew("a", 1'090, milliseconds(100));
  CHECK(a->leading);
  CHECK(a->token == 1);
  CHECK(a->expires_at == 1'190);
  CHECK(lease->leader_get(1'100)->holder == "a");

  // "a" stops renewing: at its expiry "b" takes over, and the token grows.
  b = lease->leader_acquire_or_renew("b", 1'190, milliseconds(100));
  CHECK(b->leading);
  CHECK(b->token == 2);
  CHECK(b->acquired_at == 1'190);
  // "a" comes back: it may not renew what it lost.
  a = lease->leader_acquire_or_renew("a", 1'200, milliseconds(100));
  CHECK_FALSE(a->leading);
  CHECK(a->holder == "b");
  // Releasing with a stale token changes nothing; the holder's release frees it at once.
  REQUIRE(lease->leader_release("a", 1, 1'210).ok());
  CHECK(lease->leader_get(1'210)->leading);
  REQUIRE(lease->leader_release("b", 2, 1'220).ok());
  CHECK_FALSE(lease->leader_get(1'220)->leading);
  a = lease->leader_acquire_or_renew("a", 1'221, milliseconds(100));
  CHECK(a->leading);
  CHECK(a->token == 3);

  CHECK(lease->leader_acquire_or_renew("", 1, milliseconds(100)).error().cls ==
        ErrorClass::invalid);
  CHECK(lease->leader_acquire_or_renew("a", 1, milliseconds(0)).error().cls == ErrorClass::invalid);
}

TEST_CASE("electors: one leads and the other takes over after the leader stops renewing") {
  test::ConformanceFixture f;
  auto lease = test::lease_of(f);
  const milliseconds ttl(400);
  engine::LeaderElector a({"node-a", ttl}, lease), b({"node-b", ttl}, lease);
  REQUIRE(a.run_once().ok());
  REQUIRE(b.run_once().ok());
  CHECK(a.is_leader());
  CHECK_FALSE(b.is_leader());
  CHECK(a.may_run());
  CHECK_FALSE(b.may_run());
  const std::int64_t first = a.token();
  CHECK(first > 0);
  CHECK(b.token() == 0);

  // "a" stops renewing (a pause, a kill): "b" polls as its loop would, every ttl/3.
  const auto stopped = std::chrono::steady_clock::now();
  while (!b.is_leader() && std::chrono::steady_clock::now() - stopped < 10 * ttl) {
    std::this_thread::sleep_for(ttl / 3);
    REQUIRE(b.run_once().ok());
  }
  const auto took = std::chrono::steady_clock::now() - stopped;
  REQUIRE(b.is_leader());
  // Within one lease plus one polling period (ttl/3); the slack is for a loaded machine.
  CHECK(took <= ttl + ttl / 3 + milliseconds(400));
  CHECK(b.token() > first);
  // The stale leader: its own clock already ended its belief, and its fence fails.
  CHECK_FALSE(a.is_leader());
  CHECK(a.fence().error().cls == ErrorClass::conflict);
  CHECK_FALSE(a.may_run());
  REQUIRE(a.run_once().ok());
  CHECK_FALSE(a.is_leader());
  CHECK(b.fence().ok());
}

TEST_CASE("a leader paused past its lease finds its token fenced out before the next batch") {
  test::ConformanceFixture f;
  auto lease = test::lease_of(f);
  // A long local ttl for "a" (its belief outlives the row: a clock-skewed or paused node), a
  // takeover by "b" written straight into the row once "a"'s lease there has expired.
  engine::LeaderElector a({"node-a", milliseconds(60'000)}, lease);
  REQUIRE(a.run_once().ok());
  REQUIRE(a.is_leader());
  auto row = lease->leader_get(0);
  auto taken = lease->leader_acquire_or_renew("node-b", row->expires_at, milliseconds(60'000));
  REQUIRE(taken.ok());
  REQUIRE(taken->leading);
  CHECK(a.is_leader());                                  // it still believes...
  CHECK(a.fence().error().cls == ErrorClass::conflict);  // ...but its writes are refused
  CHECK_FALSE(a.may_run());
}

TEST_CASE("an elector that stops gives the lease up, so the next node leads at once") {
  test::ConformanceFixture f;
  auto lease = test::lease_of(f);
  engine::LeaderElector b({"node-b", milliseconds(60'000)}, lease);
  {
    engine::LeaderElector a({"node-a", milliseconds(60'000)}, lease);
    a.start();
    for (int i = 0; i < 200 && !a.is_leader(); ++i) std::this_thread::sleep_for(milliseconds(10));
    REQUIRE(a.is_leader());
    REQUIRE(b.run_once().ok());
    CHECK_FALSE(b.is_leader());
    a.stop();
    CHECK_FALSE(a.is_leader());
  }
  REQUIRE(b.run_once().ok());
  CHECK(b.is_leader());
  CHECK(b.token() == 2);
}
