// The pool's dispatcher: wake-ups, claims (with prefetch for short jobs), cancel requests,
// deadlines and the per-lease heartbeat.
#include <algorithm>

#include "engine/worker_pool.h"
#include "ops/log.h"

namespace hypersdk::engine {

using std::chrono::milliseconds;

namespace {

// Short jobs (on average) are leased a batch ahead so workers never wait for a claim.
constexpr std::int64_t kPrefetchBelowUs = 20'000;
// Backoff of failing claims and heartbeats: doubles from wake_poll up to this.
constexpr milliseconds kMaxRetryDelay{5'000};
// A failing tick (an exception) waits this long before the next.
constexpr milliseconds kAfterException{1'000};

milliseconds backoff(milliseconds base, int failures) {
  milliseconds d = std::max(base, milliseconds(1));
  for (int i = 1; i < failures && d < kMaxRetryDelay; ++i) d *= 2;
  return std::min(d, kMaxRetryDelay);
}

}  // namespace

void WorkerPool::dispatch_loop() {
  for (;;) {
    // A job delayed to a time (submit --at, a retry's backoff, a schedule's occurrence armed
    // ahead) is claimed at its run_at to the millisecond, not at the next poll after it.
    milliseconds wait = config_.wake_poll;
    if (dispatch_.next_due) {
      const core::TimeMs left = *dispatch_.next_due - clock_.now_ms();
      if (left > 0 && left < wait.count()) wait = milliseconds(left);
    }
    {
      std::unique_lock lock(mu_);
      dispatch_cv_.wait_for(lock, wait, [&] { return notified_ || !claiming_; });
      if (!claiming_) return;
    }
    dispatch_guarded();
  }
}

void WorkerPool::dispatch_guarded() {
  try {
    dispatch_once();
  } catch (const std::exception& e) {
    report_error("dispatcher", "the dispatcher's tick failed; retrying", e.what());
    clock_.sleep_for(kAfterException);
  } catch (...) {
    report_error("dispatcher", "the dispatcher's tick failed; retrying", "unknown exception");
    clock_.sleep_for(kAfterException);
  }
}

void WorkerPool::dispatch_once() {
  DispatchState& d = dispatch_;
  bool draining = false;
  {
    std::lock_guard lock(mu_);
    if (notified_) d.want_claim = true;
    notified_ = false;
    draining = draining_;
  }
  const SteadyTime now = clock_.steady_now();
  dispatcher_tick_ = std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count();

  // Other processes' commits (submits, cancels) show as a new data_version. When it cannot
  // be read, assume something changed: claims and cancel checks then run every tick.
  bool changed = true;
  if (auto version = store_.data_version()) {
    if (d.version_failures > 0)
      ops::log::info("reading the database's data_version works again",
                     {{"failures", d.version_failures}});
    d.version_failures = 0;
    changed = !d.last_version || *version != *d.last_version;
    d.last_version = *version;
  } else {
    ++d.version_failures;
    d.last_version.reset();
    report_error("data_version", "cannot tell whether the database changed; polling it instead",
                 version.error().to_string(), d.version_failures);
  }
  if (changed) d.want_claim = true;
  if (d.next_due && clock_.now_ms() >= *d.next_due) d.want_claim = true;
  if (d.want_claim && now >= d.claim_retry_at && !draining) claim_some(d);
  watch(changed);
  if (now >= d.next_heartbeat) heartbeat(d);
  if (now >= d.next_progress_flush) flush_progress(d);
}

int WorkerPool::free_slots_locked(int leaving) const {
  // Short jobs: lease a batch ahead so workers never wait for a claim round trip.
  // Long jobs: lease only what can start now, so "running" means running.
  const bool prefetch = avg_run_us_.load() < kPrefetchBelowUs;
  const int slots = started_ ? target_workers_ : std::max(1, config_.workers);
  return slots + (prefetch ? config_.claim_batch : 0) - (static_cast<int>(held_.size()) - leaving);
}

void WorkerPool::take_claimed_locked(std::vector<core::Job>& jobs) {
  for (auto& job : jobs) {
    // Our own earlier attempt may still be running if its lease lapsed (this process
    // stalled) and the job came back to us: that attempt no longer counts.
    if (auto it = running_.find(job.id); it != running_.end())
      it->second.cancel->cancel(CancelReason::lease_lost);
    held_[job.id] = job.lease_token;
    queue_.push_back(Running{std::move(job), std::make_shared<CancelToken>()});
  }
}

void WorkerPool::claim_some(DispatchState& d) {
  while (d.want_claim) {
    int free_slots = 0;
    {
      std::lock_guard lock(mu_);
      free_slots = free_slots_locked();
    }
    if (free_slots <= 0) return;  // a completion will notify us
    const int asked = std::min(free_slots, config_.claim_batch);
    auto claimed = store_.job_claim(asked, clock_.now_ms(), config_.lease_ttl, config_.owner);
    if (!claimed) {
      ++d.claim_failures;
      d.claim_retry_at = clock_.steady_now() + backoff(config_.wake_poll, d.claim_failures);
      report_error("claim", "claiming jobs failed; retrying with a backoff",
                   claimed.error().to_string(), d.claim_failures);
      return;
    }
    if (d.claim_failures > 0)
      ops::log::info("claiming jobs works again", {{"failures", d.claim_failures}});
    d.claim_failures = 0;
    const int got = static_cast<int>(claimed->size());
    {
      std::lock_guard lock(mu_);
      take_claimed_locked(*claimed);
    }
    if (got > 0) work_cv_.notify_all();
    if (got < asked) {
      d.want_claim = false;
      auto due = store_.job_next_due();
      d.next_due = due ? *due : std::nullopt;
    }
  }
}

void WorkerPool::watch(bool check_requests) {
  std::optional<std::vector<core::JobId>> requested;
  if (check_requests) {
    bool any = false;
    {
      std::lock_guard lock(mu_);
      any = !running_.empty() || !queue_.empty();
    }
    if (any) {
      auto ids = store_.job_cancel_requests(config_.owner);
      if (ids)
        requested = std::move(*ids);
      else
        report_error("cancel_requests", "reading cancel requests failed; retrying",
                     ids.error().to_string());
    }
  }
  std::lock_guard lock(mu_);
  const SteadyTime now = clock_.steady_now();
  for (auto& [id, r] : running_)
    if (now >= r.deadline) r.cancel->cancel(CancelReason::timeout);
  check_stalls_locked(now);
  if (!requested) return;
  for (core::JobId id : *requested) {
    if (auto it = running_.find(id); it != running_.end())
      it->second.cancel->cancel(CancelReason::operator_request);
    for (auto& q : queue_)
      if (q.job.id == id) q.cancel->cancel(CancelReason::operator_request);
  }
}

void WorkerPool::heartbeat(DispatchState& d) {
  if (Status s = renew_leases(); !s.ok()) {
    // Retry well within the lease (never later than a third of it), not a third of it later.
    ++d.heartbeat_failures;
    d.next_heartbeat =
        clock_.steady_now() +
        std::min(backoff(config_.wake_poll * 4, d.heartbeat_failures), config_.lease_ttl / 3);
    report_error("heartbeat", "renewing leases failed; retrying", s.error().to_string(),
                 d.heartbeat_failures);
    return;
  }
  d.heartbeat_failures = 0;
  d.next_heartbeat = clock_.steady_now() + config_.lease_ttl / 3;
}

Status WorkerPool::renew_leases() {
  const auto leases = held();
  if (leases.empty()) return Status::Ok();
  auto lost = store_.job_heartbeat(leases, clock_.now_ms() + config_.lease_ttl.count());
  if (!lost) return lost.error();
  if (!lost->empty()) lose(*lost);
  return Status::Ok();
}

void WorkerPool::lose(const std::vector<core::JobId>& ids) {
  std::lock_guard lock(mu_);
  for (core::JobId id : ids) {
    // A lease that is no longer ours: the job was rescued (this process stalled past its
    // lease) and may run elsewhere. Stop this attempt; its outcome would be rejected anyway.
    if (!held_.erase(id)) continue;
    ops::log::warn("lease lost; stopping this attempt", {{"job.id", core::format_job_id(id)}});
    if (auto it = running_.find(id); it != running_.end())
      it->second.cancel->cancel(CancelReason::lease_lost);
    queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                                [id](const Running& q) { return q.job.id == id; }),
                 queue_.end());
  }
}

}  // namespace hypersdk::engine
