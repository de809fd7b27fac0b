// Conformance tests for job_complete with a batch (both stores; the PostgreSQL store applies
// the successes of a batch in one set-based statement and its events in one insert): every
// completion of a mixed batch has the effect it would have alone, in batch order.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "store_conformance.h"
#include "workflow_test_support.h"

using namespace hypersdk;
using namespace hypersdk::store;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

JobSpec plain(int max_retries = 3) {
  JobSpec s;
  s.type = "noop";
  s.retry.base = milliseconds(1000);
  s.retry.max_retries = max_retries;
  return s;
}

std::int64_t last_event(Store& s) {
  auto all = s.event_list(0, 1000).value();
  return all.empty() ? 0 : all.back().id;
}

// The job events raised after `after`, as "kind subject" in order.
std::vector<std::string> job_events_after(Store& s, std::int64_t after) {
  std::vector<std::string> out;
  for (const auto& e : s.event_list(after, 1000).value())
    if (e.kind.rfind("job.", 0) == 0) out.push_back(e.kind + " " + e.subject);
  return out;
}

}  // namespace

TEST_CASE("a mixed batch of completions applies each as alone, events in batch order") {
  test::ConformanceFixture f;
  std::vector<Job> jobs;
  for (int i = 0; i < 6; ++i)
    jobs.push_back(f.store->job_enqueue(plain(i == 4 ? 0 : 3), 1).value());
  auto claimed = f.store->job_claim(10, 10, milliseconds(60000), "w1").value();
  REQUIRE(claimed.size() == 6);
  std::map<JobId, Job> by_id;
  for (const auto& j : claimed) by_id[j.id] = j;
  auto token = [&](int i) { return by_id.at(jobs[i].id).lease_token; };
  // Results that a careless array literal or quoting would mangle.
  const std::string tricky = R"({"path":"/a b/{x},\"y\"","back":"c:\\d","empty":""})";
  const std::vector<Completion> batch = {
      {jobs[0].id, token(0), Outcome::succeeded, {}, tricky},
      {jobs[1].id, token(1) + 7, Outcome::succeeded, {}, "{}"},  // stale token
      {jobs[2].id, token(2), Outcome::failed, {ErrorClass::transient, "try again"}, ""},
      {jobs[3].id, token(3), Outcome::succeeded, {}, ""},
      {jobs[4].id, token(4), Outcome::failed, {ErrorClass::transient, "no retries left"}, ""},
      {jobs[5].id, token(5), Outcome::cancelled, {ErrorClass::cancelled, "stop"}, ""},
  };
  const auto before = last_event(*f.store);
  auto done = f.store->job_complete(batch, 100);
  REQUIRE_MESSAGE(done.ok(), (done.ok() ? "" : done.error().message));
  REQUIRE(done->size() == 6);
  const auto& r = *done;
  for (int i = 0; i < 6; ++i) CHECK(r[i].id == jobs[i].id);
  CHECK(r[0].applied);
  CHECK(r[0].status == JobStatus::succeeded);
  CHECK(r[0].type == "noop");
  CHECK(r[0].duration_ms == 90);
  CHECK_FALSE(r[1].applied);
  CHECK(r[2].applied);
  CHECK(r[2].status == JobStatus::retrying);
  REQUIRE(r[2].retry_at.has_value());
  CHECK(*r[2].retry_at > 100);
  CHECK(r[3].applied);
  CHECK(r[3].status == JobStatus::succeeded);
  CHECK(r[4].applied);
  CHECK(r[4].status == JobStatus::failed);
  CHECK(r[4].retries_exhausted);
  CHECK(r[5].applied);
  CHECK(r[5].status == JobStatus::cancelled);

  CHECK(f.store->job_get(jobs[0].id)->result == tricky);
  CHECK(f.store->job_get(jobs[0].id)->finished_at == 100);
  CHECK(f.store->job_get(jobs[1].id)->status == JobStatus::running);  // the stale one: untouched
  CHECK(f.store->job_get(jobs[1].id)->lease_token == token(1));
  CHECK(f.store->job_get(jobs[2].id)->status == JobStatus::retrying);
  CHECK(f.store->job_get(jobs[3].id)->result == "");
  CHECK(f.store->job_get(jobs[4].id)->status == JobStatus::failed);
  CHECK(f.store->job_get(jobs[5].id)->status == JobStatus::cancelled);
  auto letters = f.store->dlq_list(10).value();
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].job.id == jobs[4].id);
  CHECK(letters[0].reason == "retries_exhausted");

  auto subject = [&](int i) { return " " + core::format_job_id(jobs[i].id); };
  CHECK(job_events_after(*f.store, before) ==
        std::vector<std::string>{"job.completed" + subject(0), "job.failed" + subject(2),
                                 "job.completed" + subject(3), "job.failed" + subject(4),
                                 "job.cancelled" + subject(5)});
  auto events = f.store->event_list(before, 100).value();
  REQUIRE(events.size() == 5);
  auto payload = [&](int n) { return json::parse(events[n].payload); };
  CHECK(payload(0)["job"]["status"] == "completed");
  CHECK(payload(1)["final"] == false);
  CHECK(events[1].severity == "warning");
  CHECK(payload(3)["retries_exhausted"] == true);
  CHECK(events[3].severity == "critical");

  // The stale worker's job is still completable by its lease holder.
  auto fresh = f.store->job_complete({{jobs[1].id, token(1), Outcome::succeeded, {}, "{}"}}, 120);
  CHECK(fresh.value().at(0).applied);
}

