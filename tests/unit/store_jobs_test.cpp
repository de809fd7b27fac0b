// Conformance tests for the store port: each runs on SQLite and, in ctest's "unit-pg: store
// conformance", on PostgreSQL (test::ConformanceFixture). Where a test also looks at SQLite's
// own tables (f.sqlite), that part runs on SQLite only.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "store_conformance.h"

using namespace hypersdk;
using namespace hypersdk::store;
using std::chrono::milliseconds;

namespace {
JobSpec spec(const std::string& type = "noop", int priority = 0) {
  JobSpec s;
  s.type = type;
  s.priority = priority;
  s.retry.base = milliseconds(1000);
  return s;
}
}  // namespace

TEST_CASE("enqueued job can be read back queued") {
  test::ConformanceFixture f;
  auto job = f.store->job_enqueue(spec(), 1000);
  REQUIRE(job.ok());
  CHECK(job->status == JobStatus::queued);
  auto got = f.store->job_get(job->id);
  REQUIRE(got.ok());
  CHECK(got->spec.type == "noop");
  CHECK(got->created_at == 1000);
  CHECK(got->spec.retry.max_retries == 3);
}

TEST_CASE("invalid spec is rejected and nothing is written") {
  test::ConformanceFixture f;
  auto s = spec("Bad Type");
  auto r = f.store->job_enqueue(s, 1);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().cls == ErrorClass::invalid);
  CHECK(f.store->job_list({}).value().empty());
}

TEST_CASE("idempotency key returns the first job") {
  test::ConformanceFixture f;
  auto s = spec();
  s.idempotency_key = "k1";
  auto a = f.store->job_enqueue(s, 1);
  auto b = f.store->job_enqueue(s, 2);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->id == b->id);
}

TEST_CASE("claim takes higher priority first, then older, and never twice") {
  test::ConformanceFixture f;
  auto low = f.store->job_enqueue(spec("noop", 0), 1).value();
  auto high = f.store->job_enqueue(spec("noop", 5), 2).value();
  auto low2 = f.store->job_enqueue(spec("noop", 0), 3).value();
  auto claimed = f.store->job_claim(2, 10, milliseconds(1000), "w1");
  REQUIRE(claimed.ok());
  REQUIRE(claimed->size() == 2);
  CHECK((*claimed)[0].id == high.id);
  CHECK((*claimed)[1].id == low.id);
  CHECK((*claimed)[0].status == JobStatus::running);
  CHECK((*claimed)[0].attempt == 1);
  auto rest = f.store->job_claim(10, 10, milliseconds(1000), "w2").value();
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].id == low2.id);
  CHECK(f.store->job_claim(10, 10, milliseconds(1000), "w3").value().empty());
}

TEST_CASE("a stale lease token cannot complete a job") {
  test::ConformanceFixture f;
  f.store->job_enqueue(spec(), 1).value();
  auto c = f.store->job_claim(1, 10, milliseconds(100), "w1").value().at(0);
  // Lease expires, the reaper requeues it and another worker claims it.
  auto rescued = f.store->job_rescue_expired(200, 3).value();
  CHECK(rescued.requeued.size() == 1);
  auto c2 = f.store->job_claim(1, 300, milliseconds(100), "w2").value().at(0);
  CHECK(c2.lease_token > c.lease_token);
  auto stale = f.store->job_complete({{c.id, c.lease_token, Outcome::succeeded, {}, "{}"}}, 310);
  CHECK_FALSE(stale.value().at(0).applied);
  auto fresh = f.store->job_complete({{c2.id, c2.lease_token, Outcome::succeeded, {}, "{}"}}, 320);
  CHECK(fresh.value().at(0).applied);
  CHECK(f.store->job_get(c.id)->status == JobStatus::succeeded);
}

