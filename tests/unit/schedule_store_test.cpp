// Conformance tests for the store port's schedule operations and job windows, on both stores
// (store_conformance.h: SQLite, or PostgreSQL under HYPERSDK_TEST_PG_URL).
#include <doctest/doctest.h>

#include <algorithm>

#include "core/schedule_rules.h"
#include "cron_test_support.h"
#include "store_conformance.h"

using namespace hypersdk;
using namespace hypersdk::store;
using core::testing::utc;
using std::chrono::milliseconds;

namespace {

TimeMs ms(const char* iso) {
  return std::chrono::duration_cast<milliseconds>(utc(iso).time_since_epoch()).count();
}

ScheduleSpec spec(const std::string& name = "nightly") {
  ScheduleSpec s;
  s.name = name;
  s.cron = "0 2 * * *";
  s.timezone = "America/Chicago";
  s.job_type = "noop";
  REQUIRE(core::validate_schedule(s).ok());
  return s;
}

PlannedFire run_at(const char* iso, ScheduleId id) {
  PlannedFire p;
  p.nominal_utc = ms(iso);
  p.nominal_local = iso;
  p.run = true;
  p.job.type = "noop";
  p.job.schedule_id = id;
  return p;
}

PlannedFire missed_at(const char* iso, std::string_view reason) {
  PlannedFire p;
  p.nominal_utc = ms(iso);
  p.nominal_local = iso;
  p.reason = std::string(reason);
  return p;
}

FireRequest request(const Schedule& s, std::vector<PlannedFire> occ) {
  FireRequest r;
  r.schedule_id = s.id;
  r.expected_cursor = s.cursor_ms;
  r.expected_version = s.version;
  r.new_cursor = occ.back().nominal_utc;
  r.occurrences = std::move(occ);
  return r;
}

core::JobWindow night_window(const char* close = "let_finish") {
  auto w = core::make_job_window("America/Chicago", "22:00-06:00", "*", {}, close);
  REQUIRE(w.ok());
  return *w;
}

}  // namespace

TEST_CASE("a schedule is created, read back, listed and its name is unique") {
  test::ConformanceFixture f;
  auto s = f.store->schedule_create(spec(), 1000);
  REQUIRE(s.ok());
  CHECK(s->cursor_ms == 1000);
  CHECK(s->spec.cron == "0 2 * * *");
  CHECK(s->spec.timezone == "America/Chicago");
  CHECK(s->spec.overlap == core::OverlapPolicy::skip);
  CHECK(s->spec.catchup == core::CatchupPolicy::latest);
  auto got = f.store->schedule_get("nightly");
  REQUIRE(got.ok());
  CHECK(got->id == s->id);
  CHECK(f.store->schedule_list()->size() == 1);
  auto dup = f.store->schedule_create(spec(), 2000);
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().cls == ErrorClass::conflict);
  CHECK(f.store->schedule_get("nope").error().cls == ErrorClass::not_found);
}

