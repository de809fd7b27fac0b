// Planning ahead (scheduler.h step 5): a tick within `lookahead` of a fire reads and plans the
// due schedules but writes nothing; the fire still decides everything as of its own time:
// pause, change and delete in between, overlap with the runs active then, holiday calendars
// reloaded in between. Real SQLite file, pinned clock.
#include <doctest/doctest.h>

#include <algorithm>

#include "core/schedule_rules.h"
#include "engine/scheduler.h"
#include "pinned_clock.h"
#include "test_support.h"

using namespace hypersdk;
using std::chrono::milliseconds;
using test::ms;

namespace {

store::ScheduleSpec spec(const std::string& name, core::OverlapPolicy overlap) {
  store::ScheduleSpec s;
  s.name = name;
  s.cron = "0 9 * * *";
  s.timezone = "UTC";
  s.job_type = "noop";
  s.overlap = overlap;
  REQUIRE(core::validate_schedule(s).ok());
  return s;
}

struct AheadFixture {
  test::StoreFixture f;
  test::PinnedClock clock{ms("2025-06-02T08:59:58Z") + 500};  // 1.5 s before 09:00
  std::shared_ptr<engine::HolidayBook> holidays = std::make_shared<engine::HolidayBook>();
  engine::Scheduler scheduler{config(), *f.store, clock, holidays, nullptr};

  static engine::SchedulerConfig config() {
    engine::SchedulerConfig c;
    c.jump_threshold = milliseconds(3'600'000);  // a pinned clock moved by hand is no jump
    c.lookahead = milliseconds(3000);
    return c;
  }
  store::Schedule create(const store::ScheduleSpec& s) {
    auto r = f.store->schedule_create(s, ms("2025-06-02T08:00:00Z"));
    REQUIRE(r.ok());
    return *r;
  }
  std::vector<core::Job> jobs_of(core::ScheduleId id) {
    std::vector<core::Job> out;
    for (auto& j : f.store->job_list({.limit = 1000}).value())
      if (j.spec.schedule_id == id) out.push_back(std::move(j));
    return out;
  }
  // The tick 1.5 s before 09:00 (plans ahead), then the one 10 ms after it (fires).
  engine::TickReport ahead_then_fire(const std::function<void()>& between = {}) {
    const auto before = f.db->write_counts().commits;
    const auto jobs_before = f.store->job_list({.limit = 1000}).value().size();
    auto ahead = scheduler.run_once();
    REQUIRE(ahead.ok());
    CHECK(ahead->fired == 0);
    CHECK(f.db->write_counts().commits == before);  // nothing written ahead
    CHECK(f.store->job_list({.limit = 1000}).value().size() == jobs_before);
    if (between) between();
    clock.set(ms("2025-06-02T09:00:00Z") + 10);
    auto r = scheduler.run_once();
    REQUIRE(r.ok());
    return *r;
  }
};

}  // namespace

TEST_CASE("a tick before the minute plans ahead and writes nothing, and the fire writes it all") {
  AheadFixture x;
  std::vector<store::Schedule> s;
  for (int i = 0; i < 3; ++i)
    s.push_back(x.create(spec("s" + std::to_string(i), core::OverlapPolicy::skip)));
  const auto r = x.ahead_then_fire();
  CHECK(r.fired == 3);
  const core::TimeMs nominal = ms("2025-06-02T09:00:00Z");
  for (const auto& sc : s) {
    auto jobs = x.jobs_of(sc.id);
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].status == core::JobStatus::queued);
    CHECK(jobs[0].created_at == nominal + 10);  // written at the fire, not ahead
    CHECK(jobs[0].run_at <= nominal + 10);
    CHECK(jobs[0].spec.idempotency_key ==
          "schedule:" + std::to_string(sc.id) + ":" + std::to_string(nominal));
    CHECK(jobs[0].spec.labels.find("\"nominal_fire\":\"2025-06-02T09:00:00.000Z\"") !=
          std::string::npos);
    auto occ = x.f.store->schedule_occurrences(sc.id, 10).value();
    REQUIRE(occ.size() == 1);
    CHECK(occ[0].outcome == store::OccurrenceOutcome::fired);
    CHECK(occ[0].recorded_at == nominal + 10);
    CHECK(occ[0].job_id == jobs[0].id);
  }
  // Each fired once: the next tick fires nothing.
  x.clock.set(ms("2025-06-02T09:00:01Z"));
  CHECK(x.scheduler.run_once()->fired == 0);
}

