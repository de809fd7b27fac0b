// The worker pool against a real SQLite store, on a clock moved by hand: most cases drive the
// pool's loops one step at a time (dispatch_once, run_next, complete_once) so every lease,
// deadline and backoff decision is exact; the drain and exception cases run its real threads.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "engine/worker_pool.h"
#include "forwarding_store.h"
#include "manual_clock.h"
#include "test_support.h"

using namespace hypersdk;
using namespace std::chrono_literals;
using core::JobId;
using core::JobStatus;
using engine::CancelReason;

namespace {

// Blocks until released or cancelled; records what it saw.
class BlockingHandler final : public engine::Handler {
 public:
  Result<std::string> run(engine::JobContext& ctx) override {
    {
      std::lock_guard lock(mu_);
      ++started_;
      deadline_ = ctx.deadline;
      started_at_ = ctx.clock.steady_now();
      token_ = &ctx.cancel;
    }
    cv_.notify_all();
    while (!released_ && !ctx.cancel.cancelled()) std::this_thread::sleep_for(1ms);
    {
      std::lock_guard lock(mu_);
      ++finished_;
      reason_ = ctx.cancel.reason();
      token_ = nullptr;
    }
    if (ctx.cancel.cancelled()) return make_error(ErrorClass::cancelled, "stopped");
    return std::string("{}");
  }
  bool wait_started(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 20s, [&] { return started_ >= n; });
  }
  void release() { released_ = true; }
  // The running job's cancel token as it is now (the pool sets it synchronously).
  CancelReason reason_now() {
    std::lock_guard lock(mu_);
    return token_ ? token_->reason() : reason_;
  }
  int finished() {
    std::lock_guard lock(mu_);
    return finished_;
  }
  CancelReason reason() {
    std::lock_guard lock(mu_);
    return reason_;
  }
  engine::SteadyTime deadline() {
    std::lock_guard lock(mu_);
    return deadline_;
  }
  engine::SteadyTime started_at() {
    std::lock_guard lock(mu_);
    return started_at_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int started_ = 0;
  int finished_ = 0;
  CancelReason reason_ = CancelReason::none;
  engine::SteadyTime deadline_{};
  engine::SteadyTime started_at_{};
  engine::CancelToken* token_ = nullptr;  // while a job runs
  std::atomic<bool> released_{false};
};

// The seam: fails or throws on demand, else calls the real store.
class FaultyStore final : public test::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::atomic<bool> fail_complete{false};
  std::atomic<bool> fail_claim{false};
  std::atomic<bool> throw_claim_once{false};
  std::atomic<bool> fail_version{false};
  std::atomic<bool> fail_heartbeat{false};
  std::atomic<int> claim_calls{0};

  Result<std::vector<Job>> job_claim(int max, TimeMs now, std::chrono::milliseconds ttl,
                                     const std::string& owner) override {
    ++claim_calls;
    if (throw_claim_once.exchange(false)) throw std::runtime_error("injected throw");
    if (fail_claim) return make_error(ErrorClass::unavailable, "injected: database is locked");
    return inner_.job_claim(max, now, ttl, owner);
  }
  Result<std::vector<CompletionResult>> job_complete(const std::vector<Completion>& batch,
                                                     TimeMs now) override {
    if (fail_complete) return make_error(ErrorClass::unavailable, "injected: disk I/O error");
    return inner_.job_complete(batch, now);
  }
  Result<std::vector<JobId>> job_heartbeat(const std::vector<Lease>& leases,
                                           TimeMs lease_until) override {
    if (fail_heartbeat) return make_error(ErrorClass::unavailable, "injected: disk full");
    return inner_.job_heartbeat(leases, lease_until);
  }
  Result<std::int64_t> data_version() override {
    if (fail_version) return make_error(ErrorClass::unavailable, "injected: unreadable");
    return inner_.data_version();
  }
};

struct PoolFixture {
  test::StoreFixture f;
  test::ManualClock clock;
  FaultyStore store{*f.store};
  engine::HandlerRegistry handlers;
  std::shared_ptr<BlockingHandler> block = std::make_shared<BlockingHandler>();

