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
  for (int i = 0; i < 6; ++i) ids.push_back(submit());
  clock.advance(1s);
  pool.dispatch_once();
  REQUIRE(pool.leased_ahead() == 6);
  // Two idle workers: the first two start with their claim; the other four are ahead.
  for (int i = 0; i < 6; ++i) {
    CAPTURE(i);
    CHECK(job(ids[i]).status == JobStatus::running);
    CHECK(job(ids[i]).started_at.has_value() == (i < 2));
  }

  clock.advance(1s);
  REQUIRE(pool.run_next());  // ids[0], ids[1]: started by their claim
  REQUIRE(pool.run_next());
  REQUIRE(pool.run_next());  // ids[2]: its start (and the next one's) recorded first
  CHECK(job(ids[2]).started_at == clock.now_ms());
  CHECK(job(ids[3]).started_at == clock.now_ms());
  CHECK_FALSE(job(ids[4]).started_at.has_value());
  CHECK_FALSE(job(ids[5]).started_at.has_value());
  pool.complete_once();
  for (int i = 0; i < 3; ++i) CHECK(job(ids[i]).status == JobStatus::succeeded);

  // serve dies here: the next start rescues its owner. ids[3] counts (recorded as started);
  // ids[4] and ids[5] never started and go back as they were.
  auto r = f.store->job_rescue_owners({c.owner}, clock.now_ms(), 3).value();
  CHECK(r.requeued.size() == 3);
  CHECK(job(ids[3]).errors.size() == 1);
  CHECK(job(ids[3]).attempt == 1);
  for (int i = 4; i < 6; ++i) {
    CAPTURE(i);
    CHECK(job(ids[i]).status == JobStatus::queued);
    CHECK(job(ids[i]).attempt == 0);
    CHECK(job(ids[i]).errors.empty());
  }
}
