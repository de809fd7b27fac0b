// The pool's progress reports: handlers report bytes done of total through
// JobContext::progress; the dispatcher writes the latest of each job to the store at most
// every progress_interval, and stops a job whose progress stood still for stall_timeout.
#include "engine/worker_pool.h"
#include "ops/log.h"

namespace hypersdk::engine {

void WorkerPool::on_progress(const core::Job& job, std::uint64_t done, std::uint64_t total) {
  std::lock_guard lock(mu_);
  auto it = running_.find(job.id);
  // Only this attempt's entry: a later attempt of the same job may have replaced it.
  if (it == running_.end() || it->second.job.lease_token != job.lease_token) return;
  Running& r = it->second;
  const auto d = static_cast<std::int64_t>(done);
  if (!r.progress_moved || d != r.done) r.progress_moved = clock_.steady_now();
  r.done = d;
  r.total = static_cast<std::int64_t>(total);
  if (!r.progress_dirty) {
    // A flush (and a stall check) falls due: the dispatcher may be asleep for longer.
    replan_ = true;
    dispatch_cv_.notify_one();
  }
  r.progress_dirty = true;
}

void WorkerPool::check_stalls_locked(SteadyTime now) {
  if (config_.stall_timeout.count() <= 0) return;
  for (auto& [id, r] : running_) {
    if (!r.progress_moved || r.stalled || now - *r.progress_moved < config_.stall_timeout) continue;
    r.stalled = true;
    ops::log::warn(
        "job stalled: no progress; stopping it as a timeout",
        {{"job.id", core::format_job_id(id)},
         {"done_bytes", r.done},
         {"stall_timeout_ms", static_cast<std::int64_t>(config_.stall_timeout.count())}});
    r.cancel->cancel(CancelReason::timeout);
  }
}

void WorkerPool::flush_progress(DispatchState& d) {
  d.next_progress_flush = clock_.steady_now() + config_.progress_interval;
  std::vector<store::ProgressReport> reports;
  {
    std::lock_guard lock(mu_);
    const core::TimeMs now = clock_.now_ms();
    for (auto& [id, r] : running_) {
      if (!r.progress_dirty) continue;
      r.progress_dirty = false;
      reports.push_back({id, r.job.lease_token, r.job.attempt, r.done, r.total, now});
    }
  }
  if (reports.empty()) return;
  // A failed write loses nothing that matters: the next report carries the newer numbers.
  if (Status s = store_.job_progress_record(reports); !s.ok())
    report_error("progress", "recording job progress failed", s.error().to_string());
}

}  // namespace hypersdk::engine
