// Arming (scheduler_arm.cpp, store/schedule_arm.h): the tick that plans a fire ahead also
// writes its occurrence and its job (queued, run_at = nominal) when the overlap decision
// cannot change by then; the job is claimable at its nominal time and not before; pause,
// update, delete, `schedule run` and a calendar change undo it; an overlap that could change
// is not armed; a restart fires nothing twice. Real SQLite file, pinned clock.
#include <doctest/doctest.h>

#include "core/schedule_rules.h"
#include "engine/scheduler.h"
#include "pinned_clock.h"
#include "store/schedule_arm.h"
#include "test_support.h"

using namespace hypersdk;
using std::chrono::milliseconds;
using test::ms;

namespace {

const core::TimeMs kNominal = ms("2025-06-02T09:00:00Z");
const core::TimeMs kAhead = kNominal - 1500;  // the planning tick, 1.5 s before

store::ScheduleSpec spec(const std::string& name,
                         core::OverlapPolicy overlap = core::OverlapPolicy::skip) {
  store::ScheduleSpec s;
  s.name = name;
  s.cron = "0 9 * * *";
  s.timezone = "UTC";
  s.job_type = "noop";
  s.overlap = overlap;
  REQUIRE(core::validate_schedule(s).ok());
  return s;
}

engine::SchedulerConfig arming() {
  engine::SchedulerConfig c;
  c.jump_threshold = milliseconds(3'600'000);  // a pinned clock moved by hand is no jump
  c.lookahead = milliseconds(3000);
  c.arm = true;
  return c;
}

struct ArmFixture {
  test::StoreFixture f;
  test::PinnedClock clock{kAhead};
  std::shared_ptr<engine::HolidayBook> holidays = std::make_shared<engine::HolidayBook>();
  engine::Scheduler scheduler{arming(), *f.store, clock, holidays, nullptr};

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
  engine::TickReport tick(core::TimeMs at) {
    clock.set(at);
    auto r = scheduler.run_once();
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return *r;
  }
  std::vector<core::Job> claim(core::TimeMs at) {
    return f.store->job_claim(100, at, milliseconds(60'000), "test").value();
  }
  core::TimeMs cursor(const std::string& name) {
    return f.store->schedule_get(name).value().cursor_ms;
  }
};

}  // namespace

TEST_CASE("arm: the planning tick writes the job, claimable at its nominal time and not before") {
  ArmFixture x;
  auto s = x.create(spec("nightly"));
  const core::TimeMs cursor_before = x.cursor("nightly");
  CHECK(x.tick(kAhead).fired == 0);
  auto jobs = x.jobs_of(s.id);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].status == core::JobStatus::queued);
  CHECK(jobs[0].run_at == kNominal);
  CHECK(jobs[0].created_at == kAhead);
  auto occ = x.f.store->schedule_occurrences(s.id, 10).value();
  REQUIRE(occ.size() == 1);
  CHECK(occ[0].outcome == store::OccurrenceOutcome::fired);
  CHECK(occ[0].nominal_utc == kNominal);
  CHECK(occ[0].recorded_at == kAhead);
  CHECK(occ[0].job_id == jobs[0].id);
  // The cursor stays until the nominal time: `schedule show` still names 09:00 as next.
  CHECK(x.cursor("nightly") == cursor_before);

  CHECK(x.claim(kNominal - 1).empty());
  auto claimed = x.claim(kNominal);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].id == jobs[0].id);

  // The fire at 09:00 writes no second job; it advances the cursor.
  auto r = x.tick(kNominal + 10);
  CHECK(r.fired == 0);
  CHECK(x.jobs_of(s.id).size() == 1);
  CHECK(x.f.store->schedule_occurrences(s.id, 10).value().size() == 1);
  CHECK(x.cursor("nightly") == kNominal);
  CHECK(x.tick(kNominal + 1000).fired == 0);
}

