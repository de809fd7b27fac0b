// Retention and workflows: job_prune never deletes a step of a workflow that is not finished,
// and deletes finished workflows whole. Conformance tests: a real SQLite file or a real
// PostgreSQL (store_conformance.h).
#include <doctest/doctest.h>

#include "store_conformance.h"
#include "workflow_test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;
using std::chrono::milliseconds;
using test::step;

namespace {

WorkflowSubmit chain(const std::string& name) {
  WorkflowSubmit req;
  req.spec.name = name;
  req.spec.steps = {step("a"), step("b", {"a"}), step("c", {"b"})};
  return req;
}

// Claims and finishes every claimable job as `outcome`.
void run_all(Store& s, TimeMs now, Outcome outcome = Outcome::succeeded) {
  std::vector<Completion> batch;
  for (const auto& j : s.job_claim(100, now, milliseconds(60000), "t").value()) {
    Completion c{j.id, j.lease_token, outcome, {}, "{}"};
    if (outcome == Outcome::failed) c.error = make_error(ErrorClass::invalid, "broke");
    batch.push_back(c);
  }
  REQUIRE(s.job_complete(batch, now).ok());
}

int prune_all(Store& s, std::optional<TimeMs> before, std::optional<int> keep) {
  int total = 0;
  for (int n = 1; n > 0; total += n) n = s.job_prune(before, keep).value();
  return total;
}

}  // namespace

TEST_CASE("job retention never deletes the steps of a running workflow") {
  test::ConformanceFixture f;
  auto& s = *f.store;
  const auto wf = s.workflow_submit(chain("long"), 1000).value().id;
  run_all(s, 2000);  // a succeeds at t=2000; b is queued, c waits
  // Far past any age limit, and a count limit of zero: a finished step is still kept.
  prune_all(s, 1'000'000, 0);
  auto w = s.workflow_get(wf).value();
  REQUIRE(w.steps.size() == 3);
  CHECK(w.steps[0].job.status == JobStatus::succeeded);
  CHECK(w.steps[0].job.result == "{}");
  // The workflow carries on and its steps' inputs are still there.
  run_all(s, 3000);
  run_all(s, 4000);
  w = s.workflow_get(wf).value();
  CHECK(w.status == "succeeded");
}

TEST_CASE("finished workflows are pruned whole, by age and by count, plain jobs as before") {
  test::ConformanceFixture f;
  auto& s = *f.store;
  const auto old_wf = s.workflow_submit(chain("old"), 1000).value().id;
  for (TimeMs t : {2000, 3000, 4000}) run_all(s, t);
  REQUIRE(s.workflow_get(old_wf).value().status == "succeeded");
  JobSpec noop;
  noop.type = "noop";
  const auto plain = s.job_enqueue(noop, 4500).value().id;
  run_all(s, 5000);
  const auto new_wf = s.workflow_submit(chain("new"), 6000).value().id;
  for (TimeMs t : {7000, 8000, 9000}) run_all(s, t);
  const auto running_wf = s.workflow_submit(chain("running"), 9500).value().id;

  // By age: the old workflow (finished at 4000) and the plain job (5000) go; the newer
  // workflow (finished at 9000) and the running one stay.
  CHECK(prune_all(s, 5500, std::nullopt) == 3 + 1 + 1);
  CHECK(s.workflow_get(old_wf).error().cls == ErrorClass::not_found);
  CHECK(s.job_get(plain).error().cls == ErrorClass::not_found);
  CHECK(s.workflow_get(new_wf).value().steps.size() == 3);
  CHECK(s.workflow_get(running_wf).value().steps.size() == 3);

  // By count: keep 0 finished workflows: the finished one goes whole, the running one stays.
  CHECK(prune_all(s, std::nullopt, 0) == 3 + 1);
  CHECK(s.workflow_get(new_wf).error().cls == ErrorClass::not_found);
  CHECK(s.workflow_get(running_wf).value().steps.size() == 3);
}

TEST_CASE("a finished workflow with a dead-lettered step is kept until the letter is purged") {
  test::ConformanceFixture f;
  auto& s = *f.store;
  const auto wf = s.workflow_submit(chain("broken"), 1000).value().id;
  run_all(s, 2000, Outcome::failed);  // a fails for good: b and c upstream_failed
  auto w = s.workflow_get(wf).value();
  REQUIRE(w.status == "failed");
  CHECK(prune_all(s, 1'000'000, 0) == 0);
  CHECK(s.workflow_get(wf).value().steps.size() == 3);
  REQUIRE(s.dlq_purge(std::nullopt).value() == 1);
  CHECK(prune_all(s, 1'000'000, 0) == 3 + 1);
  CHECK(s.workflow_get(wf).error().cls == ErrorClass::not_found);
}
