// job_complete_and_claim: the completing worker's next claim rides on its completion. Run
// against the SQLite store's one-transaction version and the port's default (two port calls,
// reached through a ForwardingStore, which does not override it), with the same expectations.
#include <doctest/doctest.h>

#include "forwarding_store.h"
#include "test_support.h"
#include "workflow_test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;
using std::chrono::milliseconds;
using test::step;

namespace {

// A two-step chain a -> b; returns b's job id, a claimed by "w1" (its lease in `a`).
JobId chain(SqliteStore& s, Lease& a) {
  WorkflowSubmit req;
  req.spec.name = "chain";
  req.spec.steps = {step("a"), step("b", {"a"})};
  auto wf = s.workflow_submit(req, 1000).value();
  JobId b = 0;
  for (const auto& st : wf.steps)
    if (st.name == "b") b = st.job.id;
  auto claimed = s.job_claim(10, 1001, milliseconds(60000), "w1").value();
  REQUIRE(claimed.size() == 1);
  a = {claimed[0].id, claimed[0].lease_token};
  return b;
}

Completion success(const Lease& l) {
  return {l.id, l.token, Outcome::succeeded, {}, "{\"n\":1}"};
}

// Both implementations of the operation under test.
template <typename F>
void each_store(F body) {
  SUBCASE("sqlite: one transaction") {
    test::StoreFixture f;
    body(*f.store, *f.store);
  }
  SUBCASE("port default: complete, then claim") {
    test::StoreFixture f;
    test::ForwardingStore fwd(*f.store);
    body(static_cast<Store&>(fwd), *f.store);
  }
}

}  // namespace

TEST_CASE(
    "complete_and_claim: the successor a completion makes ready is claimed in the same call") {
  each_store([](Store& op, SqliteStore& s) {
    Lease a;
    const JobId b = chain(s, a);
    CHECK(s.job_get(b).value().status == JobStatus::waiting);
    auto r = op.job_complete_and_claim({success(a)}, 2000, 4, milliseconds(30000), "w1");
    REQUIRE(r.ok());
    REQUIRE(r->results.size() == 1);
    CHECK(r->results[0].applied);
    CHECK(r->results[0].status == JobStatus::succeeded);
    REQUIRE(r->claimed.size() == 1);
    const Job& got = r->claimed[0];
    CHECK(got.id == b);
    CHECK(got.status == JobStatus::running);
    CHECK(got.lease_owner == "w1");
    CHECK(got.attempt == 1);
    CHECK(got.lease_token > 0);
    // Its inputs are a's result, as for an ordinary claim.
    CHECK(got.spec.payload.find("\"n\":1") != std::string::npos);
    const Job stored = s.job_get(b).value();
    CHECK(stored.status == JobStatus::running);
    CHECK(stored.lease_token == got.lease_token);
    CHECK(s.job_get(a.id).value().status == JobStatus::succeeded);
    // The fresh token fences: the claim's token completes b, an older one does not.
    auto stale = s.job_complete({{b, got.lease_token - 1, Outcome::succeeded, {}, "{}"}}, 2100);
    CHECK_FALSE(stale.value()[0].applied);
    auto fresh = s.job_complete({{b, got.lease_token, Outcome::succeeded, {}, "{}"}}, 2200);
    CHECK(fresh.value()[0].applied);
  });
}

TEST_CASE("complete_and_claim: nothing is claimed when the worker has no free slot") {
  each_store([](Store& op, SqliteStore& s) {
    Lease a;
    const JobId b = chain(s, a);
    auto r = op.job_complete_and_claim({success(a)}, 2000, 0, milliseconds(30000), "w1");
    REQUIRE(r.ok());
    CHECK(r->results[0].applied);
    CHECK(r->claimed.empty());
    // b is ready for anyone's ordinary claim.
    CHECK(s.job_get(b).value().status == JobStatus::queued);
    auto other = s.job_claim(10, 2001, milliseconds(30000), "w2").value();
    REQUIRE(other.size() == 1);
    CHECK(other[0].id == b);
  });
}

TEST_CASE("complete_and_claim: a completion with a stale token claims nothing") {
  each_store([](Store& op, SqliteStore& s) {
    Lease a;
    chain(s, a);
    // w1 stalls past its lease: a is rescued and taken by w2; work is queued meanwhile.
    REQUIRE(s.job_rescue_expired(1001 + 60001, 3).value().requeued.size() == 1);
    auto again = s.job_claim(10, 1001 + 60002, milliseconds(60000), "w2").value();
    REQUIRE(again.size() == 1);
    JobSpec noop;
    noop.type = "noop";
    const JobId plain = s.job_enqueue(noop, 70000).value().id;
    auto r = op.job_complete_and_claim({success(a)}, 70001, 4, milliseconds(30000), "w1");
    REQUIRE(r.ok());
    CHECK_FALSE(r->results[0].applied);
    CHECK(r->claimed.empty());
    CHECK(s.job_get(plain).value().status == JobStatus::queued);
    CHECK(s.job_get(a.id).value().lease_owner == "w2");
  });
}

TEST_CASE("complete_and_claim: the claim keeps the queue's priority order") {
  each_store([](Store& op, SqliteStore& s) {
    Lease a;
    const JobId b = chain(s, a);
    JobSpec urgent;
    urgent.type = "noop";
    urgent.priority = 5;
    const JobId u = s.job_enqueue(urgent, 1500).value().id;
    auto r = op.job_complete_and_claim({success(a)}, 2000, 1, milliseconds(30000), "w1");
    REQUIRE(r.ok());
    REQUIRE(r->claimed.size() == 1);
    CHECK(r->claimed[0].id == u);  // the higher priority first, as job_claim would
    CHECK(s.job_get(b).value().status == JobStatus::queued);
    auto both = op.job_complete_and_claim({{u, r->claimed[0].lease_token}}, 2100, 5,
                                          milliseconds(30000), "w1");
    REQUIRE(both->claimed.size() == 1);
    CHECK(both->claimed[0].id == b);
  });
}
