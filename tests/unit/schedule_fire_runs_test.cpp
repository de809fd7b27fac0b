// Firing occurrences that start workflow runs or several jobs (store/schedule_fire_runs.h),
// on both stores (store_conformance.h; PostgreSQL's twin is store/pg/pg_schedule_fire_runs.h):
// overlap decided per whole run, buffered runs released when the previous run (not its own steps)
// has finished, and a glob's jobs fired together.
#include <doctest/doctest.h>

#include "store/pg/pg_schedule_fire_runs.h"
#include "store/schedule_fire_runs.h"
#include "store_conformance.h"

using namespace hypersdk;
using namespace hypersdk::store;
using std::chrono::milliseconds;

namespace {

// a -> b: a two-step chain of noop steps.
WorkflowSubmit chain() {
  core::WorkflowSpec wf;
  wf.name = "chain";
  core::WorkflowStep a{"a", {}, {}, "all_success"};
  a.spec.type = "noop";
  core::WorkflowStep b{"b", {}, {"a"}, "all_success"};
  b.spec.type = "noop";
  wf.steps = {a, b};
  return {wf, "{}", "{}"};
}

// Fires through the fixture's port: SqliteScheduleFireRuns or PostgreSQL's twin.
struct Fire {
  test::ConformanceFixture& f;
  Result<FireResult> fire(const FireRequest& req, const std::vector<OccurrenceStart>& starts,
                          TimeMs now) {
    return f.backend->fire_runs->fire(req, starts, now);
  }
};

FireRequest occurrence(const Schedule& s, TimeMs at) {
  FireRequest r;
  r.schedule_id = s.id;
  r.expected_cursor = s.cursor_ms;
  r.expected_version = s.version;
  r.new_cursor = at;
  PlannedFire p;
  p.nominal_utc = at;
  p.nominal_local = "x";
  p.run = true;
  p.job.type = "workflow";
  r.occurrences = {p};
  return r;
}

Schedule make_schedule(test::ConformanceFixture& f, core::OverlapPolicy overlap) {
  ScheduleSpec sp;
  sp.name = "wf";
  sp.cron = "* * * * *";
  sp.job_type = "workflow";
  sp.payload = R"({"workflow": "chain"})";
  sp.overlap = overlap;
  REQUIRE(core::validate_schedule(sp).ok());
  return f.store->schedule_create(sp, 0).value();
}

}  // namespace

TEST_CASE("a buffered workflow run waits behind the previous run, not behind its own steps") {
  test::ConformanceFixture f;
  Fire fire{f};
  auto s = make_schedule(f, core::OverlapPolicy::buffer_one);
  const std::vector<OccurrenceStart> starts{{{}, {chain()}, std::nullopt}};
  auto first = fire.fire(occurrence(s, 60'000), starts, 1).value();
  REQUIRE(first.recorded.size() == 1);
  CHECK(first.recorded[0].outcome == OccurrenceOutcome::fired);
  CHECK(first.recorded[0].reason == "started w-1");
  CHECK_FALSE(first.recorded[0].job_id.has_value());

  s = f.store->schedule_get("wf").value();
  auto second = fire.fire(occurrence(s, 120'000), starts, 2).value();
  CHECK(second.recorded[0].outcome == OccurrenceOutcome::buffered);
  CHECK(second.recorded[0].reason == "started w-2");
  auto w2 = f.store->workflow_get(2).value();
  REQUIRE(w2.steps.size() == 2);
  CHECK(w2.steps[0].job.status == JobStatus::waiting);  // a: buffered behind w-1
  CHECK(w2.steps[1].job.status == JobStatus::waiting);  // b: its upstream

  // While w-1 runs (its b waits for a), a third occurrence finds the buffer full.
  s = f.store->schedule_get("wf").value();
  auto third = fire.fire(occurrence(s, 180'000), starts, 3).value();
  CHECK(third.recorded[0].outcome == OccurrenceOutcome::skipped);

  // w-1's a, then its b: only then is w-2 released, whose own b (waiting) does not hold it.
  for (int i = 0; i < 2; ++i) {
    CHECK(f.store->job_window_sweep(100 + 20 * i)->released.empty());
    auto claimed = f.store->job_claim(1, 101 + 20 * i, milliseconds(100000), "w").value();
    REQUIRE(claimed.size() == 1);
    CHECK(claimed[0].spec.labels.find("\"workflow\":\"w-1\"") != std::string::npos);
    REQUIRE(f.store->job_complete({{claimed[0].id, claimed[0].lease_token}}, 102 + 20 * i).ok());
  }
  CHECK(f.store->workflow_get(1)->status == "succeeded");
  auto sweep = f.store->job_window_sweep(200).value();
  CHECK(sweep.released == std::vector<JobId>{w2.steps[0].job.id});
}

TEST_CASE("cancel_other ends the previous workflow run, and a glob's jobs fire together") {
  test::ConformanceFixture f;
  Fire fire{f};
  auto s = make_schedule(f, core::OverlapPolicy::cancel_other);
  const std::vector<OccurrenceStart> starts{{{}, {chain()}, std::nullopt}};
  REQUIRE(fire.fire(occurrence(s, 60'000), starts, 1).ok());
  s = f.store->schedule_get("wf").value();
  auto second = fire.fire(occurrence(s, 120'000), starts, 2).value();
  CHECK(second.recorded[0].outcome == OccurrenceOutcome::fired);
  CHECK(f.store->workflow_get(1)->status == "cancelled");  // nothing of it had started
  CHECK(f.store->workflow_get(2)->status == "running");

  // One occurrence, one job per VM; not run with its reason when nothing matched.
  s = f.store->schedule_get("wf").value();
  core::JobSpec web1, web2;
  web1.type = web2.type = "noop";
  web1.target = "web-1";
  web2.target = "web-2";
  auto third = fire.fire(occurrence(s, 180'000), {{{web1, web2}, {}, std::nullopt}}, 3).value();
  CHECK(third.recorded[0].outcome == OccurrenceOutcome::fired);
  CHECK(third.recorded[0].reason.starts_with("started j-"));
  CHECK(third.recorded[0].reason.find("(web-2)") != std::string::npos);
  s = f.store->schedule_get("wf").value();
  FireRequest none = occurrence(s, 240'000);
  none.occurrences[0].run = false;
  none.occurrences[0].reason = "no VM of provider lab matches target \"x-*\"";
  auto fourth = fire.fire(none, {{{}, {}, OccurrenceOutcome::skipped}}, 4).value();
  CHECK(fourth.recorded[0].outcome == OccurrenceOutcome::skipped);
  auto occ = f.store->schedule_occurrences(s.id, 10).value();
  CHECK(occ.front().reason == none.occurrences[0].reason);
}
