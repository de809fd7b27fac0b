#include "engine/worker_pool.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "ops/log.h"

namespace hypersdk::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kFlushAttempts = 20;
constexpr std::int64_t kPrefetchBelowUs = 20'000;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

// Field 22 of /proc/PID/stat: the process start time in clock ticks since boot. Together with
// the pid it names one process even after the pid is reused.
std::string process_start_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return field;
  }
  return "";
}

}  // namespace

std::string make_owner_id() {
  const pid_t pid = getpid();
  return host_name() + ":" + std::to_string(pid) + ":" + process_start_time(pid);
}

Result<int> rescue_dead_owners(store::Store& store, const Clock& clock, int max_expiries) {
  auto owners = store.job_lease_owners();
  if (!owners) return owners.error();
  const std::string host = host_name();
  std::vector<std::string> dead;
  for (const auto& owner : *owners) {
    auto first = owner.find(':');
    auto second = owner.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    if (owner.substr(0, first) != host) continue;  // another machine's lease: let it expire
    const pid_t pid =
        static_cast<pid_t>(std::atol(owner.substr(first + 1, second - first - 1).c_str()));
    const std::string start = owner.substr(second + 1);
    if (pid <= 0) continue;
    if (process_start_time(pid) != start) dead.push_back(owner);
  }
  if (dead.empty()) return 0;
  auto r = store.job_rescue_owners(dead, clock.now_ms(), max_expiries);
  if (!r) return r.error();
  return static_cast<int>(r->requeued.size() + r->dead_lettered.size());
}

WorkerPool::WorkerPool(WorkerPoolConfig config, store::Store& store,
                       const HandlerRegistry& handlers, const Clock& clock, JobListener* listener)
    : config_(std::move(config)),
      store_(store),
      handlers_(handlers),
      clock_(clock),
      listener_(listener),
      output_(config_.output) {}

WorkerPool::~WorkerPool() {
  stop(milliseconds(0));
}

void WorkerPool::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  claiming_ = true;
  dispatcher_tick_ = steady_ms();
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

int WorkerPool::running() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(running_.size());
}

bool WorkerPool::healthy() const {
  std::lock_guard lock(mu_);
  if (!started_ || !claiming_) return false;
  // The dispatcher ticks at least every wake_poll; a long silence means it is stuck.
  return steady_ms() - dispatcher_tick_.load() < 30'000;
}

void WorkerPool::dispatch_loop() {
  std::int64_t last_version = store_.data_version();
  std::int64_t next_heartbeat = steady_ms() + config_.lease_ttl.count() / 3;
  std::optional<core::TimeMs> next_due;
  bool want_claim = true;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      dispatch_cv_.wait_for(lock, config_.wake_poll, [&] { return notified_ || !claiming_; });
      if (!claiming_) return;
      if (notified_) want_claim = true;
      notified_ = false;
    }
    dispatcher_tick_ = steady_ms();
    const std::int64_t version = store_.data_version();
    const bool changed = version != last_version;
    last_version = version;
    if (changed) want_claim = true;
    if (next_due && clock_.now_ms() >= *next_due) want_claim = true;
    while (want_claim) {
      int free_slots = 0;
      {
        std::lock_guard lock(mu_);
        // Short jobs: lease a batch ahead so workers never wait for a claim round trip.
        // Long jobs: lease only what can start now, so "running" means running.
        const bool prefetch = avg_run_us_.load() < kPrefetchBelowUs;
        free_slots = target_workers_ + (prefetch ? config_.claim_batch : 0) - inflight_;
      }
      if (free_slots <= 0) break;  // a completion will notify us
      const int asked = std::min(free_slots, config_.claim_batch);
      auto claimed = store_.job_claim(asked, clock_.now_ms(), config_.lease_ttl, config_.owner);
      if (!claimed) {
        ops::log::warn("claiming jobs failed; will retry",
                       {{"error", claimed.error().to_string()}});
        break;
      }
      const int got = static_cast<int>(claimed->size());
      {
        std::lock_guard lock(mu_);
        for (auto& job : *claimed) {
          ++inflight_;
          Running r{std::move(job), std::make_shared<CancelToken>(),
                    steady_clock::time_point::max()};
          if (r.job.spec.timeout_ms > 0)
            r.deadline = steady_clock::now() + milliseconds(r.job.spec.timeout_ms);
          queue_.push_back(std::move(r));
        }
      }
      if (got > 0) work_cv_.notify_all();
      if (got < asked) {
        want_claim = false;
        auto due = store_.job_next_due();
        next_due = due ? *due : std::nullopt;
      }
    }
    if (changed)
      check_cancels_and_deadlines();
    else {
      std::lock_guard lock(mu_);
      const auto now = steady_clock::now();
      for (auto& [id, r] : running_)
        if (now >= r.deadline) r.cancel->cancel(CancelReason::timeout);
    }
    if (steady_ms() >= next_heartbeat) {
      next_heartbeat = steady_ms() + config_.lease_ttl.count() / 3;
      bool any = false;
      {
        std::lock_guard lock(mu_);
        any = inflight_ > 0;
      }
      if (any) {
        Status s = store_.job_heartbeat(config_.owner, clock_.now_ms() + config_.lease_ttl.count());
        if (!s.ok()) ops::log::warn("lease heartbeat failed", {{"error", s.error().to_string()}});
      }
    }
  }
}

