// The pool's workers: take the next leased job, start its deadline, run its handler, and
// hand the outcome to the completer.
#include <algorithm>

#include "engine/worker_pool.h"
#include "ops/log.h"
#include "store/job_start.h"

namespace hypersdk::engine {

using std::chrono::milliseconds;

namespace {
// Tries at recording a start (backing off 50 ms, 100 ms) before the jobs are left to the
// reaper, which requeues them uncounted: their attempts never started.
constexpr int kStartAttempts = 3;
}  // namespace

std::optional<WorkerPool::Running> WorkerPool::take_next_locked() {
  if (queue_.empty()) return std::nullopt;
  Running r = std::move(queue_.front());
  queue_.pop_front();
  // The timeout counts from the handler's start: time spent leased ahead is not the job's.
  if (r.job.spec.timeout_ms > 0) {
    r.deadline = clock_.steady_now() + milliseconds(r.job.spec.timeout_ms);
    replan_ = true;  // the dispatcher may be asleep for longer than the timeout
    dispatch_cv_.notify_one();
  }
  running_.insert_or_assign(r.job.id, r);
  return r;
}

void WorkerPool::erase_running_locked(const core::Job& job) {
  // Only this attempt's entry: a later attempt of the same job may have replaced it.
  if (auto it = running_.find(job.id);
      it != running_.end() && it->second.job.lease_token == job.lease_token)
    running_.erase(it);
}

void WorkerPool::worker_loop() {
  for (;;) {
    std::optional<Running> r;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] {
        return stopping_workers_ || live_workers_ > target_workers_ || !queue_.empty();
      });
      if (stopping_workers_) return;
      if (live_workers_ > target_workers_) {
        --live_workers_;
        return;
      }
      r = take_next_locked();
    }
    if (!r) continue;
    try {
      if (record_start(*r)) run_one(*r);
    } catch (const std::exception& e) {
      // Not the handler (run_one catches its throws): our own bookkeeping failed. The job is
      // abandoned: its lease lapses and the reaper requeues it.
      report_error("worker", "a worker failed around a job; the job is left to the reaper",
                   e.what());
      std::lock_guard lock(mu_);
      erase_running_locked(r->job);
      if (auto it = held_.find(r->job.id); it != held_.end() && it->second == r->job.lease_token)
        held_.erase(it);
    } catch (...) {
      report_error("worker", "a worker failed around a job; the job is left to the reaper",
                   "unknown exception");
      std::lock_guard lock(mu_);
      erase_running_locked(r->job);
      if (auto it = held_.find(r->job.id); it != held_.end() && it->second == r->job.lease_token)
        held_.erase(it);
    }
  }
}

bool WorkerPool::run_next() {
  std::optional<Running> r;
  {
    std::lock_guard lock(mu_);
    r = take_next_locked();
  }
  if (!r) return false;
  if (record_start(*r)) run_one(*r);
  return true;
}

bool WorkerPool::record_start(Running& r) {
  if (r.job.started_at) return true;  // its claim started the attempt
  std::vector<store::Lease> leases{{r.job.id, r.job.lease_token}};
  {
    std::lock_guard lock(mu_);
    // Two per worker: one write per 2 x workers starts kept the drain of 20,000 noop jobs at
    // its rate from before (bench/RESULTS.md); one per worker cost 15-25 %. A kill charges at
    // most these few recorded but not yet started.
    int more = 2 * (started_ ? target_workers_ : std::max(1, config_.workers)) - 1;
    for (const auto& q : queue_) {
      if (more <= 0) break;
      if (q.job.started_at) continue;
      leases.push_back({q.job.id, q.job.lease_token});
      --more;
    }
  }
  const core::TimeMs now = clock_.now_ms();
  Result<std::vector<core::JobId>> lost = std::vector<core::JobId>{};
  for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
    lost = store::job_start(store_, leases, now);
    if (lost.ok()) break;
    report_error("start", "recording the start of jobs leased ahead failed; retrying",
                 lost.error().to_string(), attempt);
    if (attempt < kStartAttempts) clock_.sleep_for(milliseconds(50 * attempt));
  }
  if (!lost.ok()) {
    // Not started, so not run: the lease lapses and the reaper requeues the job uncounted.
    std::lock_guard lock(mu_);
    erase_running_locked(r.job);
    if (auto it = held_.find(r.job.id); it != held_.end() && it->second == r.job.lease_token)
      held_.erase(it);
    return false;
  }
  if (!lost->empty()) lose(*lost);
  std::lock_guard lock(mu_);
  if (std::find(lost->begin(), lost->end(), r.job.id) != lost->end()) {
    erase_running_locked(r.job);
    return false;
  }
  r.job.started_at = now;
  for (auto& q : queue_)
    for (const auto& l : leases)
      if (q.job.id == l.id && q.job.lease_token == l.token && !q.job.started_at)
        q.job.started_at = now;
  if (auto it = running_.find(r.job.id);
      it != running_.end() && it->second.job.lease_token == r.job.lease_token)
    it->second.job.started_at = now;
  return true;
}