TEST_CASE("schedule_page pages by name after a cursor, filtered by glob, paused and provider") {
  test::ConformanceFixture f;
  for (const char* name : {"b-web", "a-db", "c-web", "d-web"}) {
    ScheduleSpec s = spec(name);
    if (std::string(name) == "c-web") s.provider = "vsphere";
    REQUIRE(f.store->schedule_create(s, 1000).ok());
  }
  REQUIRE(f.store->schedule_set_paused("d-web", true, 2000).ok());
  auto names = [&](const store::ScheduleFilter& filter) {
    std::vector<std::string> out;
    for (const auto& s : f.store->schedule_page(filter).value()) out.push_back(s.spec.name);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(names({.limit = 2}) == V{"a-db", "b-web"});
  CHECK(names({.after = "b-web", .limit = 2}) == V{"c-web", "d-web"});
  CHECK(names({.after = "d-web"}).empty());
  CHECK(names({.name_glob = "*-web"}) == V{"b-web", "c-web", "d-web"});
  CHECK(names({.paused = true}) == V{"d-web"});
  CHECK(names({.name_glob = "*-web", .paused = false}) == V{"b-web", "c-web"});
  CHECK(names({.provider = "vsphere"}) == V{"c-web"});
}

TEST_CASE("every change bumps the generation other schedulers poll") {
  test::ConformanceFixture f;
  const auto g0 = f.store->schedule_generation().value();
  REQUIRE(f.store->schedule_create(spec(), 1000).ok());
  const auto g1 = f.store->schedule_generation().value();
  CHECK(g1 > g0);
  REQUIRE(f.store->schedule_set_paused("nightly", true, 2000).ok());
  const auto g2 = f.store->schedule_generation().value();
  CHECK(g2 > g1);
  auto changed = spec();
  changed.priority = 5;
  REQUIRE(f.store->schedule_update("nightly", changed, false, 3000).ok());
  CHECK(f.store->schedule_generation().value() > g2);
  REQUIRE(f.store->schedule_delete("nightly").ok());
  CHECK(f.store->schedule_generation().value() > g2 + 1);
  CHECK(f.store->schedule_delete("nightly").error().cls == ErrorClass::not_found);
}

TEST_CASE("resume moves the cursor to now, update with reset_cursor too") {
  test::ConformanceFixture f;
  REQUIRE(f.store->schedule_create(spec(), 1000).ok());
  auto paused = f.store->schedule_set_paused("nightly", true, 2000);
  REQUIRE(paused.ok());
  CHECK(paused->paused);
  CHECK(paused->cursor_ms == 1000);
  auto resumed = f.store->schedule_set_paused("nightly", false, 5000);
  REQUIRE(resumed.ok());
  CHECK(resumed->cursor_ms == 5000);
  auto upd = f.store->schedule_update("nightly", spec(), true, 9000);
  REQUIRE(upd.ok());
  CHECK(upd->cursor_ms == 9000);
  CHECK(upd->version > resumed->version);
}

TEST_CASE("schedule_fire records, enqueues and advances the cursor in one go") {
  test::ConformanceFixture f;
  auto s = f.store->schedule_create(spec(), ms("2025-06-01T00:00:00Z")).value();
  auto r = f.store->schedule_fire(
      request(s, {missed_at("2025-06-01T07:00:00Z", core::missed_reason::superseded),
                  run_at("2025-06-02T07:00:00Z", s.id)}),
      ms("2025-06-02T07:00:01Z"));
  REQUIRE(r.ok());
  CHECK_FALSE(r->stale);
  REQUIRE(r->recorded.size() == 2);
  CHECK(r->recorded[0].outcome == OccurrenceOutcome::missed);
  CHECK(r->recorded[1].outcome == OccurrenceOutcome::fired);
  REQUIRE(r->recorded[1].job_id);
  auto job = f.store->job_get(*r->recorded[1].job_id).value();
  CHECK(job.status == JobStatus::queued);
  CHECK(job.spec.schedule_id == s.id);
  CHECK(f.store->schedule_get("nightly")->cursor_ms == ms("2025-06-02T07:00:00Z"));
  auto occ = f.store->schedule_occurrences(s.id, 10).value();
  REQUIRE(occ.size() == 2);
  CHECK(occ[0].outcome == OccurrenceOutcome::fired);  // newest first
  auto events = f.store->event_list(0, 10).value();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == "schedule.missed");
  CHECK(events[0].payload.find("\"superseded\"") != std::string::npos);
}