void WorkerPool::check_cancels_and_deadlines() {
  {
    std::lock_guard lock(mu_);
    if (running_.empty() && queue_.empty()) return;
  }
  auto ids = store_.job_cancel_requests(config_.owner);
  std::lock_guard lock(mu_);
  const auto now = steady_clock::now();
  for (auto& [id, r] : running_)
    if (now >= r.deadline) r.cancel->cancel(CancelReason::timeout);
  if (!ids) return;
  for (core::JobId id : *ids) {
    if (auto it = running_.find(id); it != running_.end())
      it->second.cancel->cancel(CancelReason::operator_request);
    for (auto& q : queue_)
      if (q.job.id == id) q.cancel->cancel(CancelReason::operator_request);
  }
}

void WorkerPool::worker_loop() {
  for (;;) {
    Running r;
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
      r = std::move(queue_.front());
      queue_.pop_front();
      running_.emplace(r.job.id, r);
    }
    run_one(r);
  }
}

void WorkerPool::run_one(Running& r) {
  const core::Job& job = r.job;
  ops::LogScope scope({{"job.id", core::format_job_id(job.id)}, {"job.type", job.spec.type}});
  if (listener_)
    listener_->on_job_event({JobEventKind::started, job.id, job.spec.type, job.attempt});

  const auto started = steady_clock::now();
  Result<std::string> result = std::string("{}");
  Handler* handler = handlers_.find(job.spec.type);
  if (r.cancel->cancelled()) {
    result = make_error(ErrorClass::cancelled, "cancelled before it started");
  } else if (!handler) {
    result = make_error(ErrorClass::invalid,
                        "no handler for job type '" + job.spec.type +
                            "' in this server (is the job type enabled in the config?)");
  } else {
    JobContext ctx{job, *r.cancel, r.deadline,
                   [this, id = job.id](std::string_view stream, std::string_view line) {
                     append_log(id, stream, line);
                   }};
    try {
      result = handler->run(ctx);
    } catch (const std::exception& e) {
      result = make_error(ErrorClass::internal, std::string("handler threw: ") + e.what());
    } catch (...) {
      result = make_error(ErrorClass::internal, "handler threw an unknown exception");
    }
  }

  const auto took_us =
      std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - started).count();
  // Exponential moving average (1/8 weight); races between workers only blur it.
  avg_run_us_.store(avg_run_us_.load() + (took_us - avg_run_us_.load()) / 8);

  output_.finish(job.id, clock_.now_ms());  // the kept tail goes out before the outcome
  store::Completion c{job.id, job.lease_token, store::Outcome::succeeded, {}, "{}"};
  const CancelReason why = r.cancel->reason();
  if (result.ok()) {
    c.result = result.value();
  } else if (why == CancelReason::shutdown) {
    // Interrupted by our own shutdown: the lease goes back to the queue in stop().
    std::lock_guard lock(mu_);
    running_.erase(job.id);
    --inflight_;
    return;
  } else if (why == CancelReason::operator_request) {
    c.outcome = store::Outcome::cancelled;
    c.error = {ErrorClass::cancelled, "cancelled by operator"};
  } else if (why == CancelReason::timeout) {
    c.outcome = store::Outcome::failed;
    c.error = {ErrorClass::timeout,
               "timed out after " + std::to_string(job.spec.timeout_ms / 1000) + "s"};
  } else {
    c.outcome = store::Outcome::failed;
    c.error = result.error();
  }
  {
    std::lock_guard lock(mu_);
    running_.erase(job.id);
    finished_.push_back({std::move(c), job.attempt, job.spec.provider});
  }
  done_cv_.notify_one();
}

