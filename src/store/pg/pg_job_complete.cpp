// Completions on the PostgreSQL store: job_complete and job_complete_and_claim.
//
// A batch of plain jobs completes READ COMMITTED: each write is fenced by its row (id, token,
// status) and touches nothing else, and SERIALIZABLE made completions of neighbouring jobs
// fail each other on shared index pages (false positives that ran out of retries with six
// workers on two nodes). A batch with a workflow step runs SERIALIZABLE, as the advance reads
// and writes the step's siblings: the READ COMMITTED transaction looks first and, finding a
// step, rolls back for a SERIALIZABLE one (steps keep their workflow for life, so what it saw
// holds).
//
// Round trips: the successes of a batch are one UPDATE over unnest(ids, tokens, results), its
// events one read and one INSERT, whatever its size; each failure reads its row and writes its
// decision (the retry policy needs the row). A batch that names a job twice applies the later
// entries one by one after the others, in batch order, so the first entry wins as before.
#include <algorithm>
#include <map>

#include "store/pg/pg_arrays.h"
#include "store/pg/pg_event_row.h"
#include "store/pg/pg_job_complete.h"
#include "store/pg/pg_job_row.h"
#include "store/pg/pg_store.h"
#include "store/pg/pg_workflow_advance.h"

namespace hypersdk::store::pg {

using detail::append_error;
using detail::retry_time;
using detail::RetryTime;
using detail::window_from_json;

namespace {

constexpr const char* kSucceed =
    "UPDATE jobs SET status = 'succeeded', finished_at = $1::bigint, result = $2,"
    " lease_owner = NULL, lease_until = NULL, error_class = NULL, error_message = NULL"
    " WHERE id = $3::bigint AND lease_token = $4::bigint AND status = 'running'"
    " RETURNING type, coalesce(started_at, $1::bigint)";
// kSucceed for many jobs in one statement: the rows still running under their token succeed.
constexpr const char* kSucceedMany =
    "UPDATE jobs SET status = 'succeeded', finished_at = $1::bigint, result = d.result,"
    " lease_owner = NULL, lease_until = NULL, error_class = NULL, error_message = NULL"
    " FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS d(id, token, result)"
    " WHERE jobs.id = d.id AND jobs.lease_token = d.token AND jobs.status = 'running'"
    " RETURNING jobs.id, jobs.type, coalesce(jobs.started_at, $1::bigint)";
// FOR UPDATE: under READ COMMITTED the row stays as read until the retry decision is written.
constexpr const char* kRunning =
    "SELECT type, attempt, max_retries, retry_policy, errors, coalesce(started_at, $1::bigint),"
    " window_policy FROM jobs"
    " WHERE id = $2::bigint AND lease_token = $3::bigint AND status = 'running' FOR UPDATE";
constexpr const char* kAnyStep =
    "SELECT EXISTS (SELECT 1 FROM jobs WHERE id = ANY($1::bigint[]) AND workflow_id IS NOT NULL)";
constexpr const char* kFinishFailed =
    "UPDATE jobs SET status = $1, finished_at = $2::bigint, lease_owner = NULL,"
    " lease_until = NULL, error_class = $3, error_message = $4, errors = $5"
    " WHERE id = $6::bigint";
constexpr const char* kScheduleRetry =
    "UPDATE jobs SET status = 'retrying', run_at = $1::bigint, lease_owner = NULL,"
    " lease_until = NULL, error_class = $2, error_message = $3, errors = $4"
    " WHERE id = $5::bigint";
constexpr const char* kScheduleRetryInWindow =
    "UPDATE jobs SET status = 'waiting', waiting_for = 'window', run_at = $1::bigint,"
    " lease_owner = NULL, lease_until = NULL, error_class = $2, error_message = $3,"
    " errors = $4 WHERE id = $5::bigint";
constexpr const char* kInsertDeadLetter =
    "INSERT INTO dead_letters (job_id, reason, error_class, error_message, created_at)"
    " VALUES ($1::bigint, $2, $3, $4, $5::bigint) ON CONFLICT (job_id) DO UPDATE SET"
    " reason = excluded.reason, error_class = excluded.error_class,"
    " error_message = excluded.error_message, created_at = excluded.created_at";

Param i64(std::int64_t v) {
  return p(v);
}

// Applies one failed or cancelled attempt inside the caller's transaction.
CompletionResult apply_failure(Tx& tx, const Completion& done, TimeMs now) {
  CompletionResult r;
  r.id = done.id;
  auto q = tx.exec(kRunning, {i64(now), i64(done.id), i64(done.token)});
  if (q.empty()) return r;  // stale token: the lease was lost
  r.applied = true;
  r.type = q.text(0, 0);
  const int attempt = static_cast<int>(q.i64(0, 1));
  const auto policy = detail::retry_policy_from_json(q.text(0, 3), static_cast<int>(q.i64(0, 2)));
  const std::string history = append_error(q.text(0, 4), attempt, now, done.error);
  r.duration_ms = now - q.i64(0, 5);
  const std::string cls(to_string(done.error.cls));
  const auto window = q.null(0, 6) ? std::nullopt : window_from_json(q.text(0, 6));

  if (done.outcome == Outcome::cancelled || done.error.cls == ErrorClass::cancelled) {
    tx.exec(kFinishFailed, {p("cancelled"), i64(now), p("cancelled"), p(done.error.message),
                            p(history), i64(done.id)});
    r.status = JobStatus::cancelled;
    return r;
  }
  const auto decision = core::decide_failure(policy, attempt, done.error.cls, done.id);
  if (decision.retry) {
    r.status = JobStatus::retrying;
    const RetryTime when = retry_time(window, now + decision.delay.count());
    r.retry_at = when.at;
    const bool waits = when.waits_for_window;
    tx.exec(waits ? kScheduleRetryInWindow : kScheduleRetry,
            {i64(*r.retry_at), p(cls), p(done.error.message), p(history), i64(done.id)});
    return r;
  }
  r.status = JobStatus::failed;
  r.retries_exhausted = decision.retries_exhausted;
  tx.exec(kFinishFailed,
          {p("failed"), i64(now), p(cls), p(done.error.message), p(history), i64(done.id)});
  tx.exec(kInsertDeadLetter,
          {i64(done.id), p(decision.retries_exhausted ? "retries_exhausted" : "not_retryable"),
           p(cls), p(done.error.message), i64(now)});
  return r;
}

// Whether a job of the batch is a workflow step (then the batch runs SERIALIZABLE).
bool any_step(Tx& tx, const std::vector<Completion>& batch) {
  std::vector<std::int64_t> ids;
  for (const auto& c : batch) ids.push_back(c.id);
  return tx.exec(kAnyStep, {p(int_array(ids))}).text(0, 0) == "t";
}

CompletionResult succeed_one(Tx& tx, const Completion& done, TimeMs now) {
  CompletionResult r;
  r.id = done.id;
  auto st = tx.exec(kSucceed, {i64(now), p(done.result), i64(done.id), i64(done.token)});
  if (!st.empty()) {
    r.applied = true;
    r.status = JobStatus::succeeded;
    r.type = st.text(0, 0);
    r.duration_ms = now - st.i64(0, 1);
  }
  return r;
}

detail::JobEventFacts no_facts() {
  return {};
}

// The batch's outcomes inside the caller's transaction, in batch order into `results`; the
// workflow advance too when `has_step`.
Status complete_in(Tx& tx, const std::vector<Completion>& batch, TimeMs now, bool has_step,
                   std::vector<CompletionResult>& results) {
  results.assign(batch.size(), CompletionResult{});
  // An entry whose job an earlier entry names goes last (`repeats`); `index` finds the first.
  std::map<JobId, std::size_t> index;
  std::vector<std::size_t> repeats;
  std::vector<std::int64_t> ok_ids, ok_tokens;
  std::vector<const std::string*> ok_results;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Completion& done = batch[i];
    results[i].id = done.id;
    if (!index.emplace(done.id, i).second) {
      repeats.push_back(i);
    } else if (done.outcome != Outcome::succeeded) {
      results[i] = apply_failure(tx, done, now);
    } else {
      ok_ids.push_back(done.id);
      ok_tokens.push_back(done.token);
      ok_results.push_back(&done.result);
    }
  }
  if (ok_ids.size() == 1) {
    const std::size_t i = index.at(ok_ids[0]);
    results[i] = succeed_one(tx, batch[i], now);
  } else if (!ok_ids.empty()) {
    auto st = tx.exec(kSucceedMany, {i64(now), p(int_array(ok_ids)), p(int_array(ok_tokens)),
                                     p(text_array(ok_results))});
    for (int row = 0; row < st.size(); ++row) {
      CompletionResult& r = results[index.at(st.i64(row, 0))];
      r.applied = true;
      r.status = JobStatus::succeeded;
      r.type = st.text(row, 1);
      r.duration_ms = now - st.i64(row, 2);
    }
  }
  for (std::size_t i : repeats)
    results[i] = batch[i].outcome == Outcome::succeeded ? succeed_one(tx, batch[i], now)
                                                        : apply_failure(tx, batch[i], now);
  std::vector<PgJobEvent> events;
  for (const auto& r : results) {
    if (!r.applied) continue;
    switch (r.status) {
      case JobStatus::succeeded:
        events.push_back({.id = r.id, .kind = "job.completed", .facts = no_facts()});
        break;
      case JobStatus::cancelled:
        events.push_back({.id = r.id, .kind = "job.cancelled", .facts = no_facts()});
        break;
      case JobStatus::failed:
        events.push_back({.id = r.id,
                          .kind = "job.failed",
                          .facts = {.retries_exhausted = r.retries_exhausted}});
        break;
      default:  // retrying, or waiting for its window: the attempt failed, the job goes on
        events.push_back({.id = r.id, .kind = "job.failed", .facts = {.final = false}});
    }
  }
  pg_job_events(tx, events, now);
  if (has_step)  // workflow steps: decide dependents in this transaction
    for (const auto& r : results)
      if (r.applied && core::is_terminal(r.status))
        if (Status w = pg_workflow_on_step_finished(tx, r.id, now); !w.ok()) return w;
  return Status::Ok();
}

bool any_applied(const std::vector<CompletionResult>& results) {
  return std::any_of(results.begin(), results.end(),
                     [](const CompletionResult& r) { return r.applied; });
}

// What the READ COMMITTED attempt returns when the batch holds a step: it rolls back.
Error step_found() {
  return make_error(ErrorClass::conflict, "a workflow step in the batch: SERIALIZABLE");
}

}  // namespace

