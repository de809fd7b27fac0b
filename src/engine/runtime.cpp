#include "engine/runtime.h"

#include "engine/exec_job.h"
#include "engine/settings.h"
#include "ops/log.h"
#include "store/migrations.h"

namespace hypersdk::engine {

using std::chrono::milliseconds;

namespace {
constexpr milliseconds kPrunerFirstDelay{2000};
}  // namespace

Result<std::unique_ptr<Runtime>> Runtime::open(RuntimeOptions options) {
  std::unique_ptr<Runtime> rt(new Runtime(std::move(options)));
  const ops::Config& cfg = *rt->options_.config;
  auto db = store::Database::open(database_options(cfg, rt->options_.db_path));
  if (!db) return db.error();
  rt->db_ = std::move(db.value());
  if (const auto& m = rt->db_->migration(); m.to_version != m.from_version)
    ops::log::info("database migrated",
                   {{"from", m.from_version}, {"to", m.to_version}, {"backup", m.backup_path}});
  rt->store_ = std::make_unique<store::SqliteStore>(rt->db_);

  rt->handlers_.add("noop", std::make_shared<NoopHandler>());
  const AdmissionPolicy admission = admission_policy(cfg);
  if (admission.exec_enabled)
    rt->handlers_.add("exec", std::make_shared<ExecHandler>(admission.exec));

  JobListener* listener = nullptr;
  if (rt->options_.metrics) {
    rt->job_metrics_ = std::make_unique<JobMetrics>(*rt->options_.metrics, rt->handlers_.types());
    listener = rt->job_metrics_.get();
  }
  rt->pool_ = std::make_unique<WorkerPool>(worker_pool_config(cfg, make_owner_id()), *rt->store_,
                                           rt->handlers_, *rt->options_.clock, listener);
  if (admission.holidays_error) return *admission.holidays_error;
  rt->jobs_ = std::make_unique<JobService>(*rt->store_, *rt->options_.clock, admission,
                                           [pool = rt->pool_.get()] { pool->notify(); });
  if (cfg.get_bool("scheduler.enabled"))
    rt->scheduler_ = std::make_unique<Scheduler>(
        scheduler_config(cfg), *rt->store_, *rt->options_.clock, admission.holidays,
        rt->options_.metrics, [pool = rt->pool_.get()] { pool->notify(); });
  rt->schedules_ =
      std::make_unique<ScheduleService>(*rt->store_, *rt->options_.clock, admission,
                                        [pool = rt->pool_.get(), sched = rt->scheduler_.get()] {
                                          pool->notify();
                                          if (sched) sched->poke();
                                        });
  if (rt->options_.metrics)
    add_store_scrape_hook(*rt->options_.metrics, *rt->store_, *rt->db_,
                          [pool = rt->pool_.get()] { return pool->running(); });
  return rt;
}

Runtime::~Runtime() {
  stop(milliseconds(0));
}

Status Runtime::start() {
  if (started_) return Status::Ok();
  stopping_ = false;
  const ops::Config& cfg = *options_.config;
  const Clock& clock = *options_.clock;
  const int max_expiries = static_cast<int>(cfg.get_int("queue.max_lease_expiries"));
  auto rescued = rescue_dead_owners(*store_, clock, max_expiries);
  if (!rescued) return rescued.error();
  if (*rescued > 0)
    ops::log::warn("requeued jobs left running by a process that died", {{"jobs", *rescued}});

  pool_->start();
  const auto ttl = cfg.get_duration("workers.lease_ttl");
  maintenance_.push_back(std::make_unique<PeriodicService>(
      "lease-reaper", std::max(milliseconds(1000), ttl / 4), [this, max_expiries, &clock] {
        auto r = store_->job_rescue_expired(clock.now_ms(), max_expiries);
        if (!r) return Status(r.error());
        if (!r->requeued.empty() || !r->dead_lettered.empty()) {
          ops::log::warn("rescued jobs whose lease expired",
                         {{"requeued", static_cast<std::int64_t>(r->requeued.size())},
                          {"dead_lettered", static_cast<std::int64_t>(r->dead_lettered.size())}});
          pool_->notify();
        }
        return Status::Ok();
      }));
  // 0 = leave checkpoints to SQLite's automatic ones: no checkpointer at all (a zero period
  // would be a busy loop).
  if (const auto every = cfg.get_duration("db.checkpoint_interval"); every.count() > 0)
    maintenance_.push_back(std::make_unique<PeriodicService>("checkpointer", every,
                                                             [this] { return db_->checkpoint(); }));
  add_pruner();
  for (auto& m : maintenance_) m->start();
  if (scheduler_) scheduler_->start();
  started_ = true;
  return Status::Ok();
}

void Runtime::stop(milliseconds grace) {
  if (!started_) return;
  started_ = false;
  stopping_ = true;
  if (scheduler_) scheduler_->stop();
  for (auto it = maintenance_.rbegin(); it != maintenance_.rend(); ++it) (*it)->stop();
  maintenance_.clear();
  pool_->stop(grace);
  if (Status s = db_->checkpoint(); !s.ok())
    ops::log::warn("final checkpoint failed", {{"error", s.error().to_string()}});
}

void Runtime::add_pruner() {
  const ops::Config& cfg = *options_.config;
  // retention.finished_jobs 0 = keep forever, retention.max_finished_jobs 0 = no limit
  // (hypersdk.yaml.example): each 0 removes that bound; with both 0 nothing is ever pruned.
  const auto keep_for = cfg.get_duration("retention.finished_jobs");
  const std::int64_t keep_max = cfg.get_int("retention.max_finished_jobs");  // 0..INT32_MAX
  if (keep_for.count() <= 0 && keep_max <= 0) {
    ops::log::info(
        "retention: finished jobs are kept forever (retention.finished_jobs and "
        "retention.max_finished_jobs are 0)");
    return;
  }
  const std::optional<int> keep =
      keep_max > 0 ? std::optional<int>(static_cast<int>(keep_max)) : std::nullopt;
  const Clock& clock = *options_.clock;
  // The pruner runs on its own thread and deletes in small batches, so however much history
  // there is, it never holds back start or readiness. Its first pass waits a little so that
  // start-up work (rescue, first claims, the first readiness probes) comes first.
  maintenance_.push_back(std::make_unique<PeriodicService>(
      "pruner", milliseconds(10 * 60 * 1000),
      [this, keep_for, keep, &clock] {
        const std::optional<core::TimeMs> before =
            keep_for.count() > 0 ? std::optional<core::TimeMs>(clock.now_ms() - keep_for.count())
                                 : std::nullopt;
        // Batch by batch, so that stop() never waits for a whole large history to go.
        int jobs = 0, occ = 0;
        for (int n = 1; n > 0 && !stopping_.load();) {
          auto r = store_->job_prune(before, keep);
          if (!r) return Status(r.error());
          jobs += n = *r;
        }
        for (int n = before ? 1 : 0; n > 0 && !stopping_.load();) {
          auto r = store_->schedule_prune(*before);
          if (!r) return Status(r.error());
          occ += n = *r;
        }
        if (jobs > 0) ops::log::info("pruned finished jobs", {{"jobs", jobs}});
        if (occ > 0) ops::log::info("pruned schedule occurrences and events", {{"rows", occ}});
        ops::log::debug("retention pass done", {{"jobs", jobs}, {"occurrences_and_events", occ}});
        return Status::Ok();
      },
      kPrunerFirstDelay));
}

bool Runtime::database_reachable() {
  return store_->job_count_by_status().ok();
}

bool Runtime::migrations_current() {
  return db_->schema_version() == store::latest_schema_version();
}

}  // namespace hypersdk::engine
