// The worker pool: claims jobs from the store, runs their handlers on worker threads and
// reports outcomes back in batches.
//
// Threads: one dispatcher (wake-ups, claims, lease heartbeats, cancel requests, timeouts;
// worker_pool_dispatch.cpp), `workers` workers (worker_pool_run.cpp), one completer (flushes
// job logs, then completions, in batched transactions; worker_pool_complete.cpp). In-process
// submits wake the dispatcher through notify(); other processes' commits are seen by polling
// the store's data_version every `wake_poll` (on PostgreSQL, LISTEN/NOTIFY calls notify() and
// the poll slows down: set_wake_poll).
//
// Leases: the pool holds a lease (id, fencing token) from the claim until the job's outcome
// is recorded, the job is handed back, or recording it failed past its retries (then the job
// is abandoned: its lease is no longer renewed, lapses, and the reaper requeues it). The
// heartbeat renews exactly the held leases; one the store reports lost stops its handler.
// A job's timeout counts from its handler's start, not from its claim. Jobs claimed beyond
// the idle workers (leased ahead) are claimed with their attempt not started
// (store/job_start.h); a worker records the start (job_start) before the handler runs,
// so a serve killed with jobs leased ahead charges them no attempt.
//
// Time: every decision reads the injected Clock (wall time for stored timestamps, its
// monotonic time for heartbeats, deadlines and grace periods), so tests drive it by hand.
// The threads' idle polling (`wake_poll`) is real time.
//
// Errors: a failing store call, an unreadable data_version or an exception in a pool thread
// is logged (at 1, 2, 4, 8... consecutive failures), counted (errors(),
// hypersdk_internal_errors_total{component}), retried with a backoff, and never ends a thread.
//
// Thread safety: all public methods may be called from any thread; the hand-driving methods
// (dispatch_once, run_next, complete_once) only while the pool is not started.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/clock.h"
#include "engine/events.h"
#include "engine/handler.h"
#include "engine/job_output.h"
#include "engine/lease_owner.h"
#include "ops/metrics.h"
#include "store/store.h"

