// Progress reports and stall detection of the worker pool, against a real SQLite store on a
// clock moved by hand: the dispatcher is driven one tick at a time, the handler runs on a
// thread of the test and reports whatever the test sets.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "engine/worker_pool.h"
#include "manual_clock.h"
#include "test_support.h"

using namespace hypersdk;
using namespace std::chrono_literals;
using core::JobId;
using core::JobStatus;
using engine::CancelReason;

namespace {

// Reports `done` of 100 bytes in a loop until released or cancelled.
class ReportingHandler final : public engine::Handler {
 public:
  Result<std::string> run(engine::JobContext& ctx) override {
    while (!released && !ctx.cancel.cancelled()) {
      const std::int64_t d = done.load();
      ctx.progress(static_cast<std::uint64_t>(d), 100);
      reported = d;
      std::this_thread::sleep_for(1ms);
    }
    reason = ctx.cancel.reason();
    if (ctx.cancel.cancelled()) return make_error(ErrorClass::cancelled, "stopped");
    return std::string("{}");
  }
  // True once the handler has reported `v` (so the pool has seen it).
  bool wait_reported(std::int64_t v) {
    for (int i = 0; i < 20'000 && reported.load() != v; ++i) std::this_thread::sleep_for(1ms);
    return reported.load() == v;
  }
  std::atomic<std::int64_t> done{0};
  std::atomic<std::int64_t> reported{-1};
  std::atomic<bool> released{false};
  std::atomic<CancelReason> reason{CancelReason::none};
};

struct Fixture {
  test::StoreFixture f;
  test::ManualClock clock;
  engine::HandlerRegistry handlers;
  std::shared_ptr<ReportingHandler> h = std::make_shared<ReportingHandler>();
  Fixture() { handlers.add("report", h); }
  engine::WorkerPoolConfig config(std::chrono::milliseconds stall) {
    engine::WorkerPoolConfig c;
    c.workers = 1;
    c.owner = "test-host:1:1";
    c.stall_timeout = stall;
    return c;
  }
  JobId submit() {
    core::JobSpec s;
    s.type = "report";
    return f.store->job_enqueue(s, clock.now_ms()).value().id;
  }
  std::optional<store::JobProgress> progress(JobId id) {
    return f.store->job_progress_get(id).value();
  }
};

}  // namespace

TEST_CASE("pool: a handler's progress reaches the store at most once per progress interval") {
  Fixture x;
  engine::WorkerPool pool(x.config(0ms), *x.f.store, x.handlers, x.clock, nullptr);
  const JobId j = x.submit();
  pool.dispatch_once();
  CHECK_FALSE(x.progress(j));  // never reported
  x.h->done = 10;
  std::thread t([&] { pool.run_next(); });
  REQUIRE(x.h->wait_reported(10));
  x.clock.advance(1s);  // the claim's tick wrote nothing and set the next write 1 s ahead
  pool.dispatch_once();
  auto p = x.progress(j);
  REQUIRE(p);
  CHECK(p->done == 10);
  CHECK(p->total == 100);
  CHECK(p->attempt == 1);
  const auto started = p->started_at;

  x.h->done = 50;
  REQUIRE(x.h->wait_reported(50));
  x.clock.advance(500ms);
  pool.dispatch_once();
  CHECK(x.progress(j)->done == 10);  // within the interval: not written yet
  x.clock.advance(500ms);
  pool.dispatch_once();
  p = x.progress(j);
  CHECK(p->done == 50);
  CHECK(p->started_at == started);  // the same attempt: the rate spans all of it
  CHECK(p->updated_at == started + 1000);

  x.h->released = true;
  t.join();
  pool.complete_once();
  CHECK(x.f.store->job_get(j)->status == JobStatus::succeeded);
}

TEST_CASE("pool: a job whose progress stands still for stall_timeout fails as a timeout") {
  Fixture x;
  engine::WorkerPool pool(x.config(60s), *x.f.store, x.handlers, x.clock, nullptr);
  const JobId j = x.submit();
  pool.dispatch_once();
  std::thread t([&] { pool.run_next(); });
  REQUIRE(x.h->wait_reported(0));

  // Moving progress keeps it alive however long it runs.
  for (int i = 1; i <= 10; ++i) {
    x.clock.advance(10s);
    x.h->done = i;
    REQUIRE(x.h->wait_reported(i));
    pool.dispatch_once();
  }
  CHECK(x.h->reason.load() == CancelReason::none);

  // Then it stands still: 50 s is not yet a stall, 60 s is.
  for (int i = 0; i < 5; ++i) {
    x.clock.advance(10s);
    pool.dispatch_once();
  }
  CHECK(x.h->reason.load() == CancelReason::none);
  x.clock.advance(10s);
  pool.dispatch_once();
  t.join();
  CHECK(x.h->reason.load() == CancelReason::timeout);
  pool.complete_once();
  auto job = x.f.store->job_get(j).value();
  CHECK(job.status == JobStatus::retrying);  // timeout is retried by default
  REQUIRE(job.last_error);
  CHECK(job.last_error->cls == ErrorClass::timeout);
  CHECK(job.last_error->message.find("stalled: no progress for 60s") != std::string::npos);
}

TEST_CASE("pool: a job that never reports progress is never stopped as stalled") {
  Fixture x;
  x.h->done = -1;  // not used: the handler below reports nothing
  class Silent final : public engine::Handler {
   public:
    std::atomic<bool> released{false};
    std::atomic<bool> started{false};
    std::atomic<CancelReason> reason{CancelReason::none};
    Result<std::string> run(engine::JobContext& ctx) override {
      started = true;
      while (!released && !ctx.cancel.cancelled()) std::this_thread::sleep_for(1ms);
      reason = ctx.cancel.reason();
      return std::string("{}");
    }
  };
  auto silent = std::make_shared<Silent>();
  x.handlers.add("silent", silent);
  engine::WorkerPool pool(x.config(60s), *x.f.store, x.handlers, x.clock, nullptr);
  core::JobSpec s;
  s.type = "silent";
  const JobId j = x.f.store->job_enqueue(s, x.clock.now_ms()).value().id;
  pool.dispatch_once();
  std::thread t([&] { pool.run_next(); });
  while (!silent->started) std::this_thread::sleep_for(1ms);
  for (int i = 0; i < 12; ++i) {
    x.clock.advance(10s);
    pool.dispatch_once();
  }
  CHECK(silent->reason.load() == CancelReason::none);
  silent->released = true;
  t.join();
  pool.complete_once();
  CHECK(x.f.store->job_get(j)->status == JobStatus::succeeded);
}