  PoolFixture() {
    handlers.add("noop", std::make_shared<engine::NoopHandler>());
    handlers.add("block", block);
  }
  engine::WorkerPoolConfig config(int workers, int batch = 8) {
    engine::WorkerPoolConfig c;
    c.workers = workers;
    c.claim_batch = batch;
    c.lease_ttl = 30s;
    c.owner = "test-host:1:1";
    c.complete_attempts = 3;
    return c;
  }
  JobId submit(const std::string& type, std::int64_t timeout_ms = 0) {
    core::JobSpec s;
    s.type = type;
    s.timeout_ms = timeout_ms;
    return f.store->job_enqueue(s, clock.now_ms()).value().id;
  }
  core::Job job(JobId id) { return f.store->job_get(id).value(); }
  // Polls the store in real time (for the cases with real threads); false after 20 s.
  template <typename P>
  bool eventually(P pred) {
    for (int i = 0; i < 2000; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

}  // namespace

TEST_CASE(
    "pool: an outcome that cannot be recorded is abandoned, its lease lapses and the "
    "reaper rescues it while other jobs keep running") {
  PoolFixture p;
  p.clock.set_auto_advance(true);  // the completer's backoff costs no real time
  engine::WorkerPool pool(p.config(2), p.store, p.handlers, p.clock, nullptr);
  const JobId a = p.submit("noop");
  const JobId b = p.submit("block");
  pool.dispatch_once();
  REQUIRE(pool.held().size() == 2);
  REQUIRE(pool.run_next());                 // a: finished, outcome pending
  std::thread t([&] { pool.run_next(); });  // b: keeps running
  REQUIRE(p.block->wait_started(1));

  p.store.fail_complete = true;
  pool.complete_once();
  CHECK(pool.errors("complete") == 3);
  const auto held = pool.held();
  REQUIRE(held.size() == 1);
  CHECK(held[0].id == b);

  // Heartbeats every lease_ttl/3 renew b only; a lapses within one lease.
  for (int i = 0; i < 4; ++i) {
    p.clock.advance(10s);
    pool.dispatch_once();
  }
  auto rescued = p.f.store->job_rescue_expired(p.clock.now_ms(), 3).value();
  CHECK(rescued.requeued == std::vector<JobId>{a});
  CHECK(p.job(a).status == JobStatus::queued);
  CHECK(p.job(b).status == JobStatus::running);

  p.block->release();
  t.join();
  p.store.fail_complete = false;
  pool.complete_once();
  CHECK(p.job(b).status == JobStatus::succeeded);
}

TEST_CASE("pool: a lost lease stops the attempt and records nothing for it") {
  PoolFixture p;
  engine::WorkerPool pool(p.config(1), p.store, p.handlers, p.clock, nullptr);
  const JobId b = p.submit("block");
  pool.dispatch_once();
  std::thread t([&] { pool.run_next(); });
  REQUIRE(p.block->wait_started(1));
  p.clock.advance(31s);  // no heartbeat in between: the lease expires and is rescued
  REQUIRE(p.f.store->job_rescue_expired(p.clock.now_ms(), 3)->requeued == std::vector<JobId>{b});
  pool.dispatch_once();  // its heartbeat learns the lease is gone
  t.join();
  CHECK(p.block->reason() == CancelReason::lease_lost);
  CHECK(pool.held().empty());
  pool.complete_once();
  auto job = p.job(b);
  CHECK(job.status == JobStatus::queued);  // as the reaper left it: no failure recorded on top
  CHECK(job.attempt == 1);
}

TEST_CASE(
    "pool: after renewals failed past the lease (a full disk), renew_leases keeps the "
    "running job's lease from the reaper once writes work") {
  PoolFixture p;
  engine::WorkerPool pool(p.config(1), p.store, p.handlers, p.clock, nullptr);
  const JobId b = p.submit("block");
  pool.dispatch_once();
  std::thread t([&] { pool.run_next(); });
  REQUIRE(p.block->wait_started(1));

  p.store.fail_heartbeat = true;
  for (int i = 0; i < 8; ++i) {  // 40 s of failing renewals: the 30 s lease lapses
    p.clock.advance(5s);
    pool.dispatch_once();
  }
  CHECK(pool.errors("heartbeat") >= 3);
  p.store.fail_heartbeat = false;
  // Writes work again; the reaper renews this process's own leases before it reaps.
  REQUIRE(pool.renew_leases().ok());
  CHECK(p.f.store->job_rescue_expired(p.clock.now_ms(), 3)->requeued.empty());
  CHECK(pool.held().size() == 1);
  CHECK(p.block->reason_now() == CancelReason::none);

  p.block->release();
  t.join();
  pool.complete_once();
  auto job = p.job(b);
  CHECK(job.status == JobStatus::succeeded);
  CHECK(job.attempt == 1);
}

TEST_CASE("pool: a job's timeout counts from its handler's start, not from its claim") {
  PoolFixture p;
  engine::WorkerPool pool(p.config(1), p.store, p.handlers, p.clock, nullptr);
  const JobId j = p.submit("block", 10'000);
  pool.dispatch_once();
  p.clock.advance(60s);  // leased long before a worker starts it
  std::thread t([&] { pool.run_next(); });
  REQUIRE(p.block->wait_started(1));
  CHECK(p.block->deadline() - p.block->started_at() == 10s);

  p.clock.advance(9s);
  pool.dispatch_once();
  CHECK(p.block->reason_now() == CancelReason::none);  // not yet: 9 s of 10

  p.clock.advance(1s);
  pool.dispatch_once();
  t.join();
  CHECK(p.block->reason() == CancelReason::timeout);
  pool.complete_once();
  auto job = p.job(j);
  CHECK(job.status == JobStatus::retrying);
  REQUIRE(job.last_error);
  CHECK(job.last_error->cls == ErrorClass::timeout);
}

TEST_CASE("pool: a cancel request reaches the running handler and the job ends cancelled") {
  PoolFixture p;
  engine::WorkerPool pool(p.config(1), p.store, p.handlers, p.clock, nullptr);
  const JobId j = p.submit("block");
  pool.dispatch_once();
  std::thread t([&] { pool.run_next(); });
  REQUIRE(p.block->wait_started(1));
  REQUIRE(p.f.store->job_cancel(j, p.clock.now_ms())->cancel_requested);
  pool.dispatch_once();
  t.join();
  CHECK(p.block->reason() == CancelReason::operator_request);
  pool.complete_once();
  CHECK(p.job(j).status == JobStatus::cancelled);
}

TEST_CASE("pool: an unreadable data_version counts as a change, so a cancel is still seen") {
  PoolFixture p;
  engine::WorkerPool pool(p.config(1), p.store, p.handlers, p.clock, nullptr);
  p.store.fail_version = true;
  const JobId j = p.submit("block");
  pool.dispatch_once();
  REQUIRE(pool.held().size() == 1);
  std::thread t([&] { pool.run_next(); });
  REQUIRE(p.block->wait_started(1));
  p.f.store->job_cancel(j, p.clock.now_ms()).value();
  pool.dispatch_once();
  t.join();
  CHECK(p.block->reason() == CancelReason::operator_request);
  CHECK(pool.errors("data_version") == 2);
}

TEST_CASE("pool: a failing claim backs off (50, 100, 200, 400 ms...) and is counted") {
  PoolFixture p;
  engine::WorkerPool pool(p.config(1), p.store, p.handlers, p.clock, nullptr);
  p.submit("noop");
  p.store.fail_claim = true;
  for (int i = 0; i < 100; ++i) {  // one second of 10 ms ticks
    pool.dispatch_once();
    p.clock.advance(10ms);
  }
  // Tries at 0, 50, 150, 350 and 750 ms: not one per tick.
  CHECK(p.store.claim_calls == 5);
  CHECK(pool.errors("claim") == 5);
  p.store.fail_claim = false;
  p.clock.advance(1s);
  pool.dispatch_once();
  CHECK(pool.held().size() == 1);
}

TEST_CASE(
    "pool: jobs leased ahead are handed back at once when draining starts, running "
    "ones get the grace period, then go back uncounted") {
  PoolFixture p;
  engine::WorkerPool pool(p.config(1, 8), p.store, p.handlers, p.clock, nullptr);
  // Short jobs earn prefetch: these take no time on the manual clock.
  for (int i = 0; i < 40; ++i) {
    p.submit("noop");
    pool.dispatch_once();
    REQUIRE(pool.run_next());
    pool.complete_once();
  }
  const JobId blocker = p.submit("block");
  std::vector<JobId> ahead;
  for (int i = 0; i < 5; ++i) ahead.push_back(p.submit("noop"));
  pool.start();
  REQUIRE(p.block->wait_started(1));
  REQUIRE(p.eventually([&] { return pool.leased_ahead() == 5; }));

  const core::TimeMs before = p.clock.now_ms();
  const int sleeps = p.clock.sleeps();
  std::thread stopper([&] { pool.stop(1h); });
  CHECK(p.eventually([&] {
    for (JobId id : ahead)
      if (p.job(id).status != JobStatus::queued) return false;
    return true;
  }));
  for (JobId id : ahead) CHECK(p.job(id).attempt == 0);
  CHECK(p.job(blocker).status == JobStatus::running);
  CHECK(p.clock.now_ms() == before);  // all of it without waiting for the grace period

  REQUIRE(p.clock.wait_for_sleeps(sleeps + 1));  // stop() waits out the grace period
  p.clock.advance(1h);
  stopper.join();
  CHECK(p.block->reason() == CancelReason::shutdown);
  auto job = p.job(blocker);
  CHECK(job.status == JobStatus::queued);
  CHECK(job.attempt == 0);
}

TEST_CASE("pool: an exception in the dispatcher is counted and the pool goes on") {
  PoolFixture p;
  p.clock.set_auto_advance(true);
  engine::WorkerPool pool(p.config(1), p.store, p.handlers, p.clock, nullptr);
  p.store.throw_claim_once = true;
  const JobId j = p.submit("noop");
  pool.start();
  CHECK(p.eventually([&] { return p.job(j).status == JobStatus::succeeded; }));
  CHECK(pool.errors("dispatcher") == 1);
  pool.stop(0ms);
}

TEST_CASE(
    "pool: jobs of unknown length are leased only for free workers, short ones a batch "
    "ahead") {
  PoolFixture p;
  engine::WorkerPool pool(p.config(2, 8), p.store, p.handlers, p.clock, nullptr);
  for (int i = 0; i < 60; ++i) p.submit("noop");
  pool.dispatch_once();
  CHECK(pool.held().size() == 2);  // "running" means running until jobs prove short
  int ran = 0;
  while (ran < 40) {
    while (pool.run_next()) ++ran;
    pool.complete_once();
    pool.dispatch_once();
  }
  CHECK(pool.held().size() == 2 + 8);  // two for the workers, a batch leased ahead
}

TEST_CASE("pool: during the grace period leases are still renewed and a cancel still arrives") {
  PoolFixture p;
  engine::WorkerPool pool(p.config(1), p.store, p.handlers, p.clock, nullptr);
  const JobId j = p.submit("block");
  pool.start();
  REQUIRE(p.block->wait_started(1));
  int sleeps = p.clock.sleeps();
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    pool.stop(1h);
    stopped = true;
  });
  REQUIRE(p.clock.wait_for_sleeps(++sleeps));
  // Two leases' worth of grace: the stopping pool keeps renewing.
  for (int i = 0; i < 4; ++i) {
    p.clock.advance(15s);
    REQUIRE(p.clock.wait_for_sleeps(++sleeps));
  }
  CHECK(p.f.store->job_rescue_expired(p.clock.now_ms(), 3)->requeued.empty());
  p.f.store->job_cancel(j, p.clock.now_ms()).value();
  p.clock.advance(20ms);
  // The next tick sees the cancel; the job ends and stop() no longer waits for the grace.
  REQUIRE(p.eventually([&] { return p.block->finished() == 1; }));
  // stop() returns at its next look (each look waits 20 ms of the manual clock).
  CHECK(p.eventually([&] {
    p.clock.advance(20ms);
    return stopped.load();
  }));
  stopper.join();
  CHECK(p.block->reason() == CancelReason::operator_request);
  CHECK(p.job(j).status == JobStatus::cancelled);
}
