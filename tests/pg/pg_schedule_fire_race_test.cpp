// Two nodes, one PostgreSQL: two PgStore instances (each with its own connection pool, as two
// hypervisord processes have) firing the same schedule occurrence at the same moment record
// it once and enqueue one job (issue 17: "no occurrence fires twice"). PostgreSQL only: the
// doctest suite "pg", run by "unit-pg: store conformance".
#include <doctest/doctest.h>

#include <latch>
#include <thread>

#include "store/pg/pg_store.h"
#include "store_conformance.h"

using namespace hypersdk;
using namespace hypersdk::store;

namespace {

constexpr TimeMs kMinute = 60'000;

FireRequest next_occurrence(const Schedule& s) {
  FireRequest r;
  r.schedule_id = s.id;
  r.expected_cursor = s.cursor_ms;
  r.expected_version = s.version;
  PlannedFire plan;
  plan.nominal_utc = s.cursor_ms + kMinute;
  plan.nominal_local = "x";
  plan.run = true;
  plan.job.type = "noop";
  plan.job.schedule_id = s.id;
  r.occurrences = {plan};
  r.new_cursor = plan.nominal_utc;
  return r;
}

std::unique_ptr<pg::PgStore> node(const test::PgTestSchema& schema) {
  auto db = pg::PgDatabase::open(schema.url());
  REQUIRE_MESSAGE(db.ok(), db.error().message);
  return std::make_unique<pg::PgStore>(std::move(db.value()));
}

std::int64_t jobs_of(Store& s) {
  JobFilter f;
  f.limit = 1000;
  return static_cast<std::int64_t>(s.job_list(f).value().size());
}

}  // namespace

TEST_SUITE("pg") {
  TEST_CASE("two nodes firing the same occurrence at once record it once and enqueue one job") {
    test::PgTestSchema schema;
    auto a = node(schema);
    auto b = node(schema);
    ScheduleSpec spec;
    spec.name = "every-minute";
    spec.cron = "* * * * *";
    spec.job_type = "noop";
    spec.overlap = core::OverlapPolicy::allow;  // a double fire would enqueue a second job
    REQUIRE(core::validate_schedule(spec).ok());
    REQUIRE(a->schedule_create(spec, 0).ok());

    constexpr int kRounds = 25;
    int stale = 0;
    for (int round = 1; round <= kRounds; ++round) {
      // Both nodes planned from the same cursor and version, as two schedulers ticking at once.
      const FireRequest req = next_occurrence(a->schedule_get("every-minute").value());
      std::latch go(2);
      Result<FireResult> ra = make_error(ErrorClass::internal, "not run");
      Result<FireResult> rb = make_error(ErrorClass::internal, "not run");
      std::thread ta([&] {
        go.arrive_and_wait();
        ra = a->schedule_fire(req, round);
      });
      std::thread tb([&] {
        go.arrive_and_wait();
        rb = b->schedule_fire(req, round);
      });
      ta.join();
      tb.join();
      REQUIRE_MESSAGE(ra.ok(), ra.error().message);
      REQUIRE_MESSAGE(rb.ok(), rb.error().message);
      // Exactly one of them recorded the occurrence; the other found it done (stale cursor,
      // or the occurrence already there).
      CHECK(ra->recorded.size() + rb->recorded.size() == 1);
      CHECK((ra->stale || ra->duplicates == 1 || rb->stale || rb->duplicates == 1));
      stale += (ra->stale || rb->stale) ? 1 : 0;
      CHECK(jobs_of(*a) == round);
      CHECK(a->schedule_occurrences(req.schedule_id, 1000)->size() == static_cast<size_t>(round));
    }
    MESSAGE("rounds where the loser saw a stale cursor: " << stale << " of " << kRounds);

    // A node that plans the same occurrence again from the new cursor (its clock went back)
    // passes the cursor check; ON CONFLICT DO NOTHING still leaves the occurrence alone.
    const Schedule s = b->schedule_get("every-minute").value();
    FireRequest again = next_occurrence(s);
    again.occurrences[0].nominal_utc = s.cursor_ms;  // the occurrence fired last round
    again.new_cursor = s.cursor_ms;
    auto r = b->schedule_fire(again, kRounds + 1).value();
    CHECK_FALSE(r.stale);
    CHECK(r.recorded.empty());
    CHECK(r.duplicates == 1);
    CHECK(jobs_of(*b) == kRounds);
  }
}
