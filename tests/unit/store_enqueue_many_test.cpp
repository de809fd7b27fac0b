// Bulk enqueue (store job_enqueue_many, wire submit_job_batch): one transaction for the whole
// batch, answers in order, idempotency keys honoured within the batch too. The store cases are
// conformance tests (both drivers, test::ConformanceFixture); the commit count is SQLite's.
#include <doctest/doctest.h>

#include "store_conformance.h"
#include "wire/job_batch_json.h"

using namespace hypersdk;
using namespace hypersdk::store;

namespace {
JobSpec noop(std::string key = "") {
  JobSpec s;
  s.type = "noop";
  s.idempotency_key = std::move(key);
  return s;
}
}  // namespace

TEST_CASE("a batch of jobs is queued in one commit, in order") {
  test::ConformanceFixture f;
  std::vector<JobSpec> specs(500, noop());
  const auto before = f.sqlite ? f.sqlite->db->write_counts() : Database::WriteCounts{};
  auto jobs = f.store->job_enqueue_many(specs, 1000);
  REQUIRE(jobs.ok());
  if (f.sqlite) CHECK(f.sqlite->db->write_counts().commits - before.commits == 1);
  REQUIRE(jobs->size() == 500);
  for (std::size_t i = 1; i < jobs->size(); ++i) CHECK((*jobs)[i].id == (*jobs)[i - 1].id + 1);
  auto listed = f.store->job_list({.status = JobStatus::queued, .limit = 1000});
  REQUIRE(listed.ok());
  CHECK(listed->size() == 500);
}

TEST_CASE("an idempotency key used before or earlier in the batch returns that job") {
  test::ConformanceFixture f;
  auto first = f.store->job_enqueue(noop("k1"), 1000);
  REQUIRE(first.ok());
  auto jobs = f.store->job_enqueue_many({noop("k1"), noop("k2"), noop(), noop("k2")}, 2000);
  REQUIRE(jobs.ok());
  REQUIRE(jobs->size() == 4);
  CHECK((*jobs)[0].id == first->id);
  CHECK((*jobs)[3].id == (*jobs)[1].id);
  CHECK((*jobs)[2].id != (*jobs)[1].id);
  auto all = f.store->job_list({.limit = 100});
  REQUIRE(all.ok());
  CHECK(all->size() == 3);
}

TEST_CASE("a batch with an invalid spec queues nothing") {
  test::ConformanceFixture f;
  JobSpec bad = noop();
  bad.type.clear();
  auto jobs = f.store->job_enqueue_many({noop(), bad}, 1000);
  CHECK_FALSE(jobs.ok());
  auto all = f.store->job_list({.limit = 100});
  REQUIRE(all.ok());
  CHECK(all->empty());
}

TEST_CASE("a batch answer has one entry per request and refuses bad ones alone") {
  using nlohmann::json;
  const json body = json::parse(R"([{"type": "noop"}, {"type": "noop", "priority": 5000},
                                    42, {"type": "noop", "bogus": 1}, {"type": "noop"}])");
  auto items = wire::job_batch_items(body);
  REQUIRE(items.ok());
  std::size_t submitted = 0;
  const json answer = wire::submit_job_batch(*items, core::RetryPolicy{},
                                             [&](const std::vector<core::JobSpec>& specs) {
                                               submitted = specs.size();
                                               std::vector<Result<core::Job>> out;
                                               for (std::size_t i = 0; i < specs.size(); ++i) {
                                                 core::Job j;
                                                 j.id = static_cast<core::JobId>(100 + i);
                                                 j.spec = specs[i];
                                                 out.emplace_back(j);
                                               }
                                               return out;
                                             });
  CHECK(submitted == 2);
  CHECK(answer["accepted"] == 2);
  CHECK(answer["rejected"] == 3);
  const auto& r = answer["results"];
  REQUIRE(r.size() == 5);
  CHECK(r[0]["job"]["id"] == "j-100");
  CHECK(r[1]["error"]["code"] == "invalid");
  CHECK(r[1]["error"]["message"].get<std::string>().find("priority") != std::string::npos);
  CHECK(r[2]["error"]["message"].get<std::string>().find("JSON object") != std::string::npos);
  CHECK(r[3]["error"]["message"].get<std::string>().find("bogus") != std::string::npos);
  CHECK(r[4]["job"]["id"] == "j-101");
}

TEST_CASE("a batch body must be a non-empty array of at most kMaxBatchJobs") {
  using nlohmann::json;
  CHECK_FALSE(wire::job_batch_items(json::object()).ok());
  CHECK_FALSE(wire::job_batch_items(json::array()).ok());
  CHECK_FALSE(wire::job_batch_items(json{{"jobs", 1}}).ok());
  CHECK_FALSE(wire::job_batch_items(json{{"jobs", json::array({json::object()})}, {"x", 1}}).ok());
  CHECK(wire::job_batch_items(json{{"jobs", json::array({json::object()})}}).ok());
  json many = json::array();
  for (std::size_t i = 0; i <= wire::kMaxBatchJobs; ++i) many.push_back(json::object());
  auto r = wire::job_batch_items(many);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("at most 10000") != std::string::npos);
}