TEST_CASE("a schedule paused, changed or deleted after it was planned ahead fires as it is then") {
  AheadFixture x;
  auto paused = x.create(spec("paused", core::OverlapPolicy::skip));
  auto changed = x.create(spec("changed", core::OverlapPolicy::skip));
  auto deleted = x.create(spec("deleted", core::OverlapPolicy::skip));
  auto kept = x.create(spec("kept", core::OverlapPolicy::skip));
  const auto r = x.ahead_then_fire([&] {
    const core::TimeMs t = ms("2025-06-02T08:59:59Z");
    REQUIRE(x.f.store->schedule_set_paused("paused", true, t).ok());
    auto s = spec("changed", core::OverlapPolicy::skip);
    s.payload = R"({"v":2})";
    REQUIRE(x.f.store->schedule_update("changed", s, false, t).ok());
    REQUIRE(x.f.store->schedule_delete("deleted").ok());
  });
  CHECK(r.fired == 2);
  CHECK(x.jobs_of(paused.id).empty());
  CHECK(x.f.store->schedule_occurrences(paused.id, 10).value().empty());
  CHECK(x.jobs_of(deleted.id).empty());
  auto c = x.jobs_of(changed.id);
  REQUIRE(c.size() == 1);
  CHECK(c[0].spec.payload == R"({"v":2})");
  CHECK(x.jobs_of(kept.id).size() == 1);
}

TEST_CASE("an occurrence planned ahead meets the overlap policy with the runs active at its time") {
  AheadFixture x;
  // Idle when planned, a run started (manually) before the fire: skip skips.
  auto skip = x.create(spec("skip", core::OverlapPolicy::skip));
  // Busy when planned, the run finished before the fire: skip fires.
  auto freed = x.create(spec("freed", core::OverlapPolicy::skip));
  const core::TimeMs t0 = ms("2025-06-02T08:59:00Z");
  store::RunRequest busy;
  busy.name = "freed";
  busy.job.type = "noop";
  REQUIRE(x.f.store->schedule_run(busy, t0).ok());
  const auto r = x.ahead_then_fire([&] {
    const core::TimeMs t = ms("2025-06-02T08:59:59Z");
    store::RunRequest manual;
    manual.name = "skip";
    manual.job.type = "noop";
    REQUIRE(x.f.store->schedule_run(manual, t).ok());
    auto claimed = x.f.store->job_claim(10, t, milliseconds(60'000), "test").value();
    for (const auto& j : claimed)
      if (j.spec.schedule_id == freed.id)
        REQUIRE(x.f.store->job_complete({{j.id, j.lease_token}}, t).ok());
  });
  CHECK(r.fired == 1);
  CHECK(r.skipped == 1);
  auto s = x.f.store->schedule_occurrences(skip.id, 10).value();
  REQUIRE(s.size() == 1);
  CHECK(s[0].outcome == store::OccurrenceOutcome::skipped);
  auto f = x.f.store->schedule_occurrences(freed.id, 10).value();
  REQUIRE(f.size() == 1);
  CHECK(f[0].outcome == store::OccurrenceOutcome::fired);
}

TEST_CASE("holiday calendars reloaded after a schedule was planned ahead apply to its fire") {
  AheadFixture x;
  auto s = spec("ops-only", core::OverlapPolicy::skip);
  s.holidays = {"ops"};
  REQUIRE(core::validate_schedule(s).ok());
  auto sc = x.create(s);
  // Planned ahead while "ops" is not configured (the job would be unrestricted), then a
  // reload brings "ops" with today in it: the fire's job waits for the day to end.
  const auto r = x.ahead_then_fire([&] {
    core::HolidayCalendar ops;
    ops.name = "ops";
    ops.dates.insert(date::year{2025} / 6 / 2);
    x.holidays->replace({{"ops", ops}});
  });
  CHECK(r.fired == 1);
  auto jobs = x.jobs_of(sc.id);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].status == core::JobStatus::waiting);
  CHECK(jobs[0].run_at == ms("2025-06-03T00:00:00Z"));
}

TEST_CASE("a fire later than the lookahead after its time re-plans as of then") {
  AheadFixture x;
  auto s = spec("no-catchup", core::OverlapPolicy::skip);
  s.catchup = core::CatchupPolicy::none;
  auto sc = x.create(s);
  REQUIRE(x.scheduler.run_once().ok());  // planned ahead, as of 09:00: on time, it runs
  // Down for a while: the fire comes 90 s late, past the misfire grace (60 s), and catchup
  // none says a late occurrence does not run. The plan made for 09:00 must not decide it.
  x.clock.set(ms("2025-06-02T09:01:30Z"));
  auto r = x.scheduler.run_once();
  REQUIRE(r.ok());
  CHECK(r->fired == 0);
  CHECK(r->missed == 1);
  CHECK(x.jobs_of(sc.id).empty());
  auto occ = x.f.store->schedule_occurrences(sc.id, 10).value();
  REQUIRE(occ.size() == 1);
  CHECK(occ[0].outcome == store::OccurrenceOutcome::missed);
}