void WorkerPool::run_one(Running& r) {
  const core::Job& job = r.job;
  ops::LogScope scope({{"job.id", core::format_job_id(job.id)}, {"job.type", job.spec.type}});
  if (listener_) {
    JobEvent ev{JobEventKind::started, job.id, job.spec.type, job.attempt};
    ev.worker = job.lease_owner;
    ev.schedule_id = job.spec.schedule_id;
    listener_->on_job_event(ev);
  }

  const auto started = clock_.steady_now();
  Result<std::string> result = std::string("{}");
  Handler* handler = handlers_.find(job.spec.type);
  if (r.cancel->cancelled()) {
    result = make_error(ErrorClass::cancelled, "cancelled before it started");
  } else if (!handler) {
    result = make_error(ErrorClass::invalid,
                        "no handler for job type '" + job.spec.type +
                            "' in this server (is the job type enabled in the config?)");
  } else {
    JobContext ctx{
        job,
        *r.cancel,
        r.deadline,
        [this, id = job.id](std::string_view stream, std::string_view line) {
          append_log(id, stream, line);
        },
        [this, &job](std::uint64_t done, std::uint64_t total) { on_progress(job, done, total); },
        clock_};
    try {
      result = handler->run(ctx);
    } catch (const std::exception& e) {
      result = make_error(ErrorClass::internal, std::string("handler threw: ") + e.what());
    } catch (...) {
      result = make_error(ErrorClass::internal, "handler threw an unknown exception");
    }
  }

  const auto took_us =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_.steady_now() - started).count();
  // Exponential moving average (1/8 weight); races between workers only blur it.
  avg_run_us_.store(avg_run_us_.load() + (took_us - avg_run_us_.load()) / 8);

  output_.finish(job.id, clock_.now_ms());  // the kept tail goes out before the outcome
  store::Completion c{job.id, job.lease_token, store::Outcome::succeeded, {}, "{}"};
  const CancelReason why = r.cancel->reason();
  if (result.ok()) {
    c.result = result.value();
  } else if (why == CancelReason::shutdown || why == CancelReason::lease_lost) {
    // Shutdown: stop() hands the lease back. Lease lost: the job is someone else's now.
    std::lock_guard lock(mu_);
    erase_running_locked(job);
    return;
  } else if (why == CancelReason::operator_request) {
    c.outcome = store::Outcome::cancelled;
    c.error = {ErrorClass::cancelled, "cancelled by operator"};
  } else if (why == CancelReason::timeout) {
    c.outcome = store::Outcome::failed;
    c.error = {ErrorClass::timeout,
               "timed out after " + std::to_string(job.spec.timeout_ms / 1000) + "s"};
    std::lock_guard lock(mu_);
    if (auto it = running_.find(job.id);
        it != running_.end() && it->second.job.lease_token == job.lease_token && it->second.stalled)
      c.error.message = "stalled: no progress for " +
                        std::to_string(config_.stall_timeout.count() / 1000) + "s (at " +
                        std::to_string(it->second.done) + " of " +
                        std::to_string(it->second.total) + " bytes)";
  } else {
    c.outcome = store::Outcome::failed;
    c.error = result.error();
  }
  {
    std::lock_guard lock(mu_);
    erase_running_locked(job);
    finished_.push_back({std::move(c), job.attempt, job.spec.provider});
  }
  done_cv_.notify_one();
}

void WorkerPool::append_log(core::JobId id, std::string_view stream, std::string_view line) {
  output_.append(id, clock_.now_ms(), stream, line);
}

}  // namespace hypersdk::engine
