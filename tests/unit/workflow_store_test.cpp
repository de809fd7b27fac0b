// The workflow operations of the store: submit, the advancer inside job completion, retry,
// cancel, events. Conformance tests: a real SQLite file or a real PostgreSQL
// (store_conformance.h).
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "store_conformance.h"
#include "workflow_test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;
using nlohmann::json;
using std::chrono::milliseconds;
using test::step;

namespace {

WorkflowSubmit diamond() {
  WorkflowSubmit req;
  req.spec.name = "diamond";
  req.spec.steps = {step("a"), step("b", {"a"}), step("c", {"a"}), step("d", {"b", "c"})};
  return req;
}

std::map<std::string, WorkflowStepRow> by_name(const Workflow& w) {
  std::map<std::string, WorkflowStepRow> m;
  for (const auto& s : w.steps) m[s.name] = s;
  return m;
}

struct Runner {
  Store& store;
  TimeMs now = 1000;
  // Claims every claimable step, returns their step names, finishing each by `outcome`.
  std::vector<std::string> run(WorkflowId wf, const std::map<std::string, Outcome>& outcome,
                               const std::map<std::string, std::string>& results = {}) {
    auto w = store.workflow_get(wf).value();
    std::map<JobId, std::string> names;
    for (const auto& s : w.steps) names[s.job.id] = s.name;
    auto claimed = store.job_claim(100, ++now, milliseconds(60000), "t").value();
    std::vector<Completion> batch;
    std::vector<std::string> ran;
    for (const auto& j : claimed) {
      const auto& n = names.at(j.id);
      ran.push_back(n);
      Completion c{j.id, j.lease_token, Outcome::succeeded, {}, "{}"};
      if (auto it = outcome.find(n); it != outcome.end()) c.outcome = it->second;
      if (c.outcome == Outcome::failed) c.error = make_error(ErrorClass::invalid, n + " broke");
      if (c.outcome == Outcome::cancelled) c.error = make_error(ErrorClass::cancelled, "stop");
      if (auto it = results.find(n); it != results.end()) c.result = it->second;
      batch.push_back(c);
    }
    REQUIRE(store.job_complete(batch, ++now).ok());
    std::sort(ran.begin(), ran.end());
    return ran;
  }
};

std::vector<std::string> event_kinds(Store& s) {
  std::vector<std::string> out;
  for (const auto& e : s.event_list(0, 100).value())
    if (e.kind.rfind("workflow.", 0) == 0) out.push_back(e.kind);
  return out;
}

}  // namespace

TEST_CASE("a submitted diamond queues its root only and the rest wait for their upstreams") {
  test::ConformanceFixture f;
  auto w = f.store->workflow_submit(diamond(), 1000);
  REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.error().message));
  CHECK(w->status == "running");
  auto s = by_name(*w);
  CHECK(s["a"].job.status == JobStatus::queued);
  for (auto n : {"b", "c", "d"}) CHECK(s[n].job.status == JobStatus::waiting);
  CHECK(s["d"].depends_on == std::vector<std::string>{"b", "c"});
  CHECK(w->steps.front().name == "a");
  CHECK(w->steps.back().name == "d");
  CHECK(event_kinds(*f.store) == std::vector<std::string>{"workflow.started"});
}

TEST_CASE("a rejected workflow writes nothing") {
  test::ConformanceFixture f;
  auto req = diamond();
  req.spec.steps[0].depends_on = {"d"};
  auto w = f.store->workflow_submit(req, 1000);
  REQUIRE_FALSE(w.ok());
  CHECK(w.error().message == "cycle: a -> b -> d -> a");
  CHECK(f.store->workflow_list(10).value().empty());
  CHECK(f.store->job_list({}).value().empty());
  CHECK(f.store->event_list(0, 10).value().empty());
}

