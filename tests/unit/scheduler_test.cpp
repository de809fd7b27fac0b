// The scheduler service's run_once with an injected clock over a real SQLite file: DST days,
// catch-up after downtime, overlap, two schedulers on one database, clock jumps, windows.
#include "engine/scheduler.h"

#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "core/schedule_rules.h"
#include "cron_test_support.h"
#include "pinned_clock.h"
#include "test_support.h"

using namespace hypersdk;
using core::testing::utc;
using std::chrono::milliseconds;
using test::ms;

namespace {

store::ScheduleSpec spec(const std::string& cron, const std::string& tz = "America/Chicago") {
  store::ScheduleSpec s;
  s.name = "s1";
  s.cron = cron;
  s.timezone = tz;
  s.job_type = "noop";
  REQUIRE(core::validate_schedule(s).ok());
  return s;
}

struct SchedulerFixture {
  test::StoreFixture f;
  test::PinnedClock clock{0};
  ops::Metrics metrics{"test"};
  engine::Scheduler scheduler{engine::SchedulerConfig{}, *f.store, clock, {}, &metrics};

  store::Schedule create(store::ScheduleSpec s, const char* at) {
    clock.set(at);
    auto r = f.store->schedule_create(s, clock.now_ms());
    REQUIRE(r.ok());
    return *r;
  }
  engine::TickReport tick(const char* at) {
    clock.set(at);
    auto r = scheduler.run_once();
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return *r;
  }
  std::vector<store::Occurrence> occurrences(const store::Schedule& s) {
    auto o = f.store->schedule_occurrences(s.id, 1000).value();
    std::reverse(o.begin(), o.end());  // oldest first
    return o;
  }
  std::vector<core::Job> jobs() { return f.store->job_list({.limit = 1000}).value(); }
  // Finishes every active job, so overlap does not get in the way.
  void finish_all(core::TimeMs now) {
    auto claimed = f.store->job_claim(1000, now, milliseconds(60'000), "test").value();
    std::vector<store::Completion> done;
    for (const auto& j : claimed) done.push_back({j.id, j.lease_token});
    if (!done.empty()) REQUIRE(f.store->job_complete(done, now).ok());
  }
};

std::vector<std::string> fired_utc(const std::vector<store::Occurrence>& occ) {
  std::vector<std::string> out;
  for (const auto& o : occ)
    if (o.outcome == store::OccurrenceOutcome::fired)
      out.push_back(
          date::format("%FT%TZ", date::floor<std::chrono::seconds>(
                                     date::sys_time<milliseconds>(milliseconds(o.nominal_utc)))));
  return out;
}

}  // namespace

TEST_CASE("spring forward in Chicago: 30 2 * * * fires at 03:30 CDT with shift") {
  SchedulerFixture x;
  auto s = x.create(spec("30 2 * * *"), "2025-03-08T12:00:00Z");
  CHECK(x.tick("2025-03-09T08:29:59Z").fired == 0);
  CHECK(x.tick("2025-03-09T08:30:00Z").fired == 1);  // 03:30 CDT
  auto occ = x.occurrences(s);
  REQUIRE(occ.size() == 1);
  CHECK(occ[0].dst_shifted);
  CHECK(occ[0].nominal_local == "2025-03-09T02:30:00");
  CHECK(x.jobs().size() == 1);
}

TEST_CASE("spring forward in Chicago: 30 2 * * * does not fire at all with skip") {
  SchedulerFixture x;
  auto sp = spec("30 2 * * *");
  sp.dst_gap = core::DstGap::skip;
  auto s = x.create(sp, "2025-03-08T12:00:00Z");
  CHECK(x.tick("2025-03-09T12:00:00Z").fired == 0);
  CHECK(x.tick("2025-03-10T07:30:00Z").fired == 1);  // 02:30 CDT on the 10th
  CHECK(x.occurrences(s).size() == 1);
}

TEST_CASE("fall back in Chicago: 30 1 * * * fires once, 0 * * * * in both 01:00 hours") {
  SchedulerFixture x;
  auto once = x.create(spec("30 1 * * *"), "2025-11-01T12:00:00Z");
  auto sp = spec("0 * * * *");
  sp.name = "hourly";
  auto hourly = x.create(sp, "2025-11-01T12:00:00Z");
  for (const char* t : {"2025-11-02T05:59:59Z", "2025-11-02T06:00:00Z", "2025-11-02T06:30:00Z",
                        "2025-11-02T07:00:00Z", "2025-11-02T07:30:00Z", "2025-11-02T08:00:00Z"}) {
    x.tick(t);
    x.finish_all(x.clock.now_ms());
  }
  CHECK(fired_utc(x.occurrences(once)) == std::vector<std::string>{"2025-11-02T06:30:00Z"});
  const auto h = fired_utc(x.occurrences(hourly));
  CHECK(std::count(h.begin(), h.end(), "2025-11-02T06:00:00Z") == 1);  // 01:00 CDT
  CHECK(std::count(h.begin(), h.end(), "2025-11-02T07:00:00Z") == 1);  // 01:00 CST
  auto occ = x.occurrences(hourly);
  CHECK(std::any_of(occ.begin(), occ.end(), [](const auto& o) { return o.fold_second; }));
}

TEST_CASE("downtime across three occurrences: latest runs one, all three, none zero") {
  struct Case {
    core::CatchupPolicy policy;
    int fired;
    std::string_view reason;
  };
  for (const Case& c : {Case{core::CatchupPolicy::latest, 1, core::missed_reason::superseded},
                        Case{core::CatchupPolicy::all, 3, ""},
                        Case{core::CatchupPolicy::none, 0, core::missed_reason::catchup_none}}) {
    CAPTURE(core::to_string(c.policy));
    SchedulerFixture x;
    auto sp = spec("0 * * * *", "UTC");
    sp.catchup = c.policy;
    sp.catchup_window = std::chrono::hours(24);
    auto s = x.create(sp, "2025-06-01T10:00:30Z");
    x.tick("2025-06-01T10:00:31Z");
    // Serve is down from here until 13:30: 11:00, 12:00 and 13:00 pass unseen.
    auto report = x.tick("2025-06-01T13:30:00Z");
    CHECK(report.fired == c.fired);
    CHECK(report.missed == 3 - c.fired);
    auto occ = x.occurrences(s);
    REQUIRE(occ.size() == 3);  // every occurrence is recorded, run or not
    for (const auto& o : occ)
      if (o.outcome == store::OccurrenceOutcome::missed) CHECK(o.reason == c.reason);
    CHECK(static_cast<int>(x.jobs().size()) == c.fired);
    auto events = x.f.store->event_list(0, 100).value();
    CHECK(events.size() == (c.fired == 3 ? 0u : 1u));
    CHECK(x.metrics.serialize().find("hypersdk_schedule_fires_total") != std::string::npos);
    // A restart (a new scheduler on the same database) fires nothing more.
    engine::Scheduler restarted{engine::SchedulerConfig{}, *x.f.store, x.clock, {}, nullptr};
    CHECK(restarted.run_once()->fired == 0);
  }
}

TEST_CASE("a job that outlives its period makes the next occurrence skip (overlap skip)") {
  SchedulerFixture x;
  auto s = x.create(spec("* * * * *", "UTC"), "2025-06-01T10:00:30Z");
  CHECK(x.tick("2025-06-01T10:01:00Z").fired == 1);
  auto running = x.f.store->job_claim(1, x.clock.now_ms(), milliseconds(600'000), "w").value();
  REQUIRE(running.size() == 1);
  auto report = x.tick("2025-06-01T10:02:00Z");
  CHECK(report.fired == 0);
  CHECK(report.skipped == 1);
  auto occ = x.occurrences(s);
  REQUIRE(occ.size() == 2);
  CHECK(occ[1].outcome == store::OccurrenceOutcome::skipped);
  CHECK(occ[1].reason == "overlap");
  CHECK(x.metrics.serialize().find("reason=\"overlap\"") != std::string::npos);
  // Once it finishes, the next occurrence fires again.
  REQUIRE(
      x.f.store->job_complete({{running[0].id, running[0].lease_token}}, x.clock.now_ms()).ok());
  CHECK(x.tick("2025-06-01T10:03:00Z").fired == 1);
}

TEST_CASE("two schedulers on one database never fire one occurrence twice") {
  test::TempDir dir;
  auto open = [&] {
    store::DatabaseOptions o;
    o.path = dir.file("shared.db");
    o.synchronous_full = false;
    return std::shared_ptr<store::Database>(store::Database::open(o).value());
  };
  auto db_a = open();
  auto db_b = open();
  store::SqliteStore a(db_a), b(db_b);
  test::PinnedClock clock(ms("2025-06-01T10:00:30Z"));
  for (int i = 0; i < 5; ++i) {
    auto sp = spec("* * * * *", "UTC");
    sp.name = "s" + std::to_string(i);
    sp.overlap = core::OverlapPolicy::allow;
    sp.catchup = core::CatchupPolicy::all;
    REQUIRE(a.schedule_create(sp, clock.now_ms()).ok());
  }
  engine::Scheduler sa{engine::SchedulerConfig{}, a, clock, {}, nullptr};
  engine::Scheduler sb{engine::SchedulerConfig{}, b, clock, {}, nullptr};
  // A doctest assertion off the test thread terminates the run instead of failing the test:
  // each thread only records its outcome, and the test thread checks it.
  auto tick = [](engine::Scheduler& s, std::string& outcome) {
    try {
      auto r = s.run_once();
      outcome = r.ok() ? "" : r.error().to_string();
    } catch (const std::exception& e) {
      outcome = std::string("threw: ") + e.what();
    }
  };
  for (int minute = 1; minute <= 30; ++minute) {
    clock.set(ms("2025-06-01T10:00:00Z") + minute * 60'000);
    std::string outcome_a = "not run", outcome_b = "not run";
    std::thread ta([&] { tick(sa, outcome_a); });
    std::thread tb([&] { tick(sb, outcome_b); });
    ta.join();
    tb.join();
    INFO("minute ", minute);
    CHECK_MESSAGE(outcome_a.empty(), outcome_a);
    CHECK_MESSAGE(outcome_b.empty(), outcome_b);
  }
  auto jobs = a.job_list({.limit = 1000}).value();
  CHECK(jobs.size() == 5 * 30);
  std::set<std::string> keys;
  for (const auto& j : jobs) keys.insert(j.spec.idempotency_key);
  CHECK(keys.size() == jobs.size());
}

TEST_CASE("a backward wall-clock jump fires nothing twice, a forward jump catches up") {
  SchedulerFixture x;
  auto s = x.create(spec("0 * * * *", "UTC"), "2025-06-01T10:00:30Z");
  CHECK(x.tick("2025-06-01T11:00:00Z").fired == 1);
  x.finish_all(x.clock.now_ms());
  auto back = x.tick("2025-06-01T10:30:00Z");
  CHECK(back.clock_jumped);
  CHECK(back.fired == 0);
  CHECK(x.tick("2025-06-01T11:00:00Z").fired == 0);
  auto fwd = x.tick("2025-06-01T14:00:10Z");  // 12:00, 13:00, 14:00 due; latest runs 14:00
  CHECK(fwd.clock_jumped);
  CHECK(fwd.fired == 1);
  CHECK(fwd.missed == 2);
  CHECK(x.occurrences(s).size() == 4);
}

TEST_CASE("a schedule created, paused or changed elsewhere is seen at the next tick") {
  SchedulerFixture x;
  x.tick("2025-06-01T10:00:00Z");
  // Another process (another store on the same file) creates a schedule.
  store::DatabaseOptions o;
  o.path = x.f.dir.file("test.db");
  auto other_db = std::shared_ptr<store::Database>(store::Database::open(o).value());
  store::SqliteStore other(other_db);
  REQUIRE(other.schedule_create(spec("* * * * *", "UTC"), ms("2025-06-01T10:00:05Z")).ok());
  CHECK(x.tick("2025-06-01T10:01:00Z").fired == 1);
  x.finish_all(x.clock.now_ms());
  REQUIRE(other.schedule_set_paused("s1", true, ms("2025-06-01T10:01:10Z")).ok());
  CHECK(x.tick("2025-06-01T10:02:00Z").fired == 0);
  REQUIRE(other.schedule_set_paused("s1", false, ms("2025-06-01T10:02:10Z")).ok());
  CHECK(x.tick("2025-06-01T10:03:00Z").fired == 1);
}

TEST_CASE("a scheduled job outside its window waits for the opening") {
  SchedulerFixture x;
  auto sp = spec("0 14 * * *");  // 14:00 Chicago
  sp.window = "22:00-06:00";
  REQUIRE(core::validate_schedule(sp).ok());
  x.create(sp, "2025-06-02T12:00:00Z");
  CHECK(x.tick("2025-06-02T19:00:00Z").fired == 1);  // 14:00 CDT
  auto jobs = x.jobs();
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].status == core::JobStatus::waiting);
  CHECK(jobs[0].run_at == ms("2025-06-03T03:00:00Z"));  // 22:00 CDT
  CHECK(x.f.store->job_claim(1, ms("2025-06-03T02:59:00Z"), milliseconds(1000), "w")->empty());
  CHECK(x.f.store->job_claim(1, ms("2025-06-03T03:00:00Z"), milliseconds(1000), "w")->size() == 1);
}