TEST_CASE("transient failure retries with backoff, then dead-letters with history") {
  test::ConformanceFixture f;
  auto job = f.store->job_enqueue(spec("exec"), 0).value();
  TimeMs now = 0;
  std::vector<TimeMs> delays;
  for (int attempt = 1; attempt <= 4; ++attempt) {
    auto due = f.store->job_next_due().value();
    REQUIRE(due.has_value());
    now = std::max(now, *due);
    auto c = f.store->job_claim(1, now, milliseconds(1000), "w").value();
    REQUIRE(c.size() == 1);
    CHECK(c[0].attempt == attempt);
    auto r = f.store
                 ->job_complete({{job.id,
                                  c[0].lease_token,
                                  Outcome::failed,
                                  {ErrorClass::transient, "exit status 75"},
                                  ""}},
                                now)
                 .value()
                 .at(0);
    if (attempt < 4) {
      CHECK(r.status == JobStatus::retrying);
      delays.push_back(*r.retry_at - now);
    } else {
      CHECK(r.status == JobStatus::failed);
      CHECK(r.retries_exhausted);
    }
  }
  // Exponential with equal jitter: retry n waits within [d/2, d], d = 1s * 2^(n-1).
  REQUIRE(delays.size() == 3);
  for (int i = 0; i < 3; ++i) {
    const TimeMs d = 1000 << i;
    CHECK(delays[i] >= d / 2);
    CHECK(delays[i] <= d);
  }
  auto letters = f.store->dlq_list(10).value();
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].reason == "retries_exhausted");
  CHECK(letters[0].job.errors.size() == 4);
  CHECK(f.store->job_list({.status = JobStatus::failed}).value().size() == 1);

  auto replayed = f.store->dlq_replay(job.id, now + 1).value();
  CHECK(replayed.status == JobStatus::queued);
  CHECK(replayed.attempt == 0);
  CHECK(f.store->dlq_list(10).value().empty());
}

TEST_CASE("a non-retryable error dead-letters at once") {
  test::ConformanceFixture f;
  auto job = f.store->job_enqueue(spec(), 0).value();
  auto c = f.store->job_claim(1, 0, milliseconds(1000), "w").value().at(0);
  auto r =
      f.store
          ->job_complete(
              {{job.id, c.lease_token, Outcome::failed, {ErrorClass::invalid, "bad payload"}, ""}},
              1)
          .value()
          .at(0);
  CHECK(r.status == JobStatus::failed);
  CHECK_FALSE(r.retries_exhausted);
  CHECK(f.store->dlq_get(job.id).value().reason == "not_retryable");
}

TEST_CASE("cancel: pending at once, running by request, finished is a conflict") {
  test::ConformanceFixture f;
  auto a = f.store->job_enqueue(spec(), 0).value();
  auto b = f.store->job_enqueue(spec(), 0).value();
  auto claimed = f.store->job_claim(1, 0, milliseconds(1000), "w").value().at(0);
  auto other = claimed.id == a.id ? b : a;
  CHECK(f.store->job_cancel(other.id, 1)->status == JobStatus::cancelled);
  auto running = f.store->job_cancel(claimed.id, 1).value();
  CHECK(running.status == JobStatus::running);
  CHECK(running.cancel_requested);
  CHECK(f.store->job_cancel_requests("w").value() == std::vector<JobId>{claimed.id});
  auto again = f.store->job_cancel(other.id, 2);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().cls == ErrorClass::conflict);
  CHECK(f.store->job_cancel(999, 1).error().cls == ErrorClass::not_found);
}

TEST_CASE("lease expiring too often dead-letters the job as a poison pill") {
  test::ConformanceFixture f;
  auto job = f.store->job_enqueue(spec(), 0).value();
  TimeMs now = 0;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(f.store->job_claim(1, now, milliseconds(10), "w").value().size() == 1);
    now += 100;
    f.store->job_rescue_expired(now, 3).value();
  }
  auto got = f.store->job_get(job.id).value();
  CHECK(got.status == JobStatus::failed);
  CHECK(f.store->dlq_get(job.id).value().reason == "lease_expired");
}

TEST_CASE("rescue of a dead owner and release on shutdown") {
  test::ConformanceFixture f;
  for (int i = 0; i < 3; ++i) f.store->job_enqueue(spec(), 0).value();
  f.store->job_claim(2, 0, milliseconds(60000), "dead").value();
  f.store->job_claim(1, 0, milliseconds(60000), "alive").value();
  auto owners = f.store->job_lease_owners().value();
  CHECK(std::set<std::string>(owners.begin(), owners.end()) ==
        std::set<std::string>{"dead", "alive"});
  CHECK(f.store->job_rescue_owners({"dead"}, 5, 3)->requeued.size() == 2);
  CHECK(f.store->job_release("alive", 6).value() == 1);
  auto counts = f.store->job_count_by_status().value();
  CHECK(counts["queued"] == 3);
  auto again = f.store->job_claim(3, 7, milliseconds(1000), "x").value();
  // Released jobs keep their attempt count; rescued ones count the lost attempt.
  int attempts = 0;
  for (auto& j : again) attempts += j.attempt;
  CHECK(attempts == 2 * 2 + 1);
}