Result<std::vector<CompletionResult>> PgStore::job_complete(const std::vector<Completion>& batch,
                                                            TimeMs now) {
  std::vector<CompletionResult> results;
  if (batch.empty()) return results;
  bool has_step = false;
  Status s = db_->write(
      [&](Tx& tx) {
        if ((has_step = any_step(tx, batch))) return Status(step_found());
        return complete_in(tx, batch, now, false, results);
      },
      Isolation::read_committed);
  if (has_step)
    s = db_->write([&](Tx& tx) { return complete_in(tx, batch, now, true, results); },
                   Isolation::serializable);
  if (!s.ok()) return s.error();
  return results;
}

// Claimed after the outcomes, in the same READ COMMITTED transaction: one commit for both, and
// the successors they made ready are claimable. With a step in the batch the outcomes commit
// SERIALIZABLE first and the claim follows in a transaction of its own (as the port's default).
Result<CompleteAndClaim> PgStore::job_complete_and_claim(const std::vector<Completion>& batch,
                                                         TimeMs now, int claim_max,
                                                         std::chrono::milliseconds ttl,
                                                         const std::string& owner) {
  CompleteAndClaim out;
  if (batch.empty()) return out;
  bool has_step = false;
  Status s = db_->write(
      [&](Tx& tx) {
        out.claimed.clear();
        if ((has_step = any_step(tx, batch))) return Status(step_found());
        if (Status done = complete_in(tx, batch, now, false, out.results); !done.ok()) return done;
        if (claim_max > 0 && any_applied(out.results))
          out.claimed = pg_job_claim_in(tx, claim_max, now, ttl, owner);
        return Status::Ok();
      },
      Isolation::read_committed);
  if (!has_step) {
    if (!s.ok()) return s.error();
    return out;
  }
  s = db_->write([&](Tx& tx) { return complete_in(tx, batch, now, true, out.results); },
                 Isolation::serializable);
  if (!s.ok()) return s.error();
  if (claim_max <= 0 || !any_applied(out.results)) return out;
  // The outcomes are committed: a failing claim must not report them as unrecorded.
  if (auto claimed = job_claim(claim_max, now, ttl, owner)) out.claimed = std::move(*claimed);
  return out;
}

}  // namespace hypersdk::store::pg
