// The pure schedule rules: validation, catch-up plans, overlap decisions, job windows.
#include "core/schedule_rules.h"

#include <doctest/doctest.h>

#include "core/schedule.h"
#include "cron_test_support.h"

namespace hypersdk::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::sys_seconds;
using testing::utc;

Fire fire_at(const char* iso) {
  Fire f;
  f.utc = utc(iso);
  f.nominal_local = date::local_seconds{f.utc.time_since_epoch()};
  return f;
}

std::chrono::sys_time<milliseconds> at(const char* iso) {
  return utc(iso);
}

std::vector<Fire> hourly_11_12_13() {
  return {fire_at("2025-06-01T11:00:00Z"), fire_at("2025-06-01T12:00:00Z"),
          fire_at("2025-06-01T13:00:00Z")};
}

CatchupParams params(CatchupPolicy p, milliseconds window = std::chrono::hours(24),
                     int max_runs = 100) {
  return CatchupParams{p, window, max_runs, std::chrono::minutes(1)};
}

std::vector<bool> runs(const CatchupPlan& plan) {
  std::vector<bool> out;
  for (const auto& o : plan.occurrences) out.push_back(o.run);
  return out;
}

ScheduleSpec valid_spec() {
  ScheduleSpec s;
  s.name = "nightly-backup";
  s.cron = "0 2 * * *";
  s.timezone = "America/Chicago";
  s.job_type = "backup";
  return s;
}

}  // namespace

TEST_CASE("after downtime across three occurrences latest runs only the newest") {
  auto plan = plan_catchup(hourly_11_12_13(), at("2025-06-01T13:30:00Z"),
                           params(CatchupPolicy::latest), false);
  CHECK(runs(plan) == std::vector<bool>{false, false, true});
  CHECK(plan.occurrences[0].reason == missed_reason::superseded);
  CHECK(plan.occurrences[1].reason == missed_reason::superseded);
  CHECK(plan.runs == 1);
  CHECK(plan.missed == 2);
}

TEST_CASE("after downtime across three occurrences all runs each of them") {
  auto plan = plan_catchup(hourly_11_12_13(), at("2025-06-01T13:30:00Z"),
                           params(CatchupPolicy::all), false);
  CHECK(runs(plan) == std::vector<bool>{true, true, true});
  CHECK_FALSE(plan.coalesced);
}

TEST_CASE("after downtime across three occurrences none runs zero and records why") {
  auto plan = plan_catchup(hourly_11_12_13(), at("2025-06-01T13:30:00Z"),
                           params(CatchupPolicy::none), false);
  CHECK(runs(plan) == std::vector<bool>{false, false, false});
  for (const auto& o : plan.occurrences) CHECK(o.reason == missed_reason::catchup_none);
}

TEST_CASE("an occurrence seen within the grace is on time for every policy") {
  for (auto p : {CatchupPolicy::none, CatchupPolicy::latest, CatchupPolicy::all}) {
    auto plan = plan_catchup({fire_at("2025-06-01T13:00:00Z")},
                             at("2025-06-01T13:00:00Z") + milliseconds(900), params(p), false);
    CHECK(plan.runs == 1);
  }
}

TEST_CASE("occurrences older than the catch-up window are missed as outside_catchup_window") {
  auto plan = plan_catchup(hourly_11_12_13(), at("2025-06-01T13:30:00Z"),
                           params(CatchupPolicy::all, std::chrono::hours(1)), false);
  CHECK(runs(plan) == std::vector<bool>{false, false, true});
  CHECK(plan.occurrences[0].reason == missed_reason::outside_catchup_window);
  CHECK(plan.occurrences[1].reason == missed_reason::outside_catchup_window);
}

TEST_CASE("all beyond max_catchup_runs runs the newest and coalesces the rest") {
  auto plan = plan_catchup(hourly_11_12_13(), at("2025-06-01T13:30:00Z"),
                           params(CatchupPolicy::all, std::chrono::hours(24), 2), false);
  CHECK(runs(plan) == std::vector<bool>{false, true, true});
  CHECK(plan.occurrences[0].reason == missed_reason::max_catchup_runs);
  CHECK(plan.coalesced);
}

TEST_CASE("the listed part of a longer backlog is missed entirely") {
  auto plan = plan_catchup(hourly_11_12_13(), at("2025-06-01T13:30:00Z"),
                           params(CatchupPolicy::latest), true);
  CHECK(plan.runs == 0);
  CHECK(plan.missed == 3);
}

