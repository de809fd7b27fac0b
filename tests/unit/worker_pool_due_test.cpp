// The dispatcher wakes at the earliest run_at of a delayed job (submit --at, a retry's backoff,
// a schedule's occurrence armed ahead: scheduler_arm.cpp), not at the next `wake_poll` after
// it. Real threads, the system clock, a real SQLite file; a long poll makes the difference
// seconds, far above this machine's scheduling noise.
#include <doctest/doctest.h>

#include <thread>

#include "engine/worker_pool.h"
#include "test_support.h"

using namespace hypersdk;
using namespace std::chrono_literals;

TEST_CASE("pool: a job delayed to a time starts at that time, not at the next poll") {
  test::StoreFixture f;
  engine::SystemClock clock;
  engine::HandlerRegistry handlers;
  handlers.add("noop", std::make_shared<engine::NoopHandler>());
  engine::WorkerPoolConfig c;
  c.workers = 1;
  c.claim_batch = 1;
  c.lease_ttl = 30s;
  c.owner = "test-host:1:1";
  c.wake_poll = 4s;  // before the fix a delayed job waited for this poll
  engine::WorkerPool pool(c, *f.store, handlers, clock, nullptr);
  pool.start();
  core::JobSpec s;
  s.type = "noop";
  const core::TimeMs due = clock.now_ms() + 500;
  s.run_at = due;
  const core::JobId id = f.store->job_enqueue(s, clock.now_ms()).value().id;
  pool.notify();  // as a submit (or the scheduler's arm) in this process does
  core::Job job;
  for (int i = 0; i < 2000; ++i) {
    job = f.store->job_get(id).value();
    if (job.status == core::JobStatus::succeeded) break;
    std::this_thread::sleep_for(10ms);
  }
  pool.stop(1s);
  REQUIRE(job.status == core::JobStatus::succeeded);
  REQUIRE(job.started_at.has_value());
  CHECK(*job.started_at >= due);        // not before its time
  CHECK(*job.started_at - due < 2000);  // and not at the poll 4 s after the claim found nothing
}