TEST_CASE("the diamond runs upstream first, both branches together, and passes inputs down") {
  test::ConformanceFixture f;
  auto wf = f.store->workflow_submit(diamond(), 1000).value().id;
  Runner r{*f.store};
  CHECK(r.run(wf, {}, {{"a", R"({"path":"/x.vmdk","size":5})"}}) == std::vector<std::string>{"a"});
  // b and c are claimable together in the transaction that finished a.
  CHECK(r.run(wf, {}, {{"b", R"({"b":1})"}, {"c", R"({"c":2})"}}) ==
        std::vector<std::string>{"b", "c"});
  auto s = by_name(f.store->workflow_get(wf).value());
  REQUIRE(s["d"].job.status == JobStatus::queued);
  auto inputs = json::parse(s["d"].job.spec.payload)["inputs"];
  CHECK(inputs["a"]["path"] == "/x.vmdk");
  CHECK(inputs["b"]["b"] == 1);
  CHECK(inputs["c"]["c"] == 2);
  CHECK(r.run(wf, {}) == std::vector<std::string>{"d"});
  auto w = f.store->workflow_get(wf).value();
  CHECK(w.status == "succeeded");
  CHECK(w.finished_at.has_value());
  CHECK(event_kinds(*f.store) ==
        std::vector<std::string>{"workflow.started", "workflow.completed"});
}

TEST_CASE("an exec step gets its inputs as environment variables") {
  test::ConformanceFixture f;
  WorkflowSubmit req;
  req.spec.name = "e";
  req.spec.steps = {step("make-disk"), step("use", {"make-disk"}, "all_success", "exec")};
  req.spec.steps[1].spec.payload = R"({"argv":["true"],"env":{"KEEP":"1"}})";
  auto wf = f.store->workflow_submit(req, 1000).value().id;
  Runner r{*f.store};
  r.run(wf, {}, {{"make-disk", R"({"size":7})"}});
  auto p = json::parse(by_name(f.store->workflow_get(wf).value())["use"].job.spec.payload);
  CHECK(p["env"]["KEEP"] == "1");
  CHECK(json::parse(p["env"]["HYPERSDK_INPUT_MAKE_DISK"].get<std::string>())["size"] == 7);
  CHECK(json::parse(p["env"]["HYPERSDK_INPUTS"].get<std::string>())["make-disk"]["size"] == 7);
}

TEST_CASE("a failed branch marks its descendants upstream_failed while the other branch runs") {
  test::ConformanceFixture f;
  auto req = diamond();
  req.spec.steps.push_back(step("e", {"d"}));
  auto wf = f.store->workflow_submit(req, 1000).value().id;
  Runner r{*f.store};
  r.run(wf, {});
  CHECK(r.run(wf, {{"b", Outcome::failed}}) == std::vector<std::string>{"b", "c"});
  auto w = f.store->workflow_get(wf).value();
  auto s = by_name(w);
  CHECK(s["b"].job.status == JobStatus::failed);
  CHECK(s["c"].job.status == JobStatus::succeeded);
  CHECK(s["d"].job.status == JobStatus::upstream_failed);
  CHECK(s["e"].job.status == JobStatus::upstream_failed);  // transitively
  CHECK(s["d"].job.last_error->message.find("b did not succeed") != std::string::npos);
  CHECK(w.status == "failed");
  CHECK(event_kinds(*f.store) == std::vector<std::string>{"workflow.started", "workflow.failed"});
  CHECK(f.store->dlq_count().value() == 1);

  SUBCASE("retry runs the failed step and its descendants only, reusing the others") {
    auto before = by_name(f.store->workflow_get(wf).value());
    auto again = f.store->workflow_retry(wf, r.now);
    REQUIRE_MESSAGE(again.ok(), (again.ok() ? "" : again.error().message));
    CHECK(again->status == "running");
    CHECK(again->runs == 2);
    CHECK(f.store->dlq_count().value() == 0);
    CHECK(r.run(wf, {}, {{"b", R"({"b":"second"})"}}) == std::vector<std::string>{"b"});
    auto s2 = by_name(f.store->workflow_get(wf).value());
    auto inputs = json::parse(s2["d"].job.spec.payload)["inputs"];
    CHECK(inputs["b"]["b"] == "second");
    CHECK(inputs.contains("c"));
    CHECK(r.run(wf, {}) == std::vector<std::string>{"d"});
    CHECK(r.run(wf, {}) == std::vector<std::string>{"e"});
    auto done = f.store->workflow_get(wf).value();
    CHECK(done.status == "succeeded");
    auto s3 = by_name(done);
    CHECK(s3["a"].job.attempt == 1);  // not run again
    CHECK(s3["c"].job.attempt == 1);
    CHECK(s3["a"].job.finished_at == before["a"].job.finished_at);
  }
  SUBCASE("retrying a step's job retries its workflow") {
    auto b = by_name(f.store->workflow_get(wf).value())["b"].job.id;
    auto again = f.store->job_retry(b, r.now);
    REQUIRE_MESSAGE(again.ok(), (again.ok() ? "" : again.error().message));
    CHECK(again->status == JobStatus::queued);
    auto w2 = f.store->workflow_get(wf).value();
    CHECK(w2.status == "running");
    CHECK(w2.runs == 2);
    CHECK(by_name(w2)["d"].job.status == JobStatus::waiting);
    CHECK(r.run(wf, {}) == std::vector<std::string>{"b"});
    CHECK(r.run(wf, {}) == std::vector<std::string>{"d"});
    CHECK(r.run(wf, {}) == std::vector<std::string>{"e"});
    CHECK(f.store->workflow_get(wf)->status == "succeeded");
  }
  SUBCASE("a succeeded or running workflow cannot be retried") {
    auto w2 = f.store->workflow_submit(diamond(), r.now).value();
    auto again = f.store->workflow_retry(w2.id, r.now);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().cls == ErrorClass::conflict);
  }
}