TEST_CASE("overlap decisions follow the policy") {
  CHECK(decide_overlap(OverlapPolicy::skip, 0, 0).action == OverlapAction::fire);
  auto skip = decide_overlap(OverlapPolicy::skip, 1, 0);
  CHECK(skip.action == OverlapAction::skip);
  CHECK(skip.reason == missed_reason::overlap);
  CHECK(decide_overlap(OverlapPolicy::allow, 3, 0).action == OverlapAction::fire);
  CHECK(decide_overlap(OverlapPolicy::buffer_one, 1, 0).action == OverlapAction::buffer);
  auto full = decide_overlap(OverlapPolicy::buffer_one, 1, 1);
  CHECK(full.action == OverlapAction::skip);
  CHECK(full.reason == missed_reason::overlap_buffer_full);
  CHECK(decide_overlap(OverlapPolicy::cancel_other, 1, 0).action ==
        OverlapAction::cancel_others_and_fire);
}

TEST_CASE("a valid schedule is normalized") {
  ScheduleSpec s = valid_spec();
  s.cron = "0 2 * * mon-fri";
  s.window = "22:00-6:00";
  s.days = "Mon-Fri";
  REQUIRE(validate_schedule(s).ok());
  CHECK(s.cron == "0 2 * * MON-FRI");
  CHECK(s.window == "22:00-06:00");
  CHECK(s.days == "mon-fri");
}

TEST_CASE("bad schedule fields are rejected with a message naming the field") {
  auto check_bad = [](void (*edit)(ScheduleSpec&), const char* fragment) {
    ScheduleSpec s = valid_spec();
    edit(s);
    Status st = validate_schedule(s);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().cls == ErrorClass::invalid);
    CHECK_MESSAGE(st.error().message.find(fragment) != std::string::npos, st.error().message);
  };
  check_bad([](ScheduleSpec& s) { s.cron = "0 25 * * *"; }, "cron field 2 (hour)");
  check_bad([](ScheduleSpec& s) { s.timezone = "Mars/Olympus"; }, "unknown time zone");
  check_bad([](ScheduleSpec& s) { s.window = "22:00-22:00"; }, "time window");
  check_bad([](ScheduleSpec& s) { s.days = "funday"; }, "days");
  check_bad([](ScheduleSpec& s) { s.name = "no spaces"; }, "schedule name");
  check_bad([](ScheduleSpec& s) { s.max_catchup_runs = 0; }, "max catch-up runs");
}

TEST_CASE("a job window 22:00-06:00 in Chicago: 14:00 waits for 22:00, 02:00 starts at once") {
  auto w = make_job_window("America/Chicago", "22:00-06:00", "*", {}, "let_finish");
  REQUIRE(w.ok());
  const auto ms = [](const char* iso) {
    return std::chrono::duration_cast<milliseconds>(utc(iso).time_since_epoch()).count();
  };
  // 14:00 CDT = 19:00Z; the window opens at 22:00 CDT = 03:00Z next day.
  CHECK(window_start_at(*w, ms("2025-06-02T19:00:00Z")) == ms("2025-06-03T03:00:00Z"));
  // 02:00 CDT = 07:00Z: inside the window that opened the evening before.
  CHECK(window_start_at(*w, ms("2025-06-03T07:00:00Z")) == ms("2025-06-03T07:00:00Z"));
}

TEST_CASE("a job window honours days and holidays") {
  HolidayCalendars cals;
  cals["company"].name = "company";
  cals["company"].dates.insert(testing::ymd(2025, 6, 9));  // Monday
  auto w = make_job_window("America/Chicago", "22:00-06:00", "mon-fri", {"company"}, "cancel");
  REQUIRE(w.ok());
  REQUIRE(resolve_holidays(*w, cals, utc("2025-06-07T00:00:00Z")).ok());
  const auto ms = [](const char* iso) {
    return std::chrono::duration_cast<milliseconds>(utc(iso).time_since_epoch()).count();
  };
  // Saturday 14:00: not Saturday or Sunday night, not the Monday holiday: Tuesday 22:00.
  CHECK(window_start_at(*w, ms("2025-06-07T19:00:00Z")) == ms("2025-06-11T03:00:00Z"));
  JobWindow unknown = *w;
  unknown.holiday_names = {"nope"};
  CHECK_FALSE(resolve_holidays(unknown, cals, utc("2025-06-07T00:00:00Z")).ok());
}

}  // namespace hypersdk::core
