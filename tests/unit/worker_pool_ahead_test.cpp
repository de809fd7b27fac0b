// The worker pool's jobs leased ahead (prefetch for short jobs) against a real SQLite store,
// driven by hand: jobs beyond the idle workers are claimed with their attempt not started,
// a worker records the start before the handler runs, and a serve killed meanwhile (its
// owner rescued as dead) charges the jobs that never started no attempt.
#include <doctest/doctest.h>

#include "engine/worker_pool.h"
#include "manual_clock.h"
#include "test_support.h"

using namespace hypersdk;
using namespace std::chrono_literals;
using core::JobId;
using core::JobStatus;

TEST_CASE("pool: jobs leased ahead start their attempt only when a worker starts them") {
  test::StoreFixture f;
  test::ManualClock clock;
  engine::HandlerRegistry handlers;
  handlers.add("noop", std::make_shared<engine::NoopHandler>());
  engine::WorkerPoolConfig c;
  c.workers = 2;
  c.claim_batch = 8;
  c.lease_ttl = 30s;
  c.owner = "test-host:1:1";
  engine::WorkerPool pool(c, *f.store, handlers, clock, nullptr);
  auto submit = [&] {
    core::JobSpec s;
    s.type = "noop";
    return f.store->job_enqueue(s, clock.now_ms()).value().id;
  };
  auto job = [&](JobId id) { return f.store->job_get(id).value(); };
  // Short jobs earn prefetch: these take no time on the manual clock.
  for (int i = 0; i < 40; ++i) {
    submit();
    pool.dispatch_once();
    REQUIRE(pool.run_next());
    pool.complete_once();
  }

  std::vector<JobId> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(submit());
  clock.advance(1s);
  pool.dispatch_once();
  REQUIRE(pool.leased_ahead() == 10);
  // Two idle workers: the first two start with their claim; the other eight are ahead.
  for (int i = 0; i < 10; ++i) {
    CAPTURE(i);
    CHECK(job(ids[i]).status == JobStatus::running);
    CHECK(job(ids[i]).started_at.has_value() == (i < 2));
  }

  clock.advance(1s);
  REQUIRE(pool.run_next());  // ids[0], ids[1]: started by their claim
  REQUIRE(pool.run_next());
  // ids[2]: its start is recorded first, with the next three's (two per worker in one write).
  REQUIRE(pool.run_next());
  for (int i = 2; i < 10; ++i) {
    CAPTURE(i);
    if (i < 6)
      CHECK(job(ids[i]).started_at == clock.now_ms());
    else
      CHECK_FALSE(job(ids[i]).started_at.has_value());
  }
  pool.complete_once();
  for (int i = 0; i < 3; ++i) CHECK(job(ids[i]).status == JobStatus::succeeded);

  // serve dies here: the next start rescues its owner. ids[3..5] count (recorded as
  // started); ids[6..9] never started and go back as they were.
  auto r = f.store->job_rescue_owners({c.owner}, clock.now_ms(), 3).value();
  CHECK(r.requeued.size() == 7);
  for (int i = 3; i < 6; ++i) {
    CAPTURE(i);
    CHECK(job(ids[i]).errors.size() == 1);
    CHECK(job(ids[i]).attempt == 1);
  }
  for (int i = 6; i < 10; ++i) {
    CAPTURE(i);
    CHECK(job(ids[i]).status == JobStatus::queued);
    CHECK(job(ids[i]).attempt == 0);
    CHECK(job(ids[i]).errors.empty());
  }
}