TEST_CASE("a plan made from an old cursor or version is stale and writes nothing") {
  test::ConformanceFixture f;
  auto s = f.store->schedule_create(spec(), ms("2025-06-01T00:00:00Z")).value();
  auto req = request(s, {run_at("2025-06-01T07:00:00Z", s.id)});
  REQUIRE(f.store->schedule_fire(req, ms("2025-06-01T07:00:00Z"))->recorded.size() == 1);
  // The same plan again (a second scheduler that read the old cursor): stale.
  auto again = f.store->schedule_fire(req, ms("2025-06-01T07:00:01Z"));
  REQUIRE(again.ok());
  CHECK(again->stale);
  CHECK(f.store->job_list({}).value().size() == 1);
  // A changed schedule invalidates plans made before the change.
  auto cur = f.store->schedule_get("nightly").value();
  REQUIRE(f.store->schedule_set_paused("nightly", true, ms("2025-06-01T08:00:00Z")).ok());
  CHECK(f.store
            ->schedule_fire(request(cur, {run_at("2025-06-02T07:00:00Z", s.id)}),
                            ms("2025-06-02T07:00:00Z"))
            ->stale);
}

TEST_CASE("an occurrence already recorded is never fired again") {
  test::ConformanceFixture f;
  auto s = f.store->schedule_create(spec(), ms("2025-06-01T00:00:00Z")).value();
  REQUIRE(f.store
              ->schedule_fire(request(s, {run_at("2025-06-01T07:00:00Z", s.id)}),
                              ms("2025-06-01T07:00:00Z"))
              .ok());
  // A scheduler whose cursor is behind (e.g. after a backward clock jump it re-read) plans the
  // same occurrence with the current cursor: the UNIQUE occurrence row stops it.
  auto cur = f.store->schedule_get("nightly").value();
  FireRequest req = request(cur, {run_at("2025-06-01T07:00:00Z", s.id)});
  auto r = f.store->schedule_fire(req, ms("2025-06-01T07:00:05Z"));
  REQUIRE(r.ok());
  CHECK(r->duplicates == 1);
  CHECK(r->recorded.empty());
  CHECK(f.store->job_list({}).value().size() == 1);
}

TEST_CASE("overlap skip records the occurrence as skipped while a run is active") {
  test::ConformanceFixture f;
  auto s = f.store->schedule_create(spec(), ms("2025-06-01T00:00:00Z")).value();
  REQUIRE(f.store->schedule_fire(request(s, {run_at("2025-06-01T07:00:00Z", s.id)}), 1).ok());
  s = f.store->schedule_get("nightly").value();
  auto r = f.store->schedule_fire(request(s, {run_at("2025-06-02T07:00:00Z", s.id)}), 2);
  REQUIRE(r.ok());
  REQUIRE(r->recorded.size() == 1);
  CHECK(r->recorded[0].outcome == OccurrenceOutcome::skipped);
  CHECK(r->recorded[0].reason == core::missed_reason::overlap);
  CHECK(f.store->job_list({}).value().size() == 1);
}

TEST_CASE("buffer_one keeps one occurrence waiting and releases it when the run finishes") {
  test::ConformanceFixture f;
  auto sp = spec();
  sp.overlap = core::OverlapPolicy::buffer_one;
  auto s = f.store->schedule_create(sp, 0).value();
  auto first = f.store->schedule_fire(request(s, {run_at("2025-06-01T07:00:00Z", s.id)}), 1);
  s = f.store->schedule_get("nightly").value();
  auto second = f.store->schedule_fire(request(s, {run_at("2025-06-02T07:00:00Z", s.id)}), 2);
  s = f.store->schedule_get("nightly").value();
  auto third = f.store->schedule_fire(request(s, {run_at("2025-06-03T07:00:00Z", s.id)}), 3);
  CHECK(second->recorded[0].outcome == OccurrenceOutcome::buffered);
  CHECK(third->recorded[0].outcome == OccurrenceOutcome::skipped);
  CHECK(third->recorded[0].reason == core::missed_reason::overlap_buffer_full);
  const JobId buffered = *second->recorded[0].job_id;
  CHECK(f.store->job_get(buffered)->status == JobStatus::waiting);
  // Nothing to release while the first run is active; claim it: only the first is claimable.
  CHECK(f.store->job_window_sweep(4)->released.empty());
  auto claimed = f.store->job_claim(5, 5, milliseconds(1000), "w").value();
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].id == *first->recorded[0].job_id);
  REQUIRE(f.store->job_complete({{claimed[0].id, claimed[0].lease_token}}, 6).ok());
  auto sweep = f.store->job_window_sweep(7).value();
  CHECK(sweep.released == std::vector<JobId>{buffered});
  CHECK(f.store->job_get(buffered)->status == JobStatus::queued);
}

