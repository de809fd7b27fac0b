// Conformance tests (both drivers, test::ConformanceFixture): progress reports fenced by the
// lease token, and data_version moving with other writers' commits.
#include <doctest/doctest.h>

#include "store_conformance.h"

using namespace hypersdk;
using namespace hypersdk::store;
using std::chrono::milliseconds;

TEST_CASE("progress is kept per attempt and only from the worker holding the lease") {
  test::ConformanceFixture f;
  JobSpec s;
  s.type = "noop";
  auto job = f.store->job_enqueue(s, 1000).value();
  CHECK_FALSE(f.store->job_progress_get(job.id).value().has_value());
  auto held = f.store->job_claim(1, 1000, milliseconds(60000), "w").value();
  REQUIRE(held.size() == 1);
  const auto token = held[0].lease_token;
  REQUIRE(f.store->job_progress_record({{job.id, token, 1, 10, 100, 2000}}).ok());
  REQUIRE(f.store->job_progress_record({{job.id, token, 1, 40, 100, 3000}}).ok());
  auto pr = f.store->job_progress_get(job.id).value();
  REQUIRE(pr.has_value());
  CHECK(pr->attempt == 1);
  CHECK(pr->done == 40);
  CHECK(pr->total == 100);
  CHECK(pr->started_at == 2000);  // the attempt's first report
  CHECK(pr->updated_at == 3000);
  // A stale token's report is dropped.
  REQUIRE(f.store->job_progress_record({{job.id, token + 7, 1, 99, 100, 4000}}).ok());
  CHECK(f.store->job_progress_get(job.id).value()->done == 40);
  // A new attempt starts its own clock.
  REQUIRE(f.store->job_release_leases({{job.id, token}}, 4000).value() == 1);
  auto again = f.store->job_claim(1, 5000, milliseconds(60000), "w").value();
  REQUIRE(again.size() == 1);
  REQUIRE(f.store->job_progress_record({{job.id, again[0].lease_token, 2, 5, 100, 6000}}).ok());
  pr = f.store->job_progress_get(job.id).value();
  CHECK(pr->attempt == 2);
  CHECK(pr->started_at == 6000);
}

TEST_CASE("data_version moves when a write commits") {
  test::ConformanceFixture f;
  const auto before = f.store->data_version();
  REQUIRE(before.ok());
  JobSpec s;
  s.type = "noop";
  // SQLite: its version connection sees the writer's commit; PostgreSQL: the sequence moves.
  REQUIRE(f.store->job_enqueue(s, 1000).ok());
  const auto after = f.store->data_version();
  REQUIRE(after.ok());
  CHECK(*after != *before);
}
