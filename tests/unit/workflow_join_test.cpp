// Wide joins: a step below many upstreams is decided by a count of its unfinished upstreams,
// at its last upstream's end or at once when one fails (not re-judged at every upstream's
// end). Conformance tests: a real SQLite file or a real PostgreSQL (store_conformance.h).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "store_conformance.h"

using namespace hypersdk;
using namespace hypersdk::store;
using std::chrono::milliseconds;

namespace {

constexpr int kWidth = 300;

WorkflowSubmit join(const std::string& rule) {
  WorkflowSubmit req;
  req.spec.name = "join";
  std::vector<std::string> all;
  for (int i = 0; i < kWidth; ++i) {
    core::WorkflowStep s;
    s.name = "u" + std::to_string(i);
    s.spec.type = "noop";
    s.spec.retry.max_retries = 0;
    all.push_back(s.name);
    req.spec.steps.push_back(s);
  }
  core::WorkflowStep j;
  j.name = "join";
  j.spec.type = "noop";
  j.depends_on = all;
  j.depends_on.push_back("u0");  // a repeated dependency counts once
  j.trigger_rule = rule;
  req.spec.steps.push_back(j);
  return req;
}

// Finishes `n` claimable jobs: the first `fail` of them fail, the rest succeed.
void finish(Store& s, TimeMs now, int n, int fail = 0) {
  std::vector<Completion> batch;
  for (const auto& j : s.job_claim(n, now, milliseconds(60000), "t").value()) {
    Completion c{j.id, j.lease_token, Outcome::succeeded, {}, R"({"n":1})"};
    if (fail-- > 0) {
      c.outcome = Outcome::failed;
      c.error = make_error(ErrorClass::invalid, "broke");
    }
    batch.push_back(c);
  }
  REQUIRE(s.job_complete(batch, now).ok());
}

WorkflowStepRow join_row(Store& s, WorkflowId id) {
  for (auto& st : s.workflow_get(id).value().steps)
    if (st.name == "join") return st;
  FAIL("no join step");
  return {};
}

}  // namespace

TEST_CASE("a wide all_success join waits for its last upstream, then gets every input") {
  test::ConformanceFixture f;
  auto& s = *f.store;
  const auto id = s.workflow_submit(join("all_success"), 1000).value().id;
  for (int i = 0; i < kWidth - 1; ++i) finish(s, 2000 + i, 1);
  CHECK(join_row(s, id).job.status == JobStatus::waiting);
  finish(s, 5000, 1);
  auto j = join_row(s, id);
  REQUIRE(j.job.status == JobStatus::queued);
  CHECK(nlohmann::json::parse(j.job.spec.payload)["inputs"].size() == kWidth);
  finish(s, 6000, 1);
  CHECK(s.workflow_get(id).value().status == "succeeded");
}

TEST_CASE("a wide join decides at once on a failure where its rule allows, else at the end") {
  test::ConformanceFixture f;
  auto& s = *f.store;
  const auto ok = s.workflow_submit(join("all_success"), 1000).value().id;
  finish(s, 2000, 10, 1);  // the first upstream fails; most are still queued
  CHECK(join_row(s, ok).job.status == JobStatus::upstream_failed);

  test::ConformanceFixture g;
  const auto one = g.store->workflow_submit(join("one_failed"), 1000).value().id;
  finish(*g.store, 2000, 10, 1);
  CHECK(join_row(*g.store, one).job.status == JobStatus::queued);

  test::ConformanceFixture h;
  const auto done = h.store->workflow_submit(join("all_done"), 1000).value().id;
  finish(*h.store, 2000, 10, 3);
  CHECK(join_row(*h.store, done).job.status == JobStatus::waiting);
  finish(*h.store, 3000, kWidth);  // the other upstreams (the join is not claimable yet)
  CHECK(join_row(*h.store, done).job.status == JobStatus::queued);

  test::ConformanceFixture k;
  const auto none = k.store->workflow_submit(join("none_failed_min_one_success"), 1000).value().id;
  finish(*k.store, 2000, kWidth - 1);
  CHECK(join_row(*k.store, none).job.status == JobStatus::waiting);
  finish(*k.store, 3000, 1);
  CHECK(join_row(*k.store, none).job.status == JobStatus::queued);
}

TEST_CASE("after a retry the join's count is recomputed and the workflow completes") {
  test::ConformanceFixture f;
  auto& s = *f.store;
  const auto id = s.workflow_submit(join("all_success"), 1000).value().id;
  finish(s, 2000, kWidth, 2);  // two upstreams fail for good, the join gives up
  REQUIRE(s.workflow_get(id).value().status == "failed");
  REQUIRE(s.workflow_retry(id, 3000).ok());
  CHECK(join_row(s, id).job.status == JobStatus::waiting);
  finish(s, 4000, 1);  // one of the two reruns
  CHECK(join_row(s, id).job.status == JobStatus::waiting);
  finish(s, 5000, 1);
  CHECK(join_row(s, id).job.status == JobStatus::queued);
  finish(s, 6000, 1);
  auto w = s.workflow_get(id).value();
  CHECK(w.status == "succeeded");
  CHECK(w.runs == 2);
}