TEST_CASE("logs append and read after a sequence number") {
  test::ConformanceFixture f;
  auto job = f.store->job_enqueue(spec(), 0).value();
  REQUIRE(
      f.store->job_log_append({{0, job.id, 1, "stdout", "one"}, {0, job.id, 2, "stderr", "two"}})
          .ok());
  auto all = f.store->job_log_read(job.id, 0, 100).value();
  REQUIRE(all.size() == 2);
  auto after = f.store->job_log_read(job.id, all[0].seq, 100).value();
  REQUIRE(after.size() == 1);
  CHECK(after[0].line == "two");
  CHECK(f.store->job_log_read(12345, 0, 10).error().cls == ErrorClass::not_found);
}

TEST_CASE("logs are stored in chunks, numbered per job, and read across chunk borders") {
  test::ConformanceFixture f;
  auto a = f.store->job_enqueue(spec(), 0).value();
  auto b = f.store->job_enqueue(spec(), 0).value();
  std::vector<store::LogLine> batch;
  for (int i = 0; i < 600; ++i) {
    batch.push_back({0, a.id, i, "stdout", "a" + std::to_string(i)});
    if (i % 3 == 0) batch.push_back({0, b.id, i, "stderr", "b" + std::to_string(i)});
  }
  REQUIRE(f.store->job_log_append(batch).ok());
  REQUIRE(f.store->job_log_append({{0, a.id, 700, "system", "last"}}).ok());
  auto all = f.store->job_log_read(a.id, 0, 1000).value();
  REQUIRE(all.size() == 601);
  for (int i = 0; i < 601; ++i) CHECK(all[i].seq == i + 1);
  CHECK(all[600].line == "last");
  CHECK(all[600].stream == "system");
  CHECK(all[599].ts == 599);
  // From the middle of a chunk, over the border to the next, with a limit.
  auto mid = f.store->job_log_read(a.id, 250, 10).value();
  REQUIRE(mid.size() == 10);
  CHECK(mid[0].seq == 251);
  CHECK(mid[0].line == "a250");
  CHECK(mid[9].line == "a259");
  CHECK(f.store->job_log_read(a.id, 601, 10).value().empty());
  CHECK(f.store->job_log_read(b.id, 0, 1000).value().size() == 200);
  if (!f.sqlite) return;  // the rest counts SQLite's chunk rows
  std::int64_t rows = 0;
  REQUIRE(f.sqlite->db
              ->read([&](store::Connection& c) {
                rows = c.db().execAndGet("SELECT count(*) FROM job_log_chunks").getInt64();
                return Status::Ok();
              })
              .ok());
  CHECK(rows <= 5);  // 801 lines: a chunk holds up to 256
}

TEST_CASE("list pages newest first with a cursor") {
  test::ConformanceFixture f;
  for (int i = 0; i < 5; ++i) f.store->job_enqueue(spec(i % 2 ? "exec" : "noop"), i).value();
  auto page1 = f.store->job_list({.limit = 2}).value();
  REQUIRE(page1.size() == 2);
  CHECK(page1[0].id > page1[1].id);
  auto page2 = f.store->job_list({.limit = 2, .before = page1[1].id}).value();
  CHECK(page2[0].id < page1[1].id);
  CHECK(f.store->job_list({.type = "exec"}).value().size() == 2);
}

TEST_CASE("prune removes old finished jobs but keeps dead letters") {
  test::ConformanceFixture f;
  auto ok = f.store->job_enqueue(spec(), 0).value();
  auto bad = f.store->job_enqueue(spec(), 0).value();
  for (auto& c : f.store->job_claim(2, 0, milliseconds(1000), "w").value()) {
    Outcome o = c.id == ok.id ? Outcome::succeeded : Outcome::failed;
    f.store->job_complete({{c.id, c.lease_token, o, {ErrorClass::invalid, "x"}, "{}"}}, 10).value();
  }
  CHECK(f.store->job_prune(TimeMs{100}, 1000).value() == 1);
  CHECK_FALSE(f.store->job_get(ok.id).ok());
  CHECK(f.store->job_get(bad.id).ok());
}

TEST_CASE("heartbeat renews exactly the listed leases and reports the lost ones") {
  test::ConformanceFixture f;
  auto a = f.store->job_enqueue(spec(), 0).value();
  auto b = f.store->job_enqueue(spec(), 0).value();
  auto claimed = f.store->job_claim(2, 0, milliseconds(1000), "w").value();
  REQUIRE(claimed.size() == 2);
  std::map<JobId, std::int64_t> token;
  for (const auto& j : claimed) token[j.id] = j.lease_token;
  // Only a is listed: b, held by the same owner, is not renewed and expires.
  auto lost = f.store->job_heartbeat({{a.id, token[a.id]}}, 5000).value();
  CHECK(lost.empty());
  auto rescued = f.store->job_rescue_expired(2000, 3).value();
  CHECK(rescued.requeued == std::vector<JobId>{b.id});
  CHECK(f.store->job_get(a.id)->status == JobStatus::running);
  // A stale token and a job that is no longer running are both reported lost.
  lost = f.store->job_heartbeat({{a.id, token[a.id] + 7}, {b.id, token[b.id]}}, 9000).value();
  CHECK(std::set<JobId>(lost.begin(), lost.end()) == std::set<JobId>{a.id, b.id});
  // a's lease is still the one renewed to 5000, not 9000.
  CHECK(f.store->job_rescue_expired(4000, 3)->requeued.empty());
  CHECK(f.store->job_rescue_expired(6000, 3)->requeued == std::vector<JobId>{a.id});
}