TEST_CASE("one_failed runs only when an upstream failed, all_done runs after any outcome") {
  test::ConformanceFixture f;
  WorkflowSubmit req;
  req.spec.name = "rules";
  req.spec.steps = {step("work"), step("on-fail", {"work"}, "one_failed"),
                    step("always", {"work"}, "all_done"), step("after-cleanup", {"on-fail"})};
  SUBCASE("work fails") {
    auto wf = f.store->workflow_submit(req, 1000).value().id;
    Runner r{*f.store};
    r.run(wf, {{"work", Outcome::failed}});
    CHECK(r.run(wf, {}) == std::vector<std::string>{"always", "on-fail"});
    CHECK(r.run(wf, {}) == std::vector<std::string>{"after-cleanup"});
    CHECK(f.store->workflow_get(wf)->status == "failed");
  }
  SUBCASE("work succeeds") {
    auto wf = f.store->workflow_submit(req, 1000).value().id;
    Runner r{*f.store};
    r.run(wf, {});
    CHECK(r.run(wf, {}) == std::vector<std::string>{"always"});
    auto w = f.store->workflow_get(wf).value();
    auto s = by_name(w);
    CHECK(s["on-fail"].job.status == JobStatus::upstream_failed);
    CHECK(s["on-fail"].skipped);
    CHECK(s["after-cleanup"].skipped);  // below a skipped step: skipped, not failed
    // Nothing failed: the skipped steps do not fail the workflow.
    CHECK(w.status == "succeeded");
  }
}

TEST_CASE("cancelling a workflow cancels waiting steps and ends once running ones stop") {
  test::ConformanceFixture f;
  auto wf = f.store->workflow_submit(diamond(), 1000).value().id;
  Runner r{*f.store};
  auto claimed = f.store->job_claim(10, 2000, milliseconds(60000), "t").value();
  REQUIRE(claimed.size() == 1);
  auto w = f.store->workflow_cancel(wf, 2001);
  REQUIRE(w.ok());
  CHECK(w->status == "running");  // a is still running
  CHECK(f.store->job_get(claimed[0].id)->cancel_requested);
  for (auto n : {"b", "c", "d"}) CHECK(by_name(*w)[n].job.status == JobStatus::cancelled);
  REQUIRE(f.store
              ->job_complete({{claimed[0].id, claimed[0].lease_token, Outcome::cancelled,
                               make_error(ErrorClass::cancelled, "stop"), ""}},
                             2002)
              .ok());
  CHECK(f.store->workflow_get(wf)->status == "cancelled");
  CHECK(event_kinds(*f.store).back() == "workflow.cancelled");
  CHECK(f.store->workflow_cancel(wf, 2003).error().cls == ErrorClass::conflict);
  // A cancelled workflow can be retried from its cancelled steps.
  auto again = f.store->workflow_retry(wf, 2004);
  REQUIRE(again.ok());
  r.now = 2005;
  CHECK(r.run(wf, {}) == std::vector<std::string>{"a"});
}

TEST_CASE("cancelling one waiting step decides its dependents at once") {
  test::ConformanceFixture f;
  auto wf = f.store->workflow_submit(diamond(), 1000).value().id;
  auto s = by_name(f.store->workflow_get(wf).value());
  REQUIRE(f.store->job_cancel(s["b"].job.id, 1500).ok());
  auto s2 = by_name(f.store->workflow_get(wf).value());
  CHECK(s2["d"].job.status == JobStatus::upstream_failed);
  CHECK(s2["c"].job.status == JobStatus::waiting);
}

