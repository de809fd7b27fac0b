// The dispatcher's sleep with a slow data_version poll (set_wake_poll; on PostgreSQL while
// LISTEN/NOTIFY wakes it): what falls due on the pool's own schedule (a job's run_at, a
// running job's timeout) still wakes it on time, and notify() wakes it at once. Real threads,
// a clock moved by hand; the poll is an hour, so only the planned wake can explain a result.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "engine/worker_pool.h"
#include "forwarding_store.h"
#include "manual_clock.h"
#include "test_support.h"

using namespace hypersdk;
using namespace std::chrono_literals;
using core::JobStatus;

namespace {

// Runs until cancelled.
class UntilCancelled final : public engine::Handler {
 public:
  std::atomic<int> started{0};
  Result<std::string> run(engine::JobContext& ctx) override {
    ++started;
    while (!ctx.cancel.cancelled()) std::this_thread::sleep_for(1ms);
    return make_error(ErrorClass::cancelled, "stopped");
  }
};

// Counts claims that returned: after the first, the dispatcher's first tick has claimed.
class CountingStore final : public test::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::atomic<int> claims{0};
  Result<std::vector<Job>> job_claim(int max, TimeMs now, std::chrono::milliseconds ttl,
                                     const std::string& owner) override {
    auto r = inner_.job_claim(max, now, ttl, owner);
    ++claims;
    return r;
  }
};

struct SlowPoll {
  test::StoreFixture f;
  CountingStore store{*f.store};
  test::ManualClock clock;
  engine::HandlerRegistry handlers;
  std::shared_ptr<UntilCancelled> forever = std::make_shared<UntilCancelled>();
  std::unique_ptr<engine::WorkerPool> pool;

  SlowPoll() {
    handlers.add("noop", std::make_shared<engine::NoopHandler>());
    handlers.add("forever", forever);
    engine::WorkerPoolConfig c;
    c.workers = 1;
    c.owner = "test-host:1:1";
    c.wake_poll = 1h;
    pool = std::make_unique<engine::WorkerPool>(c, store, handlers, clock, nullptr);
  }
  ~SlowPoll() { pool->stop(0ms); }
  core::JobId submit(const std::string& type, std::optional<core::TimeMs> run_at = {},
                     std::int64_t timeout_ms = 0) {
    core::JobSpec s;
    s.type = type;
    s.run_at = run_at;
    s.timeout_ms = timeout_ms;
    return f.store->job_enqueue(s, clock.now_ms()).value().id;
  }
  JobStatus status(core::JobId id) { return f.store->job_get(id).value().status; }
  // Real time, up to 10 s (the poll is an hour: a pass here is never the poll's).
  template <typename P>
  bool within_10s(P pred) {
    for (int i = 0; i < 1000; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

}  // namespace

TEST_CASE("slow poll: a job submitted in another process is claimed at notify(), not the poll") {
  SlowPoll t;
  t.pool->start();
  // The first tick claims nothing; after it the dispatcher sleeps for the hour.
  REQUIRE(t.within_10s([&] { return t.store.claims.load() >= 1; }));
  const auto j = t.submit("noop");  // as another node would: the store only, no notify
  std::this_thread::sleep_for(200ms);
  CHECK(t.status(j) == JobStatus::queued);  // nothing but a wake-up can start it
  t.pool->notify();                         // what the change feed does on a NOTIFY
  CHECK(t.within_10s([&] { return t.status(j) == JobStatus::succeeded; }));
}

TEST_CASE("slow poll: a job due later starts when it falls due, not at the next poll") {
  SlowPoll t;
  const auto j = t.submit("noop", t.clock.now_ms() + 5'000);
  t.pool->start();
  REQUIRE(t.within_10s([&] { return t.store.claims.load() >= 1; }));  // too early for it
  CHECK(t.status(j) == JobStatus::queued);
  t.clock.advance(5s);
  CHECK(t.within_10s([&] { return t.status(j) == JobStatus::succeeded; }));
}

TEST_CASE("slow poll: a running job's timeout stops it on time, not at the next poll") {
  SlowPoll t;
  const auto j = t.submit("forever", std::nullopt, 3'000);
  t.pool->start();
  REQUIRE(t.within_10s([&] { return t.forever->started.load() == 1; }));
  // The deadline began after the dispatcher went to sleep: the worker must re-plan its wait.
  t.clock.advance(3s);
  CHECK(t.within_10s([&] { return t.status(j) != JobStatus::running; }));
  const auto job = t.f.store->job_get(j).value();
  REQUIRE(job.last_error);
  CHECK(job.last_error->cls == ErrorClass::timeout);
}
