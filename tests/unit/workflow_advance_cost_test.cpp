// The workflow advancer's cost per finished step (SQLite; bench/workflow_bench.py measures the
// same through the binary). Counted in SQLite virtual-machine steps of the writer connection,
// which do not depend on the machine's speed or load: finishing a step of a chain must cost
// the same in a 1,000-step chain as in a 100-step one (it once counted every step of the
// workflow after each step, which made a long chain quadratic).
#include <doctest/doctest.h>
#include <sqlite3.h>

#include "test_support.h"
#include "workflow_test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;
using std::chrono::milliseconds;

namespace {

int add_vm_steps(unsigned, void* total, void* stmt, void*) {
  *static_cast<std::int64_t*>(total) +=
      sqlite3_stmt_status(static_cast<sqlite3_stmt*>(stmt), SQLITE_STMTSTATUS_VM_STEP, 1);
  return 0;
}

// VM steps spent completing the 5th step of an n-step chain (claim excluded).
std::int64_t cost_of_a_chain_step(int n) {
  test::StoreFixture f;
  WorkflowSubmit req;
  req.spec.name = "chain";
  req.spec.steps.push_back(test::step("s0"));
  for (int i = 1; i < n; ++i)
    req.spec.steps.push_back(test::step("s" + std::to_string(i), {"s" + std::to_string(i - 1)}));
  REQUIRE(f.store->workflow_submit(req, 1000).ok());
  std::int64_t total = 0;
  REQUIRE(f.db->write([&](Connection& c) {
                sqlite3_trace_v2(c.db().getHandle(), SQLITE_TRACE_PROFILE, add_vm_steps, &total);
                return Status::Ok();
              })
              .ok());
  TimeMs now = 2000;
  std::int64_t cost = 0;
  for (int i = 0; i < 5; ++i) {
    auto claimed = f.store->job_claim(1, ++now, milliseconds(60000), "t").value();
    REQUIRE(claimed.size() == 1);
    total = 0;
    auto done = f.store->job_complete(
        {{claimed[0].id, claimed[0].lease_token, Outcome::succeeded, {}, "{}"}}, ++now);
    REQUIRE(done.ok());
    REQUIRE(done->at(0).applied);
    cost = total;
  }
  REQUIRE(f.db->write([&](Connection& c) {
                sqlite3_trace_v2(c.db().getHandle(), 0, nullptr, nullptr);
                return Status::Ok();
              })
              .ok());
  return cost;
}

}  // namespace

TEST_CASE("workflow advance: a chain step's completion costs the same at 100 and 1,000 steps") {
  const auto small = cost_of_a_chain_step(100);
  const auto large = cost_of_a_chain_step(1000);
  MESSAGE("VM steps per completed chain step: 100 steps " << small << ", 1,000 steps " << large);
  CHECK(small > 0);
  // Before: a count over all steps of the workflow, ~10x more at 10x the steps.
  CHECK(large < small + small / 4);
}