TEST_CASE("a step whose lease expires for good fails its dependents") {
  test::ConformanceFixture f;
  auto wf = f.store->workflow_submit(diamond(), 1000).value().id;
  REQUIRE(f.store->job_claim(10, 2000, milliseconds(10), "dead").ok());
  auto rescued = f.store->job_rescue_expired(5000, 1).value();
  CHECK(rescued.dead_lettered.size() == 1);
  auto w = f.store->workflow_get(wf).value();
  CHECK(w.status == "failed");
  CHECK(by_name(w)["d"].job.status == JobStatus::upstream_failed);
}

TEST_CASE("a wide fan-out and a long chain complete with each step run once") {
  test::ConformanceFixture f;
  WorkflowSubmit req;
  req.spec.name = "wide";
  req.spec.steps.push_back(step("root"));
  std::vector<std::string> all;
  for (int i = 0; i < 200; ++i) {
    req.spec.steps.push_back(step("w" + std::to_string(i), {"root"}));
    all.push_back("w" + std::to_string(i));
  }
  req.spec.steps.push_back(step("join", all));
  auto wf = f.store->workflow_submit(req, 1000).value().id;
  Runner r{*f.store};
  CHECK(r.run(wf, {}).size() == 1);
  CHECK(r.run(wf, {}).size() == 100);  // claim max 100
  CHECK(r.run(wf, {}).size() == 100);
  CHECK(r.run(wf, {}) == std::vector<std::string>{"join"});
  auto w = f.store->workflow_get(wf).value();
  CHECK(w.status == "succeeded");
  for (const auto& s : w.steps) CHECK(s.job.attempt == 1);
}

TEST_CASE("workflow ids are w-N") {
  CHECK(format_workflow_id(7) == "w-7");
  CHECK(parse_workflow_id("w-7") == 7);
  CHECK(parse_workflow_id("7") == 7);
  CHECK_FALSE(parse_workflow_id("j-7"));
  CHECK_FALSE(parse_workflow_id("w-"));
  CHECK_FALSE(parse_workflow_id("w-0"));
}

TEST_CASE("a windowed step made ready outside its window waits for the opening") {
  test::ConformanceFixture f;
  WorkflowSubmit req;
  req.spec.name = "windowed";
  req.spec.steps = {step("a"), step("b", {"a"})};
  auto w = core::make_job_window("UTC", "10:00-11:00", "*", {}, "let_finish");
  REQUIRE(w.ok());
  req.spec.steps[1].spec.window = *w;
  auto wf = f.store->workflow_submit(req, 1000).value().id;
  Runner r{*f.store};
  CHECK(r.run(wf, {}) == std::vector<std::string>{"a"});  // 00:00 UTC: b is now due...
  CHECK(r.run(wf, {}).empty());                           // ...but its window is closed
  auto b = by_name(f.store->workflow_get(wf).value())["b"].job;
  CHECK(b.status == JobStatus::waiting);
  CHECK(b.run_at == 10 * 3600 * 1000);
  r.now = 10 * 3600 * 1000;
  CHECK(r.run(wf, {}) == std::vector<std::string>{"b"});
  CHECK(f.store->workflow_get(wf)->status == "succeeded");
}

TEST_CASE("a step whose cancel is applied as its leases are handed back decides its dependents") {
  for (bool by_lease : {false, true}) {
    CAPTURE(by_lease);
    test::ConformanceFixture f;
    WorkflowSubmit req;
    req.spec.name = "release";
    req.spec.steps = {step("a"), step("b", {"a"})};
    const auto id = f.store->workflow_submit(req, 1000).value().id;
    auto claimed = f.store->job_claim(10, 2000, milliseconds(60000), "srv").value();
    REQUIRE(claimed.size() == 1);
    REQUIRE(f.store->job_cancel(claimed[0].id, 2100).ok());  // running: cancel requested
    if (by_lease)
      CHECK(f.store->job_release_leases({{claimed[0].id, claimed[0].lease_token}}, 2200).value() ==
            1);
    else
      CHECK(f.store->job_release("srv", 2200).value() == 1);
    auto w = f.store->workflow_get(id).value();
    auto steps = by_name(w);
    CHECK(steps["a"].job.status == JobStatus::cancelled);
    CHECK(steps["b"].job.status == JobStatus::upstream_failed);
    CHECK(w.status == "failed");
  }
}
