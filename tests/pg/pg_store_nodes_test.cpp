// Several nodes on one PostgreSQL (issue 17): two PgStores with their own connection pools,
// as two serve processes have, share one queue. Built into hypersdk_pg_unit: runs beside a
// real server only (ctest's "unit-pg: store conformance").
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store_conformance.h"

using namespace hypersdk;
using namespace hypersdk::store;
using std::chrono::milliseconds;

namespace {
std::unique_ptr<pg::PgStore> node(const test::PgTestSchema& schema) {
  auto db = pg::PgDatabase::open(schema.url());
  REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  return std::make_unique<pg::PgStore>(std::move(db.value()));
}
}  // namespace

TEST_CASE("nodes claiming at once get different jobs, and every job exactly once") {
  test::PgTestSchema schema;
  auto a = node(schema);
  auto b = node(schema);
  constexpr int kJobs = 300;
  std::vector<JobSpec> specs(kJobs);
  for (auto& s : specs) s.type = "noop";
  REQUIRE(a->job_enqueue_many(specs, 1000).ok());

  std::mutex mu;
  std::map<JobId, int> claimed;  // job -> times claimed
  std::atomic<int> errors{0};
  auto worker = [&](pg::PgStore& store, const std::string& owner) {
    for (;;) {
      auto jobs = store.job_claim(7, 2000, milliseconds(60000), owner);
      if (!jobs) {
        ++errors;
        MESSAGE("claim: " << jobs.error().message);
        return;
      }
      if (jobs->empty()) return;
      std::vector<Completion> done;
      for (const auto& j : *jobs) {
        std::lock_guard lock(mu);
        ++claimed[j.id];
        done.push_back({.id = j.id, .token = j.lease_token});
      }
      auto r = store.job_complete(done, 2001);
      if (!r) {
        ++errors;
        MESSAGE("complete: " << r.error().message);
        return;
      }
      for (const auto& c : *r)
        if (!c.applied) ++errors;
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back(worker, std::ref(*a), "node-a-" + std::to_string(i));
    threads.emplace_back(worker, std::ref(*b), "node-b-" + std::to_string(i));
  }
  for (auto& t : threads) t.join();
  CHECK(errors.load() == 0);
  CHECK(claimed.size() == kJobs);
  for (const auto& [id, n] : claimed) CHECK_MESSAGE(n == 1, "job " << id << " claimed " << n);
  auto counts = a->job_count_by_status().value();
  CHECK(counts["succeeded"] == kJobs);
}

TEST_CASE("a node back from a pause cannot complete a job rescued from it") {
  test::PgTestSchema schema;
  auto a = node(schema);
  auto b = node(schema);
  JobSpec s;
  s.type = "noop";
  auto job = a->job_enqueue(s, 1000).value();
  auto held = a->job_claim(1, 1000, milliseconds(100), "node-a").value();
  REQUIRE(held.size() == 1);
  // Node a pauses past its lease; node b's reaper requeues the job with a new token.
  auto rescued = b->job_rescue_expired(5000, 3).value();
  REQUIRE(rescued.requeued == std::vector<JobId>{job.id});
  CHECK(b->job_get(job.id)->lease_token != held[0].lease_token);
  // Before anyone claims it again, a's late report changes nothing.
  auto late = a->job_complete({{.id = job.id, .token = held[0].lease_token}}, 5001).value();
  CHECK_FALSE(late[0].applied);
  CHECK(a->job_heartbeat({{job.id, held[0].lease_token}}, 9000).value() ==
        std::vector<JobId>{job.id});
  auto again = b->job_claim(1, 5002, milliseconds(60000), "node-b").value();
  REQUIRE(again.size() == 1);
  CHECK(b->job_complete({{.id = job.id, .token = again[0].lease_token}}, 5003).value()[0].applied);
  CHECK(a->job_get(job.id)->status == JobStatus::succeeded);
}

TEST_CASE("a batched claim raises one job.started event per job, in the spec's shape") {
  test::PgTestSchema schema;
  auto a = node(schema);
  std::vector<JobSpec> specs(5);
  for (auto& s : specs) s.type = "noop";
  auto jobs = a->job_enqueue_many(specs, 1000).value();
  REQUIRE(a->job_claim(5, 1000, milliseconds(60000), "node-a").value().size() == 5);
  std::vector<std::string> subjects, payloads;
  REQUIRE(a->database()
              .read([&](pg::Tx& tx) {
                auto r = tx.exec(
                    "SELECT subject, payload FROM events WHERE kind = 'job.started' ORDER BY id");
                for (int i = 0; i < r.size(); ++i) {
                  subjects.push_back(r.text(i, 0));
                  payloads.push_back(r.text(i, 1));
                }
                return Status::Ok();
              })
              .ok());
  REQUIRE(subjects.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(subjects[i] == core::format_job_id(jobs[i].id));
    CHECK(payloads[i].find("\"event\":\"job.started\"") != std::string::npos);
    CHECK(payloads[i].find("\"status\":\"running\"") != std::string::npos);
  }
}
