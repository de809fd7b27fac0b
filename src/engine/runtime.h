// The running system of `serve`: the database (SQLite or PostgreSQL, store/backend.h), the
// store, the job handlers, the worker pool, the scheduler (when scheduler.enabled), the notifier
// and the maintenance services (lease reaper, WAL checkpointer on SQLite, retention pruner). It
// starts them in dependency order and stops them in reverse. The HTTP API is wired on top of it by
// the serve command. Thread safety: open/start/stop from one thread; the accessors' objects are
// thread-safe.
#pragma once

#include <atomic>
#include <memory>

#include "engine/clock.h"
#include "engine/job_events_log.h"
#include "engine/job_metrics.h"
#include "engine/job_service.h"
#include "engine/leader.h"
#include "engine/periodic.h"
#include "engine/schedule_runs.h"
#include "engine/schedule_service.h"
#include "engine/scheduler.h"
#include "engine/worker_pool.h"
#include "notify/notifier.h"
#include "ops/config.h"
#include "ops/metrics.h"
#include "providers/registry.h"
#include "store/backend.h"
#include "store/change_feed.h"
#include "targets/target_spec.h"

namespace hypersdk::engine {

struct ReadinessCheck {
  std::string name;  // "database:writable", ...
  bool ok = false;
  std::string detail;  // why it fails; empty when ok
};

struct RuntimeOptions {
  std::shared_ptr<const ops::Config> config;
  std::string db_path;  // the SQLite file (unless db.url); exports/ lie beside it by default
  const Clock* clock = nullptr;     // REQUIRES: outlives the Runtime
  ops::Metrics* metrics = nullptr;  // may be null
  TemplateReader templates;         // how workflow schedules read their template (may be empty)
};

class Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> open(RuntimeOptions options);
  ~Runtime();

  // Requeues jobs left by a dead previous process, then starts workers and maintenance.
  Status start();
  // Stops maintenance and the pool (running jobs get `grace`, then are handed back).
  void stop(std::chrono::milliseconds grace);

  JobService& jobs() { return *jobs_; }
  ScheduleService& schedules() { return *schedules_; }
  // The holiday calendars job admission, schedules and the scheduler use (a reload replaces
  // them).
  HolidayBook& holidays() { return *jobs_->policy().holidays; }
  WorkerPool& pool() { return *pool_; }
  // The upload targets (config `targets`); a reload replaces them.
  targets::TargetRegistry& targets() { return *targets_; }
  // Routes events to the notification outbox and delivers it (src/notify/).
  notify::Notifier& notifier() { return *notifier_; }
  // The database with its ports, whichever driver holds it.
  store::StoreBackend& backend() { return *backend_; }
  store::Store& store() { return *store_; }
  // Providers (replaced whole by a config reload) and backup records (issue 11).
  providers::ProviderRegistry& providers() { return *providers_; }
  store::BackupStore& backups() { return *backups_; }
  const Clock& clock() const { return *options_.clock; }

  // Readiness: each check with the reason it fails. Bounded in time: reads on a reader
  // connection and cached state, never the writer mutex (a long checkpoint or write).
  std::vector<ReadinessCheck> readiness();
  // For the watchdog: the database answers a read.
  bool database_reachable();

  // The leader lease (engine/leader.h): the lease reaper and the retention pruner run only
  // while this node leads.
  LeaderElector& leader() { return *leader_; }
  // Drain (issue 17 item 4): the pool claims nothing new, running jobs finish, readiness
  // reports "draining". Undone by a restart. Idempotent.
  void drain();
  bool draining() const { return pool_->draining() && drained_.load(); }

 private:
  explicit Runtime(RuntimeOptions options) : options_(std::move(options)) {}
  // The retention pruner, unless retention keeps everything.
  void add_pruner();

  RuntimeOptions options_;
  std::shared_ptr<store::StoreBackend> backend_;
  std::shared_ptr<store::Store> store_;  // backend_->store
  HandlerRegistry handlers_;
  std::shared_ptr<providers::ProviderRegistry> providers_;
  std::shared_ptr<store::BackupStore> backups_;
  std::unique_ptr<JobMetrics> job_metrics_;
  std::unique_ptr<JobEventLog> job_log_;
  JobListeners listeners_;  // job_metrics_, job_log_: what the pool reports to
  std::unique_ptr<WorkerPool> pool_;
  // PostgreSQL: other nodes' commits wake pool_ (LISTEN/NOTIFY); null on SQLite. After pool_,
  // so it goes first (its callbacks call the pool).
  std::unique_ptr<store::ChangeFeed> change_feed_;
  std::shared_ptr<targets::TargetRegistry> targets_ = std::make_shared<targets::TargetRegistry>();
  std::unique_ptr<JobService> jobs_;
  std::unique_ptr<ScheduleRuns> schedule_runs_;  // what a schedule's occurrence starts
  std::unique_ptr<ScheduleService> schedules_;
  std::unique_ptr<Scheduler> scheduler_;  // when scheduler.enabled
  std::unique_ptr<notify::Notifier> notifier_;
  std::vector<std::unique_ptr<PeriodicService>> maintenance_;
  std::unique_ptr<LeaderElector> leader_;
  std::atomic<bool> drained_{false};  // drain() was called (not merely stop())
  bool started_ = false;
  std::atomic<bool> stopping_{false};  // read by maintenance passes that loop
};

}  // namespace hypersdk::engine
