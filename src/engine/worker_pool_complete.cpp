// The pool's completer: records finished jobs' logs, then their outcomes, in batched
// transactions with retries; releases their leases; reports the job events.
#include <algorithm>

#include "engine/worker_pool.h"
#include "ops/log.h"

namespace hypersdk::engine {

using std::chrono::milliseconds;

void WorkerPool::complete_loop() {
  for (;;) {
    bool stop = false;
    try {
      complete_once();
      std::unique_lock lock(mu_);
      if (stopping_completer_ && finished_.empty() && output_.buffered_bytes() == 0) return;
      done_cv_.wait_for(lock, milliseconds(100),
                        [&] { return stopping_completer_ || !finished_.empty(); });
      stop = stopping_completer_ && finished_.empty() && output_.buffered_bytes() == 0;
    } catch (const std::exception& e) {
      report_error("completer", "recording outcomes failed unexpectedly; retrying", e.what());
      clock_.sleep_for(milliseconds(1000));
    } catch (...) {
      report_error("completer", "recording outcomes failed unexpectedly; retrying",
                   "unknown exception");
      clock_.sleep_for(milliseconds(1000));
    }
    if (stop) return;
  }
}

void WorkerPool::complete_once() {
  std::vector<Finished> done;
  std::vector<store::LogLine> logs;
  {
    std::lock_guard lock(mu_);
    done.swap(finished_);
    // Taken after `done`: a finished job's last lines were queued before it was.
    logs = output_.take();
  }
  if (!done.empty() || !logs.empty()) flush(done, logs);
}

void WorkerPool::flush(std::vector<Finished>& done, std::vector<store::LogLine>& logs) {
  const int attempts = std::max(1, config_.complete_attempts);
  // Logs first, so a finished job's log is complete when its status says so.
  for (int attempt = 1; !logs.empty(); ++attempt) {
    Status s = store_.job_log_append(logs);
    if (s.ok()) break;
    if (attempt >= attempts) {
      report_error("job_log", "writing job logs failed; these lines are dropped",
                   s.error().to_string() + " (" + std::to_string(logs.size()) + " lines)");
      output_.lost(logs);  // counted; the next lines get their chance
      break;
    }
    report_error("job_log", "writing job logs failed; retrying", s.error().to_string(), attempt);
    clock_.sleep_for(milliseconds(50 * attempt));
  }
  if (done.empty()) return;
  std::vector<store::Completion> batch;
  batch.reserve(done.size());
  for (auto& f : done) batch.push_back(f.completion);
  std::vector<store::CompletionResult> results;
  std::vector<core::Job> claimed;
  std::vector<store::Lease> late;  // claimed, but stop() began meanwhile
  bool recorded = false;
  // The leases stay held (and renewed) while we retry, so a later try still applies.
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    // The slots these outcomes free are filled in the same transaction (a workflow chain's
    // next step, or other queued work), so a worker goes straight on without a claim round
    // trip; the pool's prefetch limit holds as in claim_some. None while stopping.
    int claim_max = 0;
    {
      std::lock_guard lock(mu_);
      int leaving = 0;
      for (const auto& f : done)
        if (auto it = held_.find(f.completion.id);
            it != held_.end() && it->second == f.completion.token)
          ++leaving;
      // Only what idle workers start at once: this claim starts the attempts; jobs to lease
      // ahead are the dispatcher's (job_claim_ahead), which notify() below wakes.
      if (!draining_)
        claim_max = std::min(
            {free_slots_locked(leaving), config_.claim_batch, std::max(0, start_slots_locked())});
    }
    auto r = store_.job_complete_and_claim(batch, clock_.now_ms(), claim_max, config_.lease_ttl,
                                           config_.owner);
    if (r.ok()) {
      results = std::move(r->results);
      claimed = std::move(r->claimed);
      recorded = true;
      break;
    }
    report_error("complete", "recording job outcomes failed; retrying",
                 r.error().to_string() + " (" + std::to_string(batch.size()) + " jobs)", attempt);
    if (attempt < attempts) clock_.sleep_for(milliseconds(50 * attempt));
  }
  if (!recorded) {
    // Abandon them: their leases are no longer renewed, lapse, and the reaper requeues the
    // jobs (they run again: at-least-once).
    std::string ids;
    for (const auto& f : done)
      ids += (ids.empty() ? "" : ",") + core::format_job_id(f.completion.id);
    ops::log::error(
        "gave up recording job outcomes; the jobs are requeued when their leases "
        "expire",
        {{"jobs", ids}});
  }
  {
    std::lock_guard lock(mu_);
    for (const auto& f : done)
      if (auto it = held_.find(f.completion.id);
          it != held_.end() && it->second == f.completion.token)
        held_.erase(it);
    // stop() began while we claimed: these were leased ahead and have not started, so they
    // go back to the queue like the others stop() hands back.
    if (draining_)
      for (const auto& j : claimed) late.push_back({j.id, j.lease_token});
    else
      take_claimed_locked(claimed);  // after the releases: a job retried at once keeps its id
  }
  if (!late.empty()) hand_back(late, "handed jobs leased ahead back to the queue");
  if (!claimed.empty() && late.empty()) work_cv_.notify_all();
  notify();
  report_events(done, results);
}

void WorkerPool::report_events(const std::vector<Finished>& done,
                               const std::vector<store::CompletionResult>& results) {
  for (std::size_t i = 0; i < results.size() && i < done.size(); ++i) {
    const auto& r = results[i];
    const auto& c = done[i].completion;
    if (!r.applied) {
      ops::log::warn("outcome discarded: the job's lease was lost",
                     {{"job.id", core::format_job_id(r.id)}});
      continue;
    }
    JobEvent e{JobEventKind::succeeded, r.id, r.type, done[i].attempt, r.duration_ms};
    switch (r.status) {
      case core::JobStatus::succeeded:
        break;
      case core::JobStatus::retrying:
        e.kind = JobEventKind::retrying;
        break;
      case core::JobStatus::cancelled:
        e.kind = JobEventKind::cancelled;
        break;
      default:
        e.kind = JobEventKind::failed;
        break;
    }
    if (c.outcome != store::Outcome::succeeded) e.error = c.error;
    e.retries_exhausted = r.retries_exhausted;
    e.retry_at = r.retry_at;
    e.provider = done[i].provider;
    if (listener_) listener_->on_job_event(e);
  }
}

}  // namespace hypersdk::engine
