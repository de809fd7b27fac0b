// The scheduler at scale: next fires come from a min-heap (a tick pops only what is due), and
// the running service sleeps until the earliest fire instead of the end of its tick. Real
// SQLite file, injected clock.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <thread>

#include "core/schedule_rules.h"
#include "cron_test_support.h"
#include "engine/scheduler.h"
#include "pinned_clock.h"
#include "test_support.h"

using namespace hypersdk;
using core::testing::utc;
using std::chrono::milliseconds;
using test::ms;

namespace {

// Wall time that starts at `base` and advances with the steady clock: a running service
// sees time pass without waiting for a real minute boundary.
class RunningClock final : public engine::Clock {
 public:
  explicit RunningClock(core::TimeMs base) : base_(base), t0_(std::chrono::steady_clock::now()) {}
  core::TimeMs now_ms() const override {
    return base_ +
           std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  const core::TimeMs base_;
  const std::chrono::steady_clock::time_point t0_;
};

store::ScheduleSpec spec(const std::string& name, const std::string& cron) {
  store::ScheduleSpec s;
  s.name = name;
  s.cron = cron;
  s.timezone = "UTC";
  s.job_type = "noop";
  s.overlap = core::OverlapPolicy::allow;
  REQUIRE(core::validate_schedule(s).ok());
  return s;
}

}  // namespace

TEST_CASE("many schedules: each occurrence fires once, and the heap's top is the earliest fire") {
  test::StoreFixture f;
  test::PinnedClock clock{ms("2025-06-02T09:00:00Z")};
  // Ticks a minute apart must not count as clock jumps: a jump reloads everything and would
  // hide the heap's own bookkeeping.
  engine::SchedulerConfig config;
  config.jump_threshold = milliseconds(3'600'000);
  engine::Scheduler scheduler{config, *f.store, clock, {}, nullptr};
  // Schedule i fires at minute i % 60 of every hour (several per minute, every minute).
  std::map<core::ScheduleId, int> minute_of;
  for (int i = 0; i < 180; ++i) {
    auto s = f.store->schedule_create(
        spec("s" + std::to_string(i), std::to_string(i % 60) + " * * * *"), clock.now_ms());
    REQUIRE(s.ok());
    minute_of[s->id] = i % 60;
  }
  REQUIRE(scheduler.run_once().ok());
  CHECK(scheduler.next_fire_ms() == ms("2025-06-02T09:01:00Z"));

  // A deleted schedule's planned fire is dropped from the top, not fired.
  REQUIRE(f.store->schedule_delete("s1").ok());  // minute 1
  REQUIRE(f.store->schedule_delete("s61").ok());
  REQUIRE(f.store->schedule_delete("s121").ok());
  REQUIRE(scheduler.run_once().ok());
  CHECK(scheduler.next_fire_ms() == ms("2025-06-02T09:02:00Z"));

  int fired = 0;
  // Two hours, one tick 30 s after every minute, plus a repeated tick at the same time.
  for (core::TimeMs t = ms("2025-06-02T09:00:30Z"); t < ms("2025-06-02T11:00:00Z"); t += 60'000) {
    clock.set(t);
    auto r = scheduler.run_once();
    REQUIRE(r.ok());
    fired += r->fired;
    auto again = scheduler.run_once();
    REQUIRE(again.ok());
    CHECK(again->fired == 0);
    REQUIRE(scheduler.next_fire_ms().has_value());
    // The next whole minute, but minute 1 has no schedule left.
    core::TimeMs next = t + 30'000;
    if ((next / 60'000) % 60 == 1) next += 60'000;
    CHECK(*scheduler.next_fire_ms() == next);
  }
  // 177 schedules, each due twice in the two hours except minute 0's (09:00 was before
  // they existed: once, at 10:00).
  CHECK(fired == 177 * 2 - 3);
  for (const auto& [id, minute] : minute_of) {
    auto occ = f.store->schedule_occurrences(id, 100);
    if (minute == 1) continue;  // deleted
    REQUIRE(occ.ok());
    CHECK(occ->size() == (minute == 0 ? 1u : 2u));
    for (const auto& o : *occ) {
      CHECK(o.outcome == store::OccurrenceOutcome::fired);
      CHECK((o.nominal_utc / 60'000) % 60 == minute);
    }
  }
}

TEST_CASE("the running scheduler wakes at the earliest fire, not at the end of its tick") {
  test::StoreFixture f;
  // 1.5 s before 09:01:00; the tick is 30 s, so only waking at the fire starts it in time.
  RunningClock clock{ms("2025-06-02T09:00:58Z") + 500};
  REQUIRE(f.store->schedule_create(spec("soon", "1 9 * * *"), clock.now_ms()).ok());
  engine::SchedulerConfig config;
  config.tick = milliseconds(30'000);
  config.jump_threshold = milliseconds(60'000);  // the test clock is not the system's
  engine::Scheduler scheduler{config, *f.store, clock, {}, nullptr};
  scheduler.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  std::vector<core::Job> jobs;
  while (jobs.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
    jobs = f.store->job_list({.limit = 10}).value();
  }
  scheduler.stop();
  REQUIRE(jobs.size() == 1);
  const core::TimeMs fire = ms("2025-06-02T09:01:00Z");
  CHECK(jobs[0].created_at >= fire);
  // Woken at the fire: it starts within moments (generous for a loaded machine), far from 30 s.
  CHECK(jobs[0].created_at - fire < 5'000);
}

TEST_CASE("schedules due in the same tick fire in a few commits, not one each") {
  test::StoreFixture f;
  test::PinnedClock clock{ms("2025-06-02T08:59:30Z")};
  engine::SchedulerConfig config;
  config.jump_threshold = milliseconds(3'600'000);  // a pinned clock moved by hand is no jump
  engine::Scheduler scheduler{config, *f.store, clock, {}, nullptr};
  const int n = 2 * static_cast<int>(engine::Scheduler::kFireChunk) + 100;
  for (int i = 0; i < n; ++i)
    REQUIRE(
        f.store->schedule_create(spec("s" + std::to_string(i), "0 9 * * *"), clock.now_ms()).ok());
  REQUIRE(scheduler.run_once().ok());  // loads; nothing due yet
  clock.set(ms("2025-06-02T09:00:00Z") + 10);
  const auto before = f.db->write_counts();
  auto r = scheduler.run_once();
  REQUIRE(r.ok());
  CHECK(r->fired == n);
  CHECK(r->stale == 0);
  // One commit per chunk of kFireChunk schedules (the window sweep writes nothing here).
  CHECK(f.db->write_counts().commits - before.commits == 3);
  // Each fired exactly once: the next tick fires nothing.
  clock.set("2025-06-02T09:00:01Z");
  CHECK(scheduler.run_once()->fired == 0);
}

TEST_CASE("schedules sharing a cron text but not a time zone each fire in their own zone") {
  // The load compiles each distinct timing text once: the zone is part of what is shared.
  test::StoreFixture f;
  test::PinnedClock clock{ms("2025-06-02T08:00:00Z")};
  engine::SchedulerConfig config;
  config.jump_threshold = milliseconds(24 * 3'600'000);  // a pinned clock moved by hand
  engine::Scheduler scheduler{config, *f.store, clock, {}, nullptr};
  for (int i = 0; i < 40; ++i) {
    auto s = spec("s" + std::to_string(i), "0 9 * * *");
    if (i % 2) s.timezone = "America/Chicago";  // 09:00 CDT = 14:00 UTC
    REQUIRE(f.store->schedule_create(s, clock.now_ms()).ok());
  }
  REQUIRE(scheduler.run_once().ok());  // loads
  CHECK(scheduler.next_fire_ms() == ms("2025-06-02T09:00:00Z"));
  clock.set(ms("2025-06-02T09:00:00Z") + 10);
  CHECK(scheduler.run_once()->fired == 20);
  CHECK(scheduler.next_fire_ms() == ms("2025-06-02T14:00:00Z"));
  clock.set(ms("2025-06-02T14:00:00Z") + 10);
  CHECK(scheduler.run_once()->fired == 20);
  for (const auto& j : f.store->job_list({.limit = 100}).value()) {
    const auto s = f.store->schedule_get_by_id(j.spec.schedule_id.value()).value();
    CHECK(j.created_at ==
          ms(s.spec.timezone == "UTC" ? "2025-06-02T09:00:00Z" : "2025-06-02T14:00:00Z") + 10);
  }
}