TEST_CASE("cancel_other cancels the active run and fires") {
  test::ConformanceFixture f;
  auto sp = spec();
  sp.overlap = core::OverlapPolicy::cancel_other;
  auto s = f.store->schedule_create(sp, 0).value();
  REQUIRE(f.store->schedule_fire(request(s, {run_at("2025-06-01T07:00:00Z", s.id)}), 1).ok());
  auto running = f.store->job_claim(1, 2, milliseconds(100000), "w").value();
  REQUIRE(running.size() == 1);
  s = f.store->schedule_get("nightly").value();
  auto r = f.store->schedule_fire(request(s, {run_at("2025-06-02T07:00:00Z", s.id)}), 3);
  REQUIRE(r.ok());
  CHECK(r->recorded[0].outcome == OccurrenceOutcome::fired);
  CHECK(r->cancelled == std::vector<JobId>{running[0].id});
  CHECK(f.store->job_get(running[0].id)->cancel_requested);
}

TEST_CASE("a job outside its window waits until the opening, then becomes claimable") {
  test::ConformanceFixture f;
  JobSpec js;
  js.type = "noop";
  js.window = night_window();
  // 14:00 CDT.
  auto job = f.store->job_enqueue(js, ms("2025-06-02T19:00:00Z")).value();
  CHECK(job.status == JobStatus::waiting);
  CHECK(job.run_at == ms("2025-06-03T03:00:00Z"));  // 22:00 CDT
  CHECK(f.store->job_claim(1, ms("2025-06-03T02:59:59Z"), milliseconds(1000), "w")->empty());
  CHECK(f.store->job_next_due().value() == ms("2025-06-03T03:00:00Z"));
  auto claimed = f.store->job_claim(1, ms("2025-06-03T03:00:00Z"), milliseconds(1000), "w");
  REQUIRE(claimed->size() == 1);
  CHECK((*claimed)[0].id == job.id);
  // 02:00 CDT is inside the window: queued at once.
  auto night = f.store->job_enqueue(js, ms("2025-06-03T07:00:00Z")).value();
  CHECK(night.status == JobStatus::queued);
  REQUIRE(night.spec.window);
  CHECK(night.spec.window->timezone == "America/Chicago");
  CHECK(night.spec.window->window == js.window->window);
}