TEST_CASE("arm: pause, update or delete between arm and nominal leaves no armed job") {
  ArmFixture x;
  auto paused = x.create(spec("paused"));
  auto changed = x.create(spec("changed"));
  auto deleted = x.create(spec("deleted"));
  auto kept = x.create(spec("kept"));
  x.tick(kAhead);
  for (const auto* s : {&paused, &changed, &deleted, &kept}) REQUIRE(x.jobs_of(s->id).size() == 1);

  const core::TimeMs t = kNominal - 1000;
  REQUIRE(x.f.store->schedule_set_paused("paused", true, t).ok());
  auto c = spec("changed");
  c.payload = R"({"v":2})";
  REQUIRE(x.f.store->schedule_update("changed", c, false, t).ok());
  REQUIRE(x.f.store->schedule_delete("deleted").ok());
  CHECK(x.jobs_of(paused.id).empty());
  CHECK(x.f.store->schedule_occurrences(paused.id, 10).value().empty());
  CHECK(x.jobs_of(changed.id).empty());
  CHECK(x.jobs_of(deleted.id).empty());
  CHECK(x.jobs_of(kept.id).size() == 1);

  auto r = x.tick(kNominal + 10);
  CHECK(r.fired == 1);  // `changed`, at its time, as it is now; `kept` was armed
  CHECK(x.jobs_of(paused.id).empty());
  CHECK(x.jobs_of(deleted.id).empty());
  auto cj = x.jobs_of(changed.id);
  REQUIRE(cj.size() == 1);
  CHECK(cj[0].spec.payload == R"({"v":2})");
  CHECK(cj[0].created_at == kNominal + 10);
  CHECK(x.jobs_of(kept.id).size() == 1);
  CHECK(x.cursor("changed") == kNominal);
  CHECK(x.cursor("kept") == kNominal);
  // Resumed, the paused one fires at its next time (tomorrow), not the one it missed.
  REQUIRE(x.f.store->schedule_set_paused("paused", false, kNominal + 20).ok());
  CHECK(x.tick(kNominal + 1000).fired == 0);
  CHECK(x.jobs_of(paused.id).empty());
  const core::TimeMs tomorrow = ms("2025-06-03T09:00:00Z");
  x.tick(tomorrow - 1500);
  auto pj = x.jobs_of(paused.id);
  REQUIRE(pj.size() == 1);
  CHECK(pj[0].run_at == tomorrow);
}