namespace hypersdk::engine {

struct WorkerPoolConfig {
  int workers = 4;
  int claim_batch = 64;
  std::chrono::milliseconds lease_ttl{30'000};
  std::chrono::milliseconds wake_poll{50};
  std::string owner;    // lease owner id of this process, see make_owner_id()
  OutputLimits output;  // jobs.output.*
  // Tries at recording a batch of outcomes (backing off 50 ms, 100 ms, ...) before its jobs
  // are abandoned to the lease reaper.
  int complete_attempts = 20;
  // A job that reported progress and then reported no more for this long is stopped as a
  // `timeout` (and retried per its policy); 0 = never. Jobs that never report are exempt.
  std::chrono::milliseconds stall_timeout{0};
  // Progress reports reach the store at most this often per pool (one batched write).
  std::chrono::milliseconds progress_interval{1'000};
};

class WorkerPool {
 public:
  // `metrics` may be null.
  WorkerPool(WorkerPoolConfig config, store::Store& store, const HandlerRegistry& handlers,
             const Clock& clock, JobListener* listener, ops::Metrics* metrics = nullptr);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void start();
  // Stops claiming and hands jobs leased ahead (not started) back at once; lets running
  // jobs finish for up to `grace` (their leases still renewed, cancels and timeouts still
  // applied), then interrupts the rest and hands their leases back to the queue (they run
  // again elsewhere or after a restart; the attempt is not counted).
  // Idempotent; safe before start().
  void stop(std::chrono::milliseconds grace);
  // New work may be available (in-process submit, cancel, retry, another node's commit).
  void notify();
  // How often the dispatcher polls data_version from now on (starts at wake_poll): slow while
  // a change feed (store/change_feed.h) wakes it through notify(), wake_poll again while the
  // feed is down. Deadlines, heartbeats and due jobs still wake it on time.
  void set_wake_poll(std::chrono::milliseconds every);
  // Drain (issue 17 item 4): claims nothing new from now on and hands jobs leased ahead (not
  // started) back at once; running jobs go on to the end (leases renewed, cancels applied).
  // There is no undrain: a restart undoes it. Idempotent; stop() still stops the pool.
  void drain();
  // drain() or stop() was called.
  bool draining() const;
  // Runs `workers` (>= 1) worker threads from now on (a config reload): more start at once;
  // when fewer, the extra ones leave as they become idle, so no running job is interrupted.
  void resize(int workers);
  // Job output on its way to the store (caps, drops); for metrics and tests.
  const JobOutput& output() const { return output_; }

  int running() const;
  // False once a loop has stopped making progress (it has not ticked for a while).
  bool healthy() const;
  const std::string& owner() const { return config_.owner; }

  // ---- Driving the pool by hand (tests; REQUIRES: the pool is not started) ----
  // One dispatcher tick: claim, watch cancel requests and deadlines, heartbeat when due.
  void dispatch_once();
  // Runs the next job leased ahead on the calling thread; false when there is none.
  bool run_next();
  // Records the finished jobs' logs and outcomes (with retries and backoff).
  void complete_once();

  // Renews every lease this pool holds, now. The lease reaper calls it before it reaps: a
  // lease that lapsed only because renewals failed (a full disk) belongs to a job still
  // running here, and must not be handed to another attempt while this one runs.
  Status renew_leases();

  // Leases this pool holds (claimed; neither recorded, handed back nor abandoned).
  std::vector<store::Lease> held() const;
  // Jobs leased ahead, not started.
  int leased_ahead() const;
  // Errors handled so far by component ("claim", "heartbeat", "data_version", "complete",
  // "job_log", "dispatcher", "completer", "worker", "release").
  std::int64_t errors(const std::string& component) const;

 private:
  struct Running {
    core::Job job;
    std::shared_ptr<CancelToken> cancel;
    SteadyTime deadline = SteadyTime::max();  // set when the handler starts
    // Progress, kept on the entry in running_ (worker_pool_progress.cpp).
    std::int64_t done = 0;
    std::int64_t total = 0;
    std::optional<SteadyTime> progress_moved;  // first report, then each that moved `done`
    bool progress_dirty = false;               // not yet written to the store
    bool stalled = false;                      // stopped for want of progress
  };
  struct Finished {
    store::Completion completion;
    int attempt;
    std::string provider;  // for the job metrics' provider label
  };
  // The dispatcher's own state between ticks (its thread's, or the test's).
  struct DispatchState {
    std::optional<std::int64_t> last_version;
    int version_failures = 0;
    SteadyTime next_heartbeat{};
    int heartbeat_failures = 0;
    std::optional<core::TimeMs> next_due;
    bool want_claim = true;
    int claim_failures = 0;
    SteadyTime claim_retry_at{};
    SteadyTime next_progress_flush{};
  };

  void dispatch_loop();
  // How long the dispatcher may sleep now. REQUIRES: mu_ held; the dispatcher's thread.
  std::chrono::milliseconds next_wait_locked() const;
  void dispatch_guarded();  // dispatch_once, its errors counted and backed off
  void worker_loop();
  void complete_loop();
  void claim_some(DispatchState& d);
  // How many more jobs the pool may lease now (workers, plus a batch ahead for short jobs),
  // not counting `leaving` leases that are about to be released. REQUIRES: mu_ held.
  int free_slots_locked(int leaving = 0) const;
  // How many jobs claimed now would start at once (idle workers beyond the jobs already
  // queued for them); the rest are leased ahead (store::job_claim_ahead). REQUIRES: mu_ held.
  int start_slots_locked() const;
  // Holds freshly claimed jobs' leases and queues them for the workers. REQUIRES: mu_ held.
  void take_claimed_locked(std::vector<core::Job>& jobs);
  void watch(bool check_requests);
  void heartbeat(DispatchState& d);
  void lose(const std::vector<core::JobId>& ids);
  std::optional<Running> take_next_locked();        // REQUIRES: mu_ held
  void erase_running_locked(const core::Job& job);  // REQUIRES: mu_ held
  // Records the start of r's attempt before its handler runs when it was leased ahead (and,
  // in the same write, of the next ones leased ahead, up to two per worker). False: the
  // lease is gone or the start could not be recorded; r is dropped and must not run here.
  bool record_start(Running& r);
  void run_one(Running& r);
  void add_workers_locked();  // REQUIRES: mu_ held
  void append_log(core::JobId id, std::string_view stream, std::string_view line);
  void on_progress(const core::Job& job, std::uint64_t done, std::uint64_t total);
  void flush_progress(DispatchState& d);
  void check_stalls_locked(SteadyTime now);  // REQUIRES: mu_ held
  void flush(std::vector<Finished>& done, std::vector<store::LogLine>& logs);
  void report_events(const std::vector<Finished>& done,
                     const std::vector<store::CompletionResult>& results);
  void hand_back(const std::vector<store::Lease>& leases, const char* what);
  // Counts an error of `component`; logs it when `consecutive` is 1, 2, 4, 8, ...
  void report_error(const std::string& component, const std::string& message,
                    const std::string& error, int consecutive = 1);

  const WorkerPoolConfig config_;
  store::Store& store_;
  const HandlerRegistry& handlers_;
  const Clock& clock_;
  JobListener* listener_;
  ops::Metrics* metrics_;

  mutable std::mutex mu_;
  std::condition_variable dispatch_cv_;  // wakes the dispatcher
  std::condition_variable work_cv_;      // wakes workers
  std::condition_variable done_cv_;      // wakes the completer
  bool started_ = false;                 // GUARDED_BY(mu_)
  bool claiming_ = false;                // GUARDED_BY(mu_)
  bool stopping_workers_ = false;        // GUARDED_BY(mu_)
  bool stopping_completer_ = false;      // GUARDED_BY(mu_)
  bool notified_ = false;                // GUARDED_BY(mu_)
  bool replan_ = false;     // the dispatcher's wait must be planned again; GUARDED_BY(mu_)
  bool draining_ = false;   // drain() or stop() under way: no claims; GUARDED_BY(mu_)
  int target_workers_ = 0;  // GUARDED_BY(mu_)
  int live_workers_ = 0;    // threads in worker_loop; GUARDED_BY(mu_)
  std::map<core::JobId, std::int64_t> held_;      // id -> lease token; GUARDED_BY(mu_)
  std::deque<Running> queue_;                     // leased ahead; GUARDED_BY(mu_)
  std::map<core::JobId, Running> running_;        // GUARDED_BY(mu_)
  std::vector<Finished> finished_;                // GUARDED_BY(mu_)
  JobOutput output_;                              // thread-safe itself
  DispatchState dispatch_;                        // the dispatcher's (or the hand-driving test's)
  std::atomic<std::int64_t> dispatcher_tick_{0};  // clock_.steady_now(), in ms
  std::atomic<std::int64_t>
      wake_poll_ms_;  // set_wake_poll(); starts at wake_poll; written under mu_
  // Average handler run time; starts high so nothing is prefetched until jobs prove short.
  std::atomic<std::int64_t> avg_run_us_{1'000'000};

  mutable std::mutex errors_mu_;
  std::map<std::string, std::int64_t> errors_;  // GUARDED_BY(errors_mu_)

  std::thread dispatcher_;
  std::thread completer_;
  std::vector<std::thread> workers_;  // GUARDED_BY(mu_); joined by stop(), those that left too
};

}  // namespace hypersdk::engine
