// Conformance tests (SQLite, and PostgreSQL in ctest's "unit-pg: store conformance") for jobs
// leased ahead: a job claimed with job_claim_ahead whose attempt never started is rescued
// without counting an attempt or an expiry, so serve killed again and again with a batch
// leased ahead never exhausts (or dead-letters) jobs that never ran.
#include <doctest/doctest.h>

#include "store/job_start.h"
#include "store_conformance.h"

using namespace hypersdk;
using namespace hypersdk::store;
using std::chrono::milliseconds;

namespace {
constexpr milliseconds kTtl{60'000};

JobId enqueue(test::ConformanceFixture& f, TimeMs now) {
  JobSpec s;
  s.type = "noop";
  return f.store->job_enqueue(s, now).value().id;
}
}  // namespace

TEST_CASE("claim ahead: the attempt has not started until job_start records it") {
  test::ConformanceFixture f;
  const JobId id = enqueue(f, 1000);
  auto claimed = store::job_claim_ahead(*f.store, 5, 2000, kTtl, "node-a").value();
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].status == JobStatus::running);
  CHECK(claimed[0].attempt == 1);
  CHECK_FALSE(claimed[0].started_at.has_value());
  CHECK_FALSE(f.store->job_get(id)->started_at.has_value());

  auto lost = store::job_start(*f.store, {{id, claimed[0].lease_token}}, 2500).value();
  CHECK(lost.empty());
  CHECK(f.store->job_get(id)->started_at == 2500);
}

TEST_CASE("claim ahead: job_start of a lease no longer held records nothing and reports it") {
  test::ConformanceFixture f;
  const JobId id = enqueue(f, 1000);
  auto claimed = store::job_claim_ahead(*f.store, 1, 2000, kTtl, "node-a").value();
  REQUIRE(claimed.size() == 1);
  auto lost = store::job_start(*f.store, {{id, claimed[0].lease_token + 1}}, 2500).value();
  CHECK(lost == std::vector<JobId>{id});
  CHECK_FALSE(f.store->job_get(id)->started_at.has_value());
}

TEST_CASE("claim ahead: a dead owner's never-started jobs are requeued uncounted, every time") {
  test::ConformanceFixture f;
  const JobId id = enqueue(f, 1000);
  // Five kills with the job leased ahead: with max_expiries 1 a single counted rescue would
  // dead-letter it.
  for (int kill = 0; kill < 5; ++kill) {
    const TimeMs now = 2000 + kill * 100;
    auto claimed =
        store::job_claim_ahead(*f.store, 1, now, kTtl, "dead-" + std::to_string(kill)).value();
    REQUIRE(claimed.size() == 1);
    auto r = f.store->job_rescue_owners({"dead-" + std::to_string(kill)}, now + 50, 1).value();
    CHECK(r.requeued == std::vector<JobId>{id});
    CHECK(r.dead_lettered.empty());
  }
  auto job = f.store->job_get(id).value();
  CHECK(job.status == JobStatus::queued);
  CHECK(job.attempt == 0);
  CHECK(job.errors.empty());
  CHECK_FALSE(job.started_at.has_value());
  CHECK(f.store->dlq_get(id).error().cls == ErrorClass::not_found);
  // Its first real attempt is attempt 1.
  auto again = f.store->job_claim(1, 3000, kTtl, "alive").value();
  REQUIRE(again.size() == 1);
  CHECK(again[0].attempt == 1);
}

TEST_CASE("claim ahead: an expired lease of a never-started job is requeued uncounted") {
  test::ConformanceFixture f;
  const JobId id = enqueue(f, 1000);
  auto claimed = store::job_claim_ahead(*f.store, 1, 2000, milliseconds(100), "stalled").value();
  REQUIRE(claimed.size() == 1);
  auto r = f.store->job_rescue_expired(5000, 1).value();
  CHECK(r.requeued == std::vector<JobId>{id});
  CHECK(r.dead_lettered.empty());
  auto job = f.store->job_get(id).value();
  CHECK(job.attempt == 0);
  CHECK(job.errors.empty());
  // The old token is dead: the stalled worker cannot start it now.
  CHECK(store::job_start(*f.store, {{id, claimed[0].lease_token}}, 5100).value() ==
        std::vector<JobId>{id});
}

TEST_CASE("claim ahead: once started, a rescue counts the attempt and the expiry as before") {
  test::ConformanceFixture f;
  const JobId id = enqueue(f, 1000);
  auto claimed = store::job_claim_ahead(*f.store, 1, 2000, kTtl, "dead").value();
  REQUIRE(claimed.size() == 1);
  REQUIRE(store::job_start(*f.store, {{id, claimed[0].lease_token}}, 2100)->empty());
  auto r = f.store->job_rescue_owners({"dead"}, 2200, 1).value();
  CHECK(r.dead_lettered == std::vector<JobId>{id});
  auto job = f.store->job_get(id).value();
  CHECK(job.status == JobStatus::failed);
  CHECK(job.attempt == 1);
  CHECK(f.store->dlq_get(id).value().reason == "lease_expired");
}

TEST_CASE("claim ahead: a cancel requested while leased ahead still ends the job cancelled") {
  test::ConformanceFixture f;
  const JobId id = enqueue(f, 1000);
  REQUIRE(store::job_claim_ahead(*f.store, 1, 2000, kTtl, "dead").value().size() == 1);
  REQUIRE(f.store->job_cancel(id, 2100).ok());
  auto r = f.store->job_rescue_owners({"dead"}, 2200, 3).value();
  CHECK(r.cancelled == std::vector<JobId>{id});
  CHECK(f.store->job_get(id)->status == JobStatus::cancelled);
}