void WorkerPool::append_log(core::JobId id, std::string_view stream, std::string_view line) {
  output_.append(id, clock_.now_ms(), stream, line);
}

void WorkerPool::complete_loop() {
  for (;;) {
    std::vector<Finished> done;
    std::vector<store::LogLine> logs;
    bool stop = false;
    {
      std::unique_lock lock(mu_);
      done_cv_.wait_for(lock, milliseconds(100),
                        [&] { return stopping_completer_ || !finished_.empty(); });
      done.swap(finished_);
      // Taken after `done`: a finished job's last lines were queued before it was.
      logs = output_.take();
      stop = stopping_completer_ && done.empty() && logs.empty();
    }
    if (!done.empty() || !logs.empty()) flush(done, logs);
    if (stop) return;
  }
}

void WorkerPool::flush(std::vector<Finished>& done, std::vector<store::LogLine>& logs) {
  // Logs first, so a finished job's log is complete when its status says so.
  for (int attempt = 1; !logs.empty(); ++attempt) {
    Status s = store_.job_log_append(logs);
    if (s.ok()) break;
    ops::log::warn("writing job logs failed", {{"error", s.error().to_string()}});
    if (attempt == kFlushAttempts) {
      output_.lost(logs);  // counted; the next lines get their chance
      break;
    }
    std::this_thread::sleep_for(milliseconds(50 * attempt));
  }
  if (done.empty()) return;
  std::vector<store::Completion> batch;
  batch.reserve(done.size());
  for (auto& f : done) batch.push_back(f.completion);
  std::vector<store::CompletionResult> results;
  for (int attempt = 1; attempt <= kFlushAttempts; ++attempt) {
    auto r = store_.job_complete(batch, clock_.now_ms());
    if (r.ok()) {
      results = std::move(r.value());
      break;
    }
    // The leases stay ours until they expire, so a later attempt still applies; past that
    // the reaper requeues the jobs and they run again (at-least-once).
    ops::log::error(
        "recording job outcomes failed",
        {{"error", r.error().to_string()}, {"jobs", static_cast<std::int64_t>(batch.size())}});
    std::this_thread::sleep_for(milliseconds(50 * attempt));
  }
  {
    std::lock_guard lock(mu_);
    inflight_ -= static_cast<int>(done.size());
  }
  notify();
  for (std::size_t i = 0; i < results.size(); ++i) {
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
    e.provider = done[i].provider;
    if (listener_) listener_->on_job_event(e);
  }
}

void WorkerPool::stop(milliseconds grace) {
  {
    std::lock_guard lock(mu_);
    if (!started_ || !claiming_) return;
    claiming_ = false;
  }
  dispatch_cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();

  // Let running jobs finish within the grace period.
  const auto until = steady_clock::now() + grace;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (running_.empty() && queue_.empty()) break;
    }
    if (steady_clock::now() >= until) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  std::size_t interrupted = 0;
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    interrupted = running_.size() + queue_.size();
    for (auto& [id, r] : running_) r.cancel->cancel(CancelReason::shutdown);
    inflight_ -= static_cast<int>(queue_.size());
    queue_.clear();
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
  auto released = store_.job_release(config_.owner, clock_.now_ms());
  if (!released)
    ops::log::error("handing leases back failed; they are requeued when they expire",
                    {{"error", released.error().to_string()}});
  else if (*released > 0 || interrupted > 0)
    ops::log::info("handed unfinished jobs back to the queue",
                   {{"jobs", static_cast<std::int64_t>(*released)}});
}

}  // namespace hypersdk::engine