TEST_CASE("a rescue honours a pending cancel: the job ends cancelled, not rerun") {
  test::ConformanceFixture f;
  auto a = f.store->job_enqueue(spec(), 0).value();
  auto b = f.store->job_enqueue(spec(), 0).value();
  f.store->job_claim(2, 0, milliseconds(60000), "dead").value();
  REQUIRE(f.store->job_cancel(a.id, 1)->cancel_requested);
  auto r = f.store->job_rescue_owners({"dead"}, 5, 3).value();
  CHECK(r.cancelled == std::vector<JobId>{a.id});
  CHECK(r.requeued == std::vector<JobId>{b.id});
  auto got = f.store->job_get(a.id).value();
  CHECK(got.status == JobStatus::cancelled);
  CHECK_FALSE(got.cancel_requested);
  REQUIRE(got.last_error);
  CHECK(got.last_error->cls == ErrorClass::cancelled);
  // Nothing left to claim but b.
  auto again = f.store->job_claim(5, 6, milliseconds(1000), "x").value();
  REQUIRE(again.size() == 1);
  CHECK(again[0].id == b.id);

  // The same through an expired lease.
  auto c = f.store->job_enqueue(spec(), 10).value();
  f.store->job_claim(1, 10, milliseconds(10), "w").value();
  f.store->job_cancel(c.id, 11).value();
  CHECK(f.store->job_rescue_expired(100, 3)->cancelled == std::vector<JobId>{c.id});
  CHECK(f.store->job_get(c.id)->status == JobStatus::cancelled);
}

TEST_CASE("release of given leases hands them back uncounted, a pending cancel ends them") {
  test::ConformanceFixture f;
  auto a = f.store->job_enqueue(spec(), 0).value();
  auto b = f.store->job_enqueue(spec(), 0).value();
  auto c = f.store->job_enqueue(spec(), 0).value();
  auto claimed = f.store->job_claim(3, 0, milliseconds(60000), "w").value();
  std::map<JobId, std::int64_t> token;
  for (const auto& j : claimed) token[j.id] = j.lease_token;
  f.store->job_cancel(b.id, 1).value();
  // c is not listed, and a stale token releases nothing.
  CHECK(f.store->job_release_leases({{a.id, token[a.id]}, {b.id, token[b.id]}}, 2).value() == 2);
  CHECK(f.store->job_release_leases({{c.id, token[c.id] - 1}}, 2).value() == 0);
  auto ga = f.store->job_get(a.id).value();
  CHECK(ga.status == JobStatus::queued);
  CHECK(ga.attempt == 0);
  CHECK(f.store->job_get(b.id)->status == JobStatus::cancelled);
  CHECK(f.store->job_get(c.id)->status == JobStatus::running);
}

TEST_CASE("prune without an age or a count bound deletes nothing (retention 0 = keep)") {
  test::ConformanceFixture f;
  for (int i = 0; i < 3; ++i) f.store->job_enqueue(spec(), 0).value();
  for (auto& c : f.store->job_claim(3, 0, milliseconds(1000), "w").value())
    f.store->job_complete({{c.id, c.lease_token, Outcome::succeeded, {}, "{}"}}, 10).value();
  CHECK(f.store->job_prune(std::nullopt, std::nullopt).value() == 0);
  CHECK(f.store->job_prune(TimeMs{1'000'000}, std::nullopt).value() == 3);
}

TEST_CASE("prune by count alone keeps the newest finished jobs") {
  test::ConformanceFixture f;
  for (int i = 0; i < 3; ++i) f.store->job_enqueue(spec(), 0).value();
  TimeMs t = 10;
  for (auto& c : f.store->job_claim(3, 0, milliseconds(1000), "w").value())
    f.store->job_complete({{c.id, c.lease_token, Outcome::succeeded, {}, "{}"}}, t++).value();
  CHECK(f.store->job_prune(std::nullopt, 2).value() == 1);
  CHECK(f.store->job_list({}).value().size() == 2);
}
