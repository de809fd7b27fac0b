// Store::schedule_fire_batch against the SQLite store: many schedules' occurrences in one
// transaction, each request keeping schedule_fire's rules on its own (stale, duplicate,
// refused), and Store::schedule_get_many.
#include <doctest/doctest.h>

#include <set>

#include "core/schedule_rules.h"
#include "test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;

namespace {

constexpr TimeMs kHour = 3'600'000;

ScheduleSpec spec(const std::string& name) {
  ScheduleSpec s;
  s.name = name;
  s.cron = "0 * * * *";
  s.timezone = "UTC";
  s.job_type = "noop";
  REQUIRE(core::validate_schedule(s).ok());
  return s;
}

// A request firing schedule `s`'s occurrence at `at`, planned from its current cursor.
FireRequest fire_at(const Schedule& s, TimeMs at) {
  PlannedFire p;
  p.nominal_utc = at;
  p.nominal_local = "local";
  p.run = true;
  p.job.type = "noop";
  p.job.schedule_id = s.id;
  FireRequest r;
  r.schedule_id = s.id;
  r.expected_cursor = s.cursor_ms;
  r.expected_version = s.version;
  r.new_cursor = at;
  r.occurrences = {p};
  return r;
}

std::vector<Schedule> create(test::StoreFixture& f, int n) {
  std::vector<Schedule> out;
  for (int i = 0; i < n; ++i)
    out.push_back(f.store->schedule_create(spec("s" + std::to_string(i)), 0).value());
  return out;
}

}  // namespace

TEST_CASE("a batch fires every schedule's occurrence in one commit") {
  test::StoreFixture f;
  auto s = create(f, 50);
  std::vector<FireRequest> reqs;
  for (const auto& x : s) reqs.push_back(fire_at(x, kHour));
  const auto before = f.db->write_counts();
  auto r = f.store->schedule_fire_batch(reqs, kHour + 5);
  REQUIRE(r.ok());
  CHECK(f.db->write_counts().commits == before.commits + 1);
  REQUIRE(r->size() == 50);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto& a = (*r)[i];
    REQUIRE(a.ok());
    CHECK_FALSE(a->stale);
    REQUIRE(a->recorded.size() == 1);
    CHECK(a->recorded[0].outcome == OccurrenceOutcome::fired);
    REQUIRE(a->recorded[0].job_id);
    auto job = f.store->job_get(*a->recorded[0].job_id).value();
    CHECK(job.spec.schedule_id == s[i].id);  // answers are index-aligned with the requests
    CHECK(f.store->schedule_get_by_id(s[i].id)->cursor_ms == kHour);
  }
  CHECK(f.store->job_list({.limit = 100}).value().size() == 50);
}

TEST_CASE("one stale schedule in a batch does not stop the others") {
  test::StoreFixture f;
  auto s = create(f, 3);
  // Another scheduler advanced s1's cursor after this plan was made.
  REQUIRE(f.store->schedule_fire(fire_at(s[1], kHour), kHour).ok());
  auto r = f.store->schedule_fire_batch(
      {fire_at(s[0], kHour), fire_at(s[1], kHour), fire_at(s[2], kHour)}, kHour + 5);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK_FALSE((*r)[0]->stale);
  CHECK((*r)[0]->recorded.size() == 1);
  CHECK((*r)[1]->stale);
  CHECK((*r)[1]->recorded.empty());
  CHECK_FALSE((*r)[2]->stale);
  CHECK((*r)[2]->recorded.size() == 1);
  // s1 ran once (the other scheduler's), s0 and s2 once each.
  CHECK(f.store->job_list({.limit = 100}).value().size() == 3);
  // A changed schedule (version bumped by a pause) is stale too, alone.
  auto s0 = f.store->schedule_get_by_id(s[0].id).value();
  auto s2 = f.store->schedule_get_by_id(s[2].id).value();
  REQUIRE(f.store->schedule_set_paused("s0", true, kHour).ok());
  r = f.store->schedule_fire_batch({fire_at(s0, 2 * kHour), fire_at(s2, 2 * kHour)}, 2 * kHour + 5);
  REQUIRE(r.ok());
  CHECK((*r)[0]->stale);
  CHECK_FALSE((*r)[1]->stale);
  CHECK((*r)[1]->recorded.size() == 1);
}

TEST_CASE("an occurrence another scheduler recorded is left alone in a batch") {
  test::StoreFixture f;
  auto s = create(f, 2);
  REQUIRE(f.store->schedule_fire(fire_at(s[0], kHour), kHour).ok());
  // A scheduler whose cursor is behind re-read the schedule (current cursor and version) and
  // plans the same occurrence: the UNIQUE occurrence row stops it, the other schedule fires.
  auto cur = f.store->schedule_get_by_id(s[0].id).value();
  auto r = f.store->schedule_fire_batch({fire_at(cur, kHour), fire_at(s[1], kHour)}, kHour + 5);
  REQUIRE(r.ok());
  REQUIRE((*r)[0].ok());
  CHECK((*r)[0]->duplicates == 1);
  CHECK((*r)[0]->recorded.empty());
  CHECK((*r)[1]->recorded.size() == 1);
  CHECK(f.store->schedule_occurrences(s[0].id, 10)->size() == 1);
  CHECK(f.store->job_list({.limit = 100}).value().size() == 2);
}

TEST_CASE("a request the database refuses is rolled back alone and the rest of the batch commits") {
  test::StoreFixture f;
  auto s = create(f, 3);
  auto taken = f.store->job_enqueue(
      [] {
        core::JobSpec j;
        j.type = "noop";
        j.idempotency_key = "taken";
        return j;
      }(),
      0);
  REQUIRE(taken.ok());
  auto bad = fire_at(s[1], kHour);
  bad.occurrences[0].job.idempotency_key = "taken";  // UNIQUE: the insert fails
  auto r =
      f.store->schedule_fire_batch({fire_at(s[0], kHour), bad, fire_at(s[2], kHour)}, kHour + 5);
  REQUIRE(r.ok());
  REQUIRE((*r)[0].ok());
  REQUIRE_FALSE((*r)[1].ok());
  CHECK((*r)[1].error().cls == ErrorClass::conflict);
  REQUIRE((*r)[2].ok());
  CHECK((*r)[2]->recorded.size() == 1);
  // Nothing of the refused request stayed: no occurrence, cursor where it was.
  CHECK(f.store->schedule_occurrences(s[1].id, 10)->empty());
  CHECK(f.store->schedule_get_by_id(s[1].id)->cursor_ms == 0);
  CHECK(f.store->schedule_occurrences(s[0].id, 10)->size() == 1);
  CHECK(f.store->job_list({.limit = 100}).value().size() == 3);  // taken, s0's, s2's
}

TEST_CASE("schedule_get_many reads the schedules that exist and leaves out the others") {
  test::StoreFixture f;
  auto s = create(f, 3);
  REQUIRE(f.store->schedule_delete("s1").ok());
  auto got = f.store->schedule_get_many({s[2].id, s[1].id, s[0].id, 999}).value();
  REQUIRE(got.size() == 2);
  std::set<ScheduleId> ids;
  for (const auto& x : got) ids.insert(x.id);
  CHECK(ids == std::set<ScheduleId>{s[0].id, s[2].id});
  CHECK(f.store->schedule_get_many({}).value().empty());
}
