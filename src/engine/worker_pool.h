// The worker pool: claims jobs from the store, runs their handlers on worker threads and
// reports outcomes back in batches.
//
// Threads: one dispatcher (wake-ups, claims, lease heartbeats, cancel requests, timeouts),
// `workers` workers, one completer (flushes job logs, then completions, in batched
// transactions). In-process submits wake the dispatcher through notify(); other processes'
// commits are seen by polling PRAGMA data_version every `wake_poll`.
//
// Thread safety: all public methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/clock.h"
#include "engine/events.h"
#include "engine/handler.h"
#include "engine/job_output.h"
#include "store/store.h"

namespace hypersdk::engine {

struct WorkerPoolConfig {
  int workers = 4;
  int claim_batch = 64;
  std::chrono::milliseconds lease_ttl{30'000};
  std::chrono::milliseconds wake_poll{50};
  std::string owner;    // lease owner id of this process, see make_owner_id()
  OutputLimits output;  // jobs.output.*
};

class WorkerPool {
 public:
  WorkerPool(WorkerPoolConfig config, store::Store& store, const HandlerRegistry& handlers,
             const Clock& clock, JobListener* listener);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void start();
  // Stops claiming, lets running jobs finish for up to `grace`, then interrupts the rest and
  // hands their leases back to the queue (they run again elsewhere or after a restart).
  // Idempotent; safe before start().
  void stop(std::chrono::milliseconds grace);
  // New work may be available (in-process submit, cancel, retry).
  void notify();
  // Runs `workers` (>= 1) worker threads from now on (a config reload): more start at once;
  // when fewer, the extra ones leave as they become idle, so no running job is interrupted.
  void resize(int workers);
  // Job output on its way to the store (caps, drops); for metrics and tests.
  const JobOutput& output() const { return output_; }

  int running() const;
  // False once a loop has stopped making progress (it has not ticked for a while).
  bool healthy() const;
  const std::string& owner() const { return config_.owner; }

 private:
  struct Running {
    core::Job job;
    std::shared_ptr<CancelToken> cancel;
    std::chrono::steady_clock::time_point deadline;
  };
  struct Finished {
    store::Completion completion;
    int attempt;
    std::string provider;  // for the job metrics' provider label
  };

  void dispatch_loop();
  void worker_loop();
  void complete_loop();
  void claim_some();
  void check_cancels_and_deadlines();
  void run_one(Running& r);
  void add_workers_locked();  // REQUIRES: mu_ held
  void append_log(core::JobId id, std::string_view stream, std::string_view line);
  void flush(std::vector<Finished>& done, std::vector<store::LogLine>& logs);

  const WorkerPoolConfig config_;
  store::Store& store_;
  const HandlerRegistry& handlers_;
  const Clock& clock_;
  JobListener* listener_;

  mutable std::mutex mu_;
  std::condition_variable dispatch_cv_;     // wakes the dispatcher
  std::condition_variable work_cv_;         // wakes workers
  std::condition_variable done_cv_;         // wakes the completer
  bool started_ = false;                    // GUARDED_BY(mu_)
  bool claiming_ = false;                   // GUARDED_BY(mu_)
  bool stopping_workers_ = false;           // GUARDED_BY(mu_)
  bool stopping_completer_ = false;         // GUARDED_BY(mu_)
  bool notified_ = false;                   // GUARDED_BY(mu_)
  int target_workers_ = 0;                  // GUARDED_BY(mu_)
  int live_workers_ = 0;                    // threads in worker_loop; GUARDED_BY(mu_)
  int inflight_ = 0;                        // claimed, not yet completed; GUARDED_BY(mu_)
  std::deque<Running> queue_;               // GUARDED_BY(mu_)
  std::map<core::JobId, Running> running_;  // GUARDED_BY(mu_)
  std::vector<Finished> finished_;          // GUARDED_BY(mu_)
  JobOutput output_;                        // thread-safe itself
  std::atomic<std::int64_t> dispatcher_tick_{0};
  // Average handler run time; starts high so nothing is prefetched until jobs prove short.
  std::atomic<std::int64_t> avg_run_us_{1'000'000};

  std::thread dispatcher_;
  std::thread completer_;
  std::vector<std::thread> workers_;  // GUARDED_BY(mu_); joined by stop(), those that left too
};

// "host:pid:starttime": unique per process; lets a restarted server tell that the previous
// holder of a lease on this host is dead (see rescue_dead_owners).
std::string make_owner_id();
// Requeues jobs leased by processes on this host that no longer exist. Returns how many.
Result<int> rescue_dead_owners(store::Store& store, const Clock& clock, int max_expiries);

}  // namespace hypersdk::engine
