// Two nodes, one PostgreSQL: the two upstreams of a join finished at the same moment by two
// PgStore instances (two hypervisord processes) queue the join exactly once, with both
// results as its inputs, and the workflow ends once. On SQLite one writer orders the two
// completions; here the two transactions overlap, and the join's countdown
// (upstream_unfinished) and the decision must still see both. (Checked: it also holds under
// READ COMMITTED, since the countdown is one UPDATE that waits for the other's row lock; the
// test guards the outcome, whichever isolation the jobs half picks.) PostgreSQL only (suite
// "pg").
#include <doctest/doctest.h>

#include <latch>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/pg/pg_store.h"
#include "store_conformance.h"
#include "workflow_test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;
using std::chrono::milliseconds;
using test::step;

namespace {

std::unique_ptr<pg::PgStore> node(const test::PgTestSchema& schema) {
  auto db = pg::PgDatabase::open(schema.url());
  REQUIRE_MESSAGE(db.ok(), db.error().message);
  return std::make_unique<pg::PgStore>(std::move(db.value()));
}

// a -> (b, c) -> d
WorkflowSubmit diamond() {
  WorkflowSubmit req;
  req.spec.name = "diamond";
  req.spec.steps = {step("a"), step("b", {"a"}), step("c", {"a"}), step("d", {"b", "c"})};
  return req;
}

Job claim_one(Store& s, TimeMs now, const std::string& owner) {
  auto claimed = s.job_claim(1, now, milliseconds(60'000), owner).value();
  REQUIRE(claimed.size() == 1);
  return claimed[0];
}

std::string step_of(const Job& j) {
  return nlohmann::json::parse(j.spec.labels).value("step", "");
}

}  // namespace

TEST_SUITE("pg") {
  TEST_CASE("two nodes finishing both upstreams of a join at once queue it once with both inputs") {
    test::PgTestSchema schema;
    auto a = node(schema);
    auto b = node(schema);
    constexpr int kRounds = 10;
    for (int round = 0; round < kRounds; ++round) {
      const TimeMs t = 1000 * (round + 1);
      const WorkflowId wf = a->workflow_submit(diamond(), t).value().id;
      const Job root = claim_one(*a, t + 1, "node-a");
      REQUIRE(step_of(root) == "a");
      REQUIRE(
          a->job_complete({{root.id, root.lease_token, Outcome::succeeded, {}, "{}"}}, t + 2).ok());
      // b on node a, c on node b (which of the two each gets does not matter).
      const Job first = claim_one(*a, t + 3, "node-a");
      const Job second = claim_one(*b, t + 3, "node-b");
      std::latch go(2);
      Result<std::vector<CompletionResult>> ra = make_error(ErrorClass::internal, "not run");
      Result<std::vector<CompletionResult>> rb = make_error(ErrorClass::internal, "not run");
      std::thread ta([&] {
        go.arrive_and_wait();
        ra = a->job_complete({{first.id,
                               first.lease_token,
                               Outcome::succeeded,
                               {},
                               R"({"from":")" + step_of(first) + "\"}"}},
                             t + 4);
      });
      std::thread tb([&] {
        go.arrive_and_wait();
        rb = b->job_complete({{second.id,
                               second.lease_token,
                               Outcome::succeeded,
                               {},
                               R"({"from":")" + step_of(second) + "\"}"}},
                             t + 4);
      });
      ta.join();
      tb.join();
      REQUIRE_MESSAGE(ra.ok(), ra.error().message);
      REQUIRE_MESSAGE(rb.ok(), rb.error().message);

      // The join is queued (not left waiting), once, with both upstreams' results.
      const Job join = claim_one(*b, t + 5, "node-b");
      REQUIRE(step_of(join) == "d");
      const auto payload = nlohmann::json::parse(join.spec.payload);
      CHECK(payload["inputs"]["b"]["from"] == "b");
      CHECK(payload["inputs"]["c"]["from"] == "c");
      CHECK(a->job_claim(10, t + 5, milliseconds(60'000), "node-a")->empty());
      REQUIRE(
          b->job_complete({{join.id, join.lease_token, Outcome::succeeded, {}, "{}"}}, t + 6).ok());
      CHECK(a->workflow_get(wf)->status == "succeeded");
    }
    // One workflow.completed per workflow, however the completions interleaved.
    int completed = 0;
    for (const auto& e : a->event_list(0, 10'000).value())
      completed += e.kind == "workflow.completed";
    CHECK(completed == kRounds);
  }
}