TEST_CASE("a retry that falls outside the window waits for the next opening") {
  test::ConformanceFixture f;
  JobSpec js;
  js.type = "noop";
  js.window = night_window();
  js.retry.base = milliseconds(60'000);
  js.retry.jitter = false;
  auto job = f.store->job_enqueue(js, ms("2025-06-03T10:50:00Z")).value();  // 05:50 CDT
  auto claimed = f.store->job_claim(1, ms("2025-06-03T10:50:00Z"), milliseconds(100000), "w");
  REQUIRE(claimed->size() == 1);
  Completion fail{job.id, (*claimed)[0].lease_token, Outcome::failed,
                  Error{ErrorClass::transient, "flaky"}, ""};
  // Fails at 05:59:30; the retry (one minute later) would be 06:00:30, after the close.
  auto done = f.store->job_complete({fail}, ms("2025-06-03T10:59:30Z"));
  REQUIRE(done.ok());
  CHECK((*done)[0].status == JobStatus::retrying);
  CHECK((*done)[0].retry_at == ms("2025-06-04T03:00:00Z"));
  auto after = f.store->job_get(job.id).value();
  CHECK(after.status == JobStatus::waiting);
  CHECK(after.run_at == ms("2025-06-04T03:00:00Z"));
}

TEST_CASE("the sweep asks running jobs to stop at window close when close=cancel") {
  test::ConformanceFixture f;
  JobSpec cancel_js;
  cancel_js.type = "noop";
  cancel_js.window = night_window("cancel");
  JobSpec finish_js = cancel_js;
  finish_js.window = night_window("let_finish");
  auto a = f.store->job_enqueue(cancel_js, ms("2025-06-03T10:00:00Z")).value();  // 05:00 CDT
  auto b = f.store->job_enqueue(finish_js, ms("2025-06-03T10:00:00Z")).value();
  REQUIRE(
      f.store->job_claim(2, ms("2025-06-03T10:00:00Z"), milliseconds(10'000'000), "w")->size() ==
      2);
  CHECK(f.store->job_window_sweep(ms("2025-06-03T10:59:59Z"))->cancel_requested.empty());
  auto sweep = f.store->job_window_sweep(ms("2025-06-03T11:00:00Z")).value();  // 06:00 CDT
  CHECK(sweep.cancel_requested == std::vector<JobId>{a.id});
  CHECK(f.store->job_get(a.id)->cancel_requested);
  CHECK_FALSE(f.store->job_get(b.id)->cancel_requested);
}

TEST_CASE("an emergency run bypasses window and overlap and is audited") {
  test::ConformanceFixture f;
  auto sp = spec();
  sp.window = "22:00-06:00";
  auto s = f.store->schedule_create(sp, 0).value();
  RunRequest run;
  run.name = "nightly";
  run.job.type = "noop";
  run.job.window = night_window();
  // A manual run at 14:00 CDT waits for the window.
  auto manual = f.store->schedule_run(run, ms("2025-06-02T19:00:00Z"));
  REQUIRE(manual.ok());
  CHECK(manual->status == JobStatus::waiting);
  // A second manual run conflicts with the active one (overlap skip).
  auto again = f.store->schedule_run(run, ms("2025-06-02T19:00:01Z"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().cls == ErrorClass::conflict);
  CHECK(f.store->audit_list(10)->empty());
  run.emergency = true;
  run.actor = "alice (uid 1000)";
  run.reason = "restore drill";
  auto em = f.store->schedule_run(run, ms("2025-06-02T19:00:02Z"));
  REQUIRE(em.ok());
  CHECK(em->status == JobStatus::queued);
  CHECK_FALSE(em->spec.window);
  CHECK(em->spec.schedule_id == s.id);
  auto audit = f.store->audit_list(10).value();
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].actor == "alice (uid 1000)");
  CHECK(audit[0].reason == "restore drill");
  CHECK(audit[0].subject == "nightly");
  CHECK(audit[0].action == "schedule.emergency_run");
  CHECK(audit[0].job_id == em->id);
  CHECK(audit[0].at == ms("2025-06-02T19:00:02Z"));
}

TEST_CASE("old occurrences are pruned, recent ones kept") {
  test::ConformanceFixture f;
  auto s = f.store->schedule_create(spec(), 0).value();
  REQUIRE(f.store
              ->schedule_fire(request(s, {missed_at("2025-06-01T07:00:00Z", "superseded"),
                                          missed_at("2025-06-02T07:00:00Z", "superseded")}),
                              ms("2025-06-02T07:00:00Z"))
              .ok());
  auto n = f.store->schedule_prune(ms("2025-06-02T00:00:00Z"));
  REQUIRE(n.ok());
  CHECK(*n == 1);
  auto occ = f.store->schedule_occurrences(s.id, 10).value();
  REQUIRE(occ.size() == 1);
  CHECK(occ[0].nominal_utc == ms("2025-06-02T07:00:00Z"));
}