TEST_CASE("arm: an overlap-skip schedule with an active run is not armed and still skips") {
  ArmFixture x;
  auto s = x.create(spec("busy"));
  store::RunRequest run;
  run.name = "busy";
  run.job.type = "noop";
  const auto manual = x.f.store->schedule_run(run, kAhead - 60'000).value();
  REQUIRE(x.claim(kAhead - 60'000).size() == 1);  // running
  x.tick(kAhead);
  REQUIRE(x.jobs_of(s.id).size() == 1);  // only the manual run
  CHECK(x.f.store->schedule_occurrences(s.id, 10).value().empty());
  auto r = x.tick(kNominal + 10);
  CHECK(r.skipped == 1);
  CHECK(r.fired == 0);
  CHECK(x.jobs_of(s.id).size() == 1);
  auto occ = x.f.store->schedule_occurrences(s.id, 10).value();
  REQUIRE(occ.size() == 1);
  CHECK(occ[0].outcome == store::OccurrenceOutcome::skipped);
  CHECK(x.jobs_of(s.id)[0].id == manual.id);
}

TEST_CASE("arm: `schedule run` after the arm undoes it and the fire decides against that run") {
  ArmFixture x;
  auto s = x.create(spec("skipper"));
  x.tick(kAhead);
  REQUIRE(x.jobs_of(s.id).size() == 1);
  store::RunRequest run;
  run.name = "skipper";
  run.job.type = "noop";
  // Not refused because of the armed job: it is undone first.
  auto manual = x.f.store->schedule_run(run, kNominal - 500);
  REQUIRE(manual.ok());
  auto jobs = x.jobs_of(s.id);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].id == manual->id);
  CHECK(x.f.store->schedule_occurrences(s.id, 10).value().empty());
  auto r = x.tick(kNominal + 10);
  CHECK(r.skipped == 1);
  CHECK(x.jobs_of(s.id).size() == 1);
  CHECK(x.cursor("skipper") == kNominal);
}

TEST_CASE("arm: allow arms beside an active run, and a calendar change undoes what was armed") {
  ArmFixture x;
  auto s = spec("ops-only", core::OverlapPolicy::allow);
  s.holidays = {"ops"};
  REQUIRE(core::validate_schedule(s).ok());
  auto sc = x.create(s);
  store::RunRequest run;
  run.name = "ops-only";
  run.job.type = "noop";
  REQUIRE(x.f.store->schedule_run(run, kAhead - 60'000).ok());
  REQUIRE(x.claim(kAhead - 60'000).size() == 1);
  x.tick(kAhead);
  REQUIRE(x.jobs_of(sc.id).size() == 2);  // allow: armed although a run is active
  // A reload brings "ops" with today in it: the armed job (planned without it) is undone and
  // the fire's job waits for the day to end.
  core::HolidayCalendar ops;
  ops.name = "ops";
  ops.dates.insert(date::year{2025} / 6 / 2);
  x.holidays->replace({{"ops", ops}});
  auto r = x.tick(kNominal + 10);
  CHECK(r.fired == 1);
  auto jobs = x.jobs_of(sc.id);
  REQUIRE(jobs.size() == 2);
  int waiting = 0;
  for (const auto& j : jobs)
    if (j.status == core::JobStatus::waiting) {
      ++waiting;
      CHECK(j.run_at == ms("2025-06-03T00:00:00Z"));
      CHECK(j.created_at == kNominal + 10);
    }
  CHECK(waiting == 1);
  CHECK(x.f.store->schedule_occurrences(sc.id, 10).value().size() == 1);
}

TEST_CASE("arm: a scheduler restarted between arm and nominal fires nothing twice") {
  ArmFixture x;
  auto s = x.create(spec("once"));
  x.tick(kAhead);
  REQUIRE(x.jobs_of(s.id).size() == 1);
  engine::Scheduler restarted{arming(), *x.f.store, x.clock, x.holidays, nullptr};
  x.clock.set(kAhead + 500);
  REQUIRE(restarted.run_once().ok());  // plans and arms again: a duplicate, nothing written
  x.clock.set(kNominal + 10);
  auto r = restarted.run_once();
  REQUIRE(r.ok());
  CHECK(r->fired == 0);
  CHECK(x.jobs_of(s.id).size() == 1);
  CHECK(x.cursor("once") == kNominal);
}

namespace {

store::FireRequest arm_request(const store::Schedule& s) {
  store::FireRequest req;
  req.schedule_id = s.id;
  req.expected_cursor = s.cursor_ms;
  req.expected_version = s.version;
  req.new_cursor = kNominal;
  store::PlannedFire pf;
  pf.nominal_utc = kNominal;
  pf.nominal_local = "2025-06-02T09:00:00";
  pf.run = true;
  pf.job.type = "noop";
  pf.job.schedule_id = s.id;
  pf.job.run_at = kNominal;
  req.occurrences.push_back(pf);
  return req;
}

}  // namespace

TEST_CASE("arm store: refused with an active run, and a started job is never undone") {
  test::StoreFixture f;
  auto arming = store::make_schedule_arming(*f.store);
  REQUIRE(arming);
  auto s = f.store->schedule_create(spec("s"), kAhead - 3'600'000).value();
  auto req = arm_request(s);

  // Not before its time (a job claimable now would not be "armed").
  req.occurrences[0].job.run_at = kNominal - 1;
  auto bad = arming->arm({req}, kAhead).value();
  REQUIRE(!bad[0].ok());
  CHECK(bad[0].error().cls == ErrorClass::invalid);
  req.occurrences[0].job.run_at = kNominal;

  store::RunRequest run;
  run.name = "s";
  run.job.type = "noop";
  auto manual = f.store->schedule_run(run, kAhead - 1000).value();
  auto refused = arming->arm({req}, kAhead).value();
  CHECK(refused[0].value().not_armed);
  CHECK(refused[0].value().fire.recorded.empty());
  CHECK(f.store->schedule_occurrences(s.id, 10).value().empty());
  REQUIRE(f.store->job_cancel(manual.id, kAhead - 500).ok());

  auto armed = arming->arm({req}, kAhead).value()[0].value();
  CHECK_FALSE(armed.not_armed);
  REQUIRE(armed.fire.recorded.size() == 1);
  CHECK(f.store->schedule_get("s").value().cursor_ms == s.cursor_ms);  // not advanced
  const core::JobId job = armed.fire.recorded[0].job_id.value();
  // Armed again (a restarted scheduler): nothing written; under skip the armed job is the
  // active run that makes it not armable.
  auto again = arming->arm({req}, kAhead + 100).value()[0].value();
  CHECK(again.not_armed);
  CHECK(again.fire.recorded.empty());
  CHECK(f.store->job_list({.limit = 100}).value().size() == 2);  // the cancelled run + armed
  // Claimed at its time before the scheduler's fire moved the cursor: a pause then leaves it.
  REQUIRE(f.store->job_claim(10, kNominal, milliseconds(60'000), "w").value().size() == 1);
  REQUIRE(f.store->schedule_set_paused("s", true, kNominal + 5).ok());
  CHECK(f.store->job_get(job).value().status == core::JobStatus::running);
  CHECK(f.store->schedule_occurrences(s.id, 10).value().size() == 1);
  CHECK(arming->disarm_all().value() == 0);
}

TEST_CASE("arm store: disarm_all undoes every armed occurrence whose job has not started") {
  test::StoreFixture f;
  auto arming = store::make_schedule_arming(*f.store);
  REQUIRE(arming);
  std::vector<store::Schedule> ss;
  std::vector<store::FireRequest> reqs;
  for (int i = 0; i < 3; ++i) {
    ss.push_back(f.store->schedule_create(spec("s" + std::to_string(i)), kAhead - 60'000).value());
    reqs.push_back(arm_request(ss.back()));
  }
  auto answers = arming->arm(reqs, kAhead).value();
  for (const auto& a : answers) REQUIRE(a.value().fire.recorded.size() == 1);
  CHECK(f.store->job_list({.limit = 100}).value().size() == 3);
  CHECK(arming->disarm_all().value() == 3);
  CHECK(f.store->job_list({.limit = 100}).value().empty());
  for (const auto& s : ss) CHECK(f.store->schedule_occurrences(s.id, 10).value().empty());
  CHECK(arming->disarm_all().value() == 0);
}

TEST_CASE("arm store: advance moves the cursor only past an occurrence still armed") {
  test::StoreFixture f;
  auto arming = store::make_schedule_arming(*f.store);
  REQUIRE(arming);
  auto a = f.store->schedule_create(spec("a"), kAhead - 60'000).value();
  auto b = f.store->schedule_create(spec("b"), kAhead - 60'000).value();
  auto never = f.store->schedule_create(spec("never"), kAhead - 60'000).value();
  for (const auto& r : arming->arm({arm_request(a), arm_request(b)}, kAhead).value())
    REQUIRE(r.value().fire.recorded.size() == 1);
  store::RunRequest run;
  run.name = "b";
  run.job.type = "noop";
  REQUIRE(f.store->schedule_run(run, kAhead + 10).ok());  // undoes b's arm
  auto moved = arming->advance({arm_request(a), arm_request(b), arm_request(never)}).value();
  CHECK(moved == std::vector<bool>{true, false, false});
  CHECK(f.store->schedule_get("a").value().cursor_ms == kNominal);
  CHECK(f.store->schedule_get("b").value().cursor_ms == b.cursor_ms);
  CHECK(f.store->schedule_get("never").value().cursor_ms == never.cursor_ms);
  // Once past the cursor the occurrence is fired, no longer armed: nothing to undo.
  CHECK(arming->disarm_all().value() == 0);
  CHECK(arming->advance({arm_request(a)}).value() == std::vector<bool>{false});
}
