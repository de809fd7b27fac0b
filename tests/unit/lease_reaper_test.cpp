// The lease reaper's pass (engine/lease_reaper.h) against a real SQLite store and a worker
// pool driven by hand: the pool's own lease, lapsed in the database while its job still runs
// here (renewals failed past the lease), is renewed before the reaper rescues, so only other
// processes' expired leases are rescued.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "engine/lease_reaper.h"
#include "manual_clock.h"
#include "test_support.h"

using namespace hypersdk;
using namespace std::chrono_literals;
using core::JobStatus;

namespace {

class Gate final : public engine::Handler {
 public:
  Result<std::string> run(engine::JobContext& ctx) override {
    started = true;
    while (!open && !ctx.cancel.cancelled()) std::this_thread::sleep_for(1ms);
    if (ctx.cancel.cancelled()) return make_error(ErrorClass::cancelled, "stopped");
    return std::string("{}");
  }
  std::atomic<bool> started{false};
  std::atomic<bool> open{false};
};

}  // namespace

TEST_CASE("lease reaper: renews this process's own lapsed lease before it rescues") {
  test::StoreFixture f;
  test::ManualClock clock;
  engine::HandlerRegistry handlers;
  auto gate = std::make_shared<Gate>();
  handlers.add("gate", gate);
  engine::WorkerPoolConfig c;
  c.workers = 1;
  c.lease_ttl = 30s;
  c.owner = "this-host:1:1";
  engine::WorkerPool pool(c, *f.store, handlers, clock, nullptr);

  core::JobSpec s;
  s.type = "gate";
  const auto ours = f.store->job_enqueue(s, clock.now_ms()).value().id;
  pool.dispatch_once();
  std::thread t([&] { pool.run_next(); });
  while (!gate->started) std::this_thread::sleep_for(1ms);
  // Another process's job, whose lease expired: that one the reaper must rescue.
  s.type = "noop";
  const auto theirs = f.store->job_enqueue(s, clock.now_ms()).value().id;
  REQUIRE(f.store->job_claim(1, clock.now_ms(), 30s, "gone-host:2:2")->size() == 1);

  // Both leases lapsed in the database: ours as after renewals that failed (a full disk).
  REQUIRE(f.db->write([](store::Connection& conn) {
                conn.db().exec("UPDATE jobs SET lease_until = 1 WHERE status = 'running'");
                return Status::Ok();
              })
              .ok());
  auto r = engine::reap_expired_leases(pool, *f.store, clock, 3);
  REQUIRE(r.ok());
  CHECK(r->requeued == std::vector<core::JobId>{theirs});
  auto job = f.store->job_get(ours).value();
  CHECK(job.status == JobStatus::running);
  CHECK(job.errors.empty());
  CHECK(pool.held().size() == 1);

  gate->open = true;
  t.join();
  pool.complete_once();
  job = f.store->job_get(ours).value();
  CHECK(job.status == JobStatus::succeeded);
  CHECK(job.attempt == 1);
}