TEST_CASE("a windowed job queued by an operator outside its window is not claimed until it opens") {
  test::ConformanceFixture f;
  JobSpec js;
  js.type = "noop";
  js.window = night_window();
  js.retry.max_retries = 0;
  auto job = f.store->job_enqueue(js, ms("2025-06-03T05:00:00Z")).value();  // 00:00 CDT
  auto claimed = f.store->job_claim(1, ms("2025-06-03T05:00:00Z"), milliseconds(100000), "w");
  REQUIRE(claimed->size() == 1);
  Completion fail{job.id, (*claimed)[0].lease_token, Outcome::failed,
                  Error{ErrorClass::internal, "boom"}, ""};
  REQUIRE(f.store->job_complete({fail}, ms("2025-06-03T05:00:01Z")).ok());
  // `hypersdk retry` at 14:00 CDT queues it again; the claim sends it back to wait.
  REQUIRE(f.store->job_retry(job.id, ms("2025-06-03T19:00:00Z")).ok());
  CHECK(f.store->job_claim(1, ms("2025-06-03T19:00:00Z"), milliseconds(1000), "w")->empty());
  auto waiting = f.store->job_get(job.id).value();
  CHECK(waiting.status == JobStatus::waiting);
  CHECK(waiting.run_at == ms("2025-06-04T03:00:00Z"));
  CHECK(f.store->job_claim(1, ms("2025-06-04T03:00:00Z"), milliseconds(1000), "w")->size() == 1);
}

TEST_CASE("schedule_list_timing reads each schedule's timing fields as schedule_list does") {
  test::ConformanceFixture f;
  ScheduleSpec a = spec("a-plain");
  a.payload = R"({"vm":"web-1"})";
  ScheduleSpec b = spec("b-windowed");
  b.cron = "*/5 * * * *";
  b.timezone = "Europe/Berlin";
  b.window = "22:00-06:00";
  b.days = "mon-fri";
  b.holidays = {"de", "ops"};
  b.window_close = core::WindowClose::cancel;
  b.dst_gap = core::DstGap::skip;
  b.dst_fold = core::DstFold::both;
  b.enabled = false;
  REQUIRE(core::validate_schedule(b).ok());
  REQUIRE(f.store->schedule_create(a, 1000).ok());
  REQUIRE(f.store->schedule_create(b, 2000).ok());
  REQUIRE(f.store->schedule_create(spec("c-paused"), 3000).ok());
  REQUIRE(f.store->schedule_set_paused("c-paused", true, 4000).ok());

  auto full = f.store->schedule_list();
  auto timing = f.store->schedule_list_timing();
  REQUIRE(full.ok());
  REQUIRE(timing.ok());
  REQUIRE(timing->size() == full->size());
  for (const Schedule& want : *full) {
    auto got = std::find_if(timing->begin(), timing->end(),
                            [&](const Schedule& s) { return s.id == want.id; });
    REQUIRE(got != timing->end());
    CAPTURE(want.spec.name);
    CHECK(got->spec.name == want.spec.name);
    CHECK(got->spec.cron == want.spec.cron);
    CHECK(got->spec.timezone == want.spec.timezone);
    CHECK(got->spec.window == want.spec.window);
    CHECK(got->spec.days == want.spec.days);
    CHECK(got->spec.holidays == want.spec.holidays);
    CHECK(got->spec.window_close == want.spec.window_close);
    CHECK(got->spec.dst_gap == want.spec.dst_gap);
    CHECK(got->spec.dst_fold == want.spec.dst_fold);
    CHECK(got->spec.enabled == want.spec.enabled);
    CHECK(got->paused == want.paused);
    CHECK(got->active() == want.active());
    CHECK(got->cursor_ms == want.cursor_ms);
    CHECK(got->version == want.version);
  }
  CHECK(std::count_if(timing->begin(), timing->end(),
                      [](const Schedule& s) { return s.active(); }) == 1);
}
