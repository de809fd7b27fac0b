// The pool's complete path claims for the completing worker (job_complete_and_claim): a
// workflow chain's next step is leased in the transaction that completes its upstream, with
// no dispatcher claim in between, and within the pool's slot limit. Real SQLite, driven by hand.
#include <doctest/doctest.h>

#include "engine/handler.h"
#include "engine/worker_pool.h"
#include "manual_clock.h"
#include "test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;
using namespace std::chrono_literals;

namespace {

core::WorkflowStep noop_step(std::string name, std::vector<std::string> deps = {}) {
  core::WorkflowStep s;
  s.name = std::move(name);
  s.spec.type = "noop";
  s.depends_on = std::move(deps);
  return s;
}

struct ChainFixture {
  test::StoreFixture f;
  test::ManualClock clock;
  engine::HandlerRegistry handlers;
  ChainFixture() { handlers.add("noop", std::make_shared<engine::NoopHandler>()); }
  engine::WorkerPoolConfig config(int workers) {
    engine::WorkerPoolConfig c;
    c.workers = workers;
    c.claim_batch = 8;
    c.lease_ttl = 30s;
    c.owner = "test-host:1:1";
    return c;
  }
  std::map<std::string, JobId> submit_chain(int n) {
    WorkflowSubmit req;
    req.spec.name = "chain";
    for (int i = 0; i < n; ++i)
      req.spec.steps.push_back(
          i == 0 ? noop_step("s0")
                 : noop_step("s" + std::to_string(i), {"s" + std::to_string(i - 1)}));
    auto w = f.store->workflow_submit(req, clock.now_ms()).value();
    std::map<std::string, JobId> ids;
    for (const auto& s : w.steps) ids[s.name] = s.job.id;
    return ids;
  }
};

}  // namespace

TEST_CASE("pool: a finished chain step's successor is leased by the completion itself") {
  ChainFixture x;
  engine::WorkerPool pool(x.config(1), *x.f.store, x.handlers, x.clock, nullptr);
  auto ids = x.submit_chain(3);
  pool.dispatch_once();  // the only claim of the dispatcher: s0
  REQUIRE(pool.held().size() == 1);
  CHECK(pool.held()[0].id == ids["s0"]);
  for (int i = 0; i < 3; ++i) {
    const JobId id = ids["s" + std::to_string(i)];
    REQUIRE(pool.run_next());  // step i runs: it was leased ahead, no dispatch_once needed
    CHECK(pool.leased_ahead() == 0);
    pool.complete_once();
    CHECK(x.f.store->job_get(id).value().status == JobStatus::succeeded);
    if (i < 2) {
      const JobId next = ids["s" + std::to_string(i + 1)];
      const auto held = pool.held();
      REQUIRE(held.size() == 1);
      CHECK(held[0].id == next);
      const Job j = x.f.store->job_get(next).value();
      CHECK(j.status == JobStatus::running);
      CHECK(j.lease_owner == "test-host:1:1");
      CHECK(held[0].token == j.lease_token);
    }
  }
  CHECK_FALSE(pool.run_next());
  CHECK(pool.held().empty());
  auto w = x.f.store->workflow_list(1).value();
  REQUIRE(w.size() == 1);
  CHECK(w[0].status == "succeeded");
}

TEST_CASE("pool: the completion's claim stays within the pool's free slots") {
  ChainFixture x;
  engine::WorkerPool pool(x.config(1), *x.f.store, x.handlers, x.clock, nullptr);
  core::JobSpec noop;
  noop.type = "noop";
  std::vector<JobId> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(x.f.store->job_enqueue(noop, x.clock.now_ms()).value().id);
  pool.dispatch_once();
  REQUIRE(pool.held().size() == 1);  // one worker, long jobs assumed: nothing leased ahead
  REQUIRE(pool.run_next());
  pool.complete_once();
  // One slot freed, one job leased: the next in queue order, the others still queued.
  const auto held = pool.held();
  REQUIRE(held.size() == 1);
  CHECK(held[0].id == ids[1]);
  for (std::size_t i = 2; i < ids.size(); ++i)
    CHECK(x.f.store->job_get(ids[i]).value().status == JobStatus::queued);
}
