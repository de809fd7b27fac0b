// The leader lease across nodes on one PostgreSQL (issue 17 item 2): each node with its own
// PgDatabase (its own connections), as separate serve processes have. Built into
// hypersdk_pg_unit: runs beside a real server only (ctest's "unit-pg: store conformance").
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "engine/clock.h"
#include "engine/leader.h"
#include "store/pg/pg_leader_lease.h"
#include "store_conformance.h"

using namespace hypersdk;
using std::chrono::milliseconds;

namespace {
std::shared_ptr<store::pg::PgDatabase> open_node(const test::PgTestSchema& schema) {
  auto db = store::pg::PgDatabase::open(schema.url());
  REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  return std::shared_ptr<store::pg::PgDatabase>(std::move(db.value()));
}
}  // namespace

TEST_CASE("nodes racing for the leader lease at the same instant: exactly one leads") {
  test::PgTestSchema schema;
  constexpr int kNodes = 6;
  std::vector<std::shared_ptr<store::pg::PgDatabase>> dbs;
  for (int i = 0; i < kNodes; ++i) dbs.push_back(open_node(schema));
  for (int round = 0; round < 5; ++round) {
    // Every round at a time past the previous lease: all race for a takeover.
    const core::TimeMs now = 1'000'000 + round * 10'000;
    std::atomic<int> leaders{0}, errors{0};
    std::set<std::int64_t> tokens;
    std::mutex mu;
    std::vector<std::thread> threads;
    for (int i = 0; i < kNodes; ++i)
      threads.emplace_back([&, i] {
        store::pg::PgLeaderLease lease(*dbs[i]);
        auto r =
            lease.leader_acquire_or_renew("node-" + std::to_string(i), now, milliseconds(5000));
        if (!r) {
          ++errors;
          return;
        }
        if (r->leading) {
          ++leaders;
          std::lock_guard lock(mu);
          tokens.insert(r->token);
        }
      });
    for (auto& t : threads) t.join();
    CHECK(errors == 0);
    CHECK(leaders == 1);
    REQUIRE(tokens.size() == 1);
    CHECK(*tokens.begin() == round + 1);  // one takeover per round
  }
}

TEST_CASE("two running electors on two connections: one leads, the other takes over in a lease") {
  test::PgTestSchema schema;
  auto db_a = open_node(schema), db_b = open_node(schema);
  const milliseconds ttl(900);
  auto lease_a = std::make_shared<store::pg::PgLeaderLease>(*db_a);
  auto lease_b = std::make_shared<store::pg::PgLeaderLease>(*db_b);
  // "a" is driven by hand (so it can stop renewing without giving the lease up, as a node
  // killed with SIGKILL does); "b" runs its own renewal loop.
  engine::LeaderElector a({"node-a", ttl}, lease_a);
  engine::LeaderElector b({"node-b", ttl}, lease_b);
  REQUIRE(a.run_once().ok());
  REQUIRE(a.is_leader());
  b.start();
  const auto until = std::chrono::steady_clock::now() + 2 * ttl;
  while (std::chrono::steady_clock::now() < until) {  // "a" renews on time: "b" never leads
    REQUIRE(a.run_once().ok());
    CHECK(a.is_leader());
    CHECK_FALSE(b.is_leader());
    std::this_thread::sleep_for(ttl / 3);
  }
  const std::int64_t first = a.token();
  REQUIRE(a.run_once().ok());  // the last renewal; "a" stops here
  const auto stopped = std::chrono::steady_clock::now();
  while (!b.is_leader() && std::chrono::steady_clock::now() - stopped < 10 * ttl)
    std::this_thread::sleep_for(milliseconds(10));
  const auto took = std::chrono::steady_clock::now() - stopped;
  REQUIRE(b.is_leader());
  MESSAGE("takeover after " << std::chrono::duration_cast<milliseconds>(took).count() << " ms (ttl "
                            << ttl.count() << " ms)");
  // The lease lapses one ttl after the last renewal; "b" sees it at its next renewal, at
  // most ttl/3 later. The slack is for a loaded machine.
  CHECK(took >= ttl - milliseconds(50));
  CHECK(took <= ttl + ttl / 3 + milliseconds(400));
  CHECK(b.token() == first + 1);
  // The stale leader's writes are refused: its fence fails, and it cannot renew.
  CHECK(a.fence().error().cls == ErrorClass::conflict);
  REQUIRE(a.run_once().ok());
  CHECK_FALSE(a.is_leader());
  CHECK(b.fence().ok());
  b.stop();
  CHECK_FALSE(lease_a->leader_get(engine::SystemClock().now_ms())->leading);  // given up
}
