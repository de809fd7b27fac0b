// The pool's lifecycle: start, resize, notify, drain and stop; lease bookkeeping and error
// reporting shared by its threads.
#include "engine/worker_pool.h"

#include <algorithm>

#include "ops/log.h"

namespace hypersdk::engine {

using std::chrono::milliseconds;

namespace {
std::int64_t to_ms(SteadyTime t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}
bool power_of_two(int n) {
  return n > 0 && (n & (n - 1)) == 0;
}
}  // namespace

WorkerPool::WorkerPool(WorkerPoolConfig config, store::Store& store,
                       const HandlerRegistry& handlers, const Clock& clock, JobListener* listener,
                       ops::Metrics* metrics)
    : config_(std::move(config)),
      store_(store),
      handlers_(handlers),
      clock_(clock),
      listener_(listener),
      metrics_(metrics),
      output_(config_.output),
      wake_poll_ms_(config_.wake_poll.count()) {}

WorkerPool::~WorkerPool() {
  stop(milliseconds(0));
}

void WorkerPool::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  claiming_ = true;
  dispatcher_tick_ = to_ms(clock_.steady_now());
  dispatcher_ = std::thread([this] { dispatch_loop(); });
  completer_ = std::thread([this] { complete_loop(); });
  target_workers_ = std::max(1, config_.workers);
  add_workers_locked();
}

void WorkerPool::add_workers_locked() {
  for (; live_workers_ < target_workers_; ++live_workers_)
    workers_.emplace_back([this] { worker_loop(); });
}

void WorkerPool::resize(int workers) {
  {
    std::lock_guard lock(mu_);
    target_workers_ = std::max(1, workers);
    if (!started_ || !claiming_) return;
    add_workers_locked();
    notified_ = true;  // more slots: claim for them now
  }
  work_cv_.notify_all();  // fewer: idle extra workers leave
  dispatch_cv_.notify_one();
}

void WorkerPool::notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  dispatch_cv_.notify_one();
}

void WorkerPool::set_wake_poll(milliseconds every) {
  {
    std::lock_guard lock(mu_);
    wake_poll_ms_ = std::max<std::int64_t>(1, every.count());
    replan_ = true;  // a shorter poll takes effect now, not after the longer one
  }
  dispatch_cv_.notify_one();
}

void WorkerPool::drain() {
  std::vector<store::Lease> prefetched;
  {
    std::lock_guard lock(mu_);
    if (draining_) return;
    draining_ = true;
    for (auto& q : queue_) {
      prefetched.push_back({q.job.id, q.job.lease_token});
      held_.erase(q.job.id);
    }
    queue_.clear();
  }
  // Other nodes (or this one after its restart) run them; none was started here.
  hand_back(prefetched, "draining: handed jobs leased ahead back to the queue");
}

bool WorkerPool::draining() const {
  std::lock_guard lock(mu_);
  return draining_;
}

int WorkerPool::running() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(running_.size());
}

bool WorkerPool::healthy() const {
  std::lock_guard lock(mu_);
  if (!started_ || !claiming_) return false;
  // The dispatcher ticks at least every wake_poll; a long silence means it is stuck.
  return to_ms(clock_.steady_now()) - dispatcher_tick_.load() < 30'000;
}

std::vector<store::Lease> WorkerPool::held() const {
  std::lock_guard lock(mu_);
  std::vector<store::Lease> out;
  out.reserve(held_.size());
  for (const auto& [id, token] : held_) out.push_back({id, token});
  return out;
}

int WorkerPool::leased_ahead() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(queue_.size());
}

std::int64_t WorkerPool::errors(const std::string& component) const {
  std::lock_guard lock(errors_mu_);
  auto it = errors_.find(component);
  return it == errors_.end() ? 0 : it->second;
}

void WorkerPool::report_error(const std::string& component, const std::string& message,
                              const std::string& error, int consecutive) {
  {
    std::lock_guard lock(errors_mu_);
    ++errors_[component];
  }
  if (metrics_) metrics_->internal_errors_total(component).Increment();
  // Logged with a backoff of its own: a failure that persists is not a line every tick.
  if (power_of_two(consecutive))
    ops::log::error(message,
                    {{"error", error}, {"component", component}, {"consecutive", consecutive}});
}

void WorkerPool::hand_back(const std::vector<store::Lease>& leases, const char* what) {
  if (leases.empty()) return;
  auto released = store_.job_release_leases(leases, clock_.now_ms());
  if (!released) {
    report_error("release", "handing leases back failed; they are requeued when they expire",
                 released.error().to_string());
    return;
  }
  ops::log::info(what, {{"jobs", static_cast<std::int64_t>(*released)}});
}

void WorkerPool::stop(milliseconds grace) {
  {
    std::lock_guard lock(mu_);
    if (!started_ || !claiming_) return;
    claiming_ = false;
    draining_ = true;
  }
  dispatch_cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();

  // Jobs leased ahead have not started: hand them back now rather than start them during
  // the grace period (another server may run them at once).
  std::vector<store::Lease> prefetched;
  {
    std::lock_guard lock(mu_);
    for (auto& q : queue_) {
      prefetched.push_back({q.job.id, q.job.lease_token});
      held_.erase(q.job.id);
    }
    queue_.clear();
  }
  hand_back(prefetched, "handed jobs leased ahead back to the queue");

  // Let running jobs finish within the grace period. This thread now ticks for the
  // dispatcher (without claiming): a grace longer than the lease must not let the leases
  // lapse, and a cancel or a timeout still reaches a running job.
  const auto until = clock_.steady_now() + grace;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (running_.empty()) break;
    }
    if (clock_.steady_now() >= until) break;
    dispatch_guarded();
    clock_.sleep_for(milliseconds(20));
  }
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, r] : running_) r.cancel->cancel(CancelReason::shutdown);
    stopping_workers_ = true;
    workers.swap(workers_);
  }
  work_cv_.notify_all();
  for (auto& t : workers)
    if (t.joinable()) t.join();
  {
    std::lock_guard lock(mu_);
    stopping_completer_ = true;
  }
  done_cv_.notify_all();
  if (completer_.joinable()) completer_.join();
  // What is still held was interrupted: not an attempt, back to the queue.
  hand_back(held(), "handed unfinished jobs back to the queue");
  std::lock_guard lock(mu_);
  held_.clear();
}

}  // namespace hypersdk::engine