TEST_CASE("a batch with a workflow step advances the workflow in the same call") {
  test::ConformanceFixture f;
  WorkflowSubmit req;
  req.spec.name = "pair";
  req.spec.steps = {test::step("a"), test::step("b", {"a"})};
  auto wf = f.store->workflow_submit(req, 1).value();
  auto plain_ok = f.store->job_enqueue(plain(), 1).value();
  auto plain_stale = f.store->job_enqueue(plain(), 1).value();
  auto plain_retry = f.store->job_enqueue(plain(), 1).value();
  auto claimed = f.store->job_claim(10, 10, milliseconds(60000), "w1").value();
  REQUIRE(claimed.size() == 4);
  JobId a = 0;
  for (const auto& s : wf.steps)
    if (s.name == "a") a = s.job.id;
  std::vector<Completion> batch;
  for (const auto& j : claimed) {
    Completion c{j.id, j.lease_token, Outcome::succeeded, {}, "{}"};
    if (j.id == a) c.result = R"({"disk":"a.qcow2"})";
    if (j.id == plain_stale.id) c.token += 1;
    if (j.id == plain_retry.id) {
      c.outcome = Outcome::failed;
      c.error = make_error(ErrorClass::timeout, "slow");
    }
    batch.push_back(c);
  }
  auto done = f.store->job_complete(batch, 50);
  REQUIRE_MESSAGE(done.ok(), (done.ok() ? "" : done.error().message));
  for (std::size_t i = 0; i < batch.size(); ++i) {
    CHECK((*done)[i].id == batch[i].id);
    CHECK((*done)[i].applied == (batch[i].id != plain_stale.id));
  }
  CHECK(f.store->job_get(a)->status == JobStatus::succeeded);
  CHECK(f.store->job_get(plain_ok.id)->status == JobStatus::succeeded);
  CHECK(f.store->job_get(plain_stale.id)->status == JobStatus::running);
  CHECK(f.store->job_get(plain_retry.id)->status == JobStatus::retrying);
  // b was decided in the completion's transaction: queued with a's result as its input.
  auto w = f.store->workflow_get(wf.id).value();
  for (const auto& s : w.steps) {
    if (s.name != "b") continue;
    CHECK(s.job.status == JobStatus::queued);
    CHECK(json::parse(s.job.spec.payload)["inputs"]["a"]["disk"] == "a.qcow2");
  }
}

TEST_CASE("a batch naming a job twice applies its first entry only") {
  test::ConformanceFixture f;
  auto one = f.store->job_enqueue(plain(), 1).value();
  auto two = f.store->job_enqueue(plain(), 1).value();
  auto claimed = f.store->job_claim(10, 10, milliseconds(60000), "w1").value();
  REQUIRE(claimed.size() == 2);
  std::map<JobId, std::int64_t> token;
  for (const auto& j : claimed) token[j.id] = j.lease_token;
  auto done =
      f.store
          ->job_complete(
              {{one.id, token[one.id], Outcome::failed, {ErrorClass::transient, "first"}, ""},
               {two.id, token[two.id], Outcome::succeeded, {}, R"({"n":1})"},
               {one.id, token[one.id], Outcome::succeeded, {}, "{}"},
               {two.id, token[two.id], Outcome::succeeded, {}, R"({"n":2})"}},
              50)
          .value();
  REQUIRE(done.size() == 4);
  CHECK(done[0].applied);
  CHECK(done[0].status == JobStatus::retrying);
  CHECK(done[1].applied);
  CHECK_FALSE(done[2].applied);
  CHECK_FALSE(done[3].applied);
  CHECK(f.store->job_get(one.id)->status == JobStatus::retrying);
  CHECK(f.store->job_get(two.id)->result == R"({"n":1})");
}

TEST_CASE("complete_and_claim: outcomes and the next claim in one call, steps included") {
  test::ConformanceFixture f;
  WorkflowSubmit req;
  req.spec.name = "chain";
  req.spec.steps = {test::step("a"), test::step("b", {"a"})};
  auto wf = f.store->workflow_submit(req, 1).value();
  JobId b = 0;
  for (const auto& s : wf.steps)
    if (s.name == "b") b = s.job.id;
  JobSpec urgent = plain();
  urgent.priority = 5;
  auto first = f.store->job_enqueue(plain(), 2).value();
  auto claimed = f.store->job_claim(2, 10, milliseconds(60000), "w1").value();
  REQUIRE(claimed.size() == 2);  // a and `first`
  auto later = f.store->job_enqueue(plain(), 3).value();
  auto high = f.store->job_enqueue(urgent, 4).value();

  SUBCASE("a plain batch: the claim follows the queue's priority order") {
    std::vector<Completion> batch;
    for (const auto& j : claimed)
      if (j.id == first.id) batch.push_back({j.id, j.lease_token, Outcome::succeeded, {}, "{}"});
    auto r = f.store->job_complete_and_claim(batch, 20, 2, milliseconds(60000), "w1");
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    REQUIRE(r->results.size() == 1);
    CHECK(r->results[0].applied);
    REQUIRE(r->claimed.size() == 2);
    CHECK(r->claimed[0].id == high.id);
    CHECK(r->claimed[1].id == later.id);
    CHECK(f.store->job_get(later.id)->status == JobStatus::running);
    CHECK(f.store->job_get(first.id)->status == JobStatus::succeeded);
  }
  SUBCASE("a step's completion claims the step it made ready") {
    std::vector<Completion> batch;
    for (const auto& j : claimed)
      if (j.id != first.id) batch.push_back({j.id, j.lease_token, Outcome::succeeded, {}, "{}"});
    auto r = f.store->job_complete_and_claim(batch, 20, 1, milliseconds(60000), "w1");
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    CHECK(r->results.at(0).applied);
    REQUIRE(r->claimed.size() == 1);
    CHECK(r->claimed[0].id == high.id);  // priority first; b is queued behind it
    CHECK(f.store->job_get(b)->status == JobStatus::queued);
  }
  SUBCASE("a stale batch or no free slot claims nothing") {
    std::vector<Completion> stale;
    for (const auto& j : claimed)
      stale.push_back({j.id, j.lease_token + 1, Outcome::succeeded, {}, ""});
    auto r = f.store->job_complete_and_claim(stale, 20, 5, milliseconds(60000), "w1").value();
    CHECK_FALSE(r.results[0].applied);
    CHECK_FALSE(r.results[1].applied);
    CHECK(r.claimed.empty());
    std::vector<Completion> fresh;
    for (const auto& j : claimed)
      fresh.push_back({j.id, j.lease_token, Outcome::succeeded, {}, ""});
    auto none = f.store->job_complete_and_claim(fresh, 21, 0, milliseconds(60000), "w1").value();
    CHECK(none.results[0].applied);
    CHECK(none.claimed.empty());
    CHECK(f.store->job_get(later.id)->status == JobStatus::queued);
  }
}
