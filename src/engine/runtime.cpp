#include "engine/runtime.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include <filesystem>

#include "engine/disk_watch.h"
#include "engine/exec_job.h"
#include "engine/job_events_log.h"
#include "engine/lease_reaper.h"
#include "engine/provider_jobs.h"
#include "engine/settings.h"
#include "engine/upload_job.h"
#include "notify/notifier.h"
#include "ops/log.h"
#include "store/pg/pg_backend.h"

namespace hypersdk::engine {

using std::chrono::milliseconds;

namespace {
constexpr milliseconds kPrunerFirstDelay{2000};

// hypersdk_job_output_dropped_lines_total{reason}: output lines not stored (JobOutput), read
// from the pool at each scrape.
void add_output_metrics(ops::Metrics& metrics, const WorkerPool& pool) {
  auto& family = prometheus::BuildCounter()
                     .Name("hypersdk_job_output_dropped_lines_total")
                     .Help(
                         "Job output lines not stored, by reason: truncated (over the "
                         "jobs.output caps), buffer_full, write_failed")
                     .Register(metrics.registry());
  std::vector<std::pair<OutputDrop, prometheus::Counter*>> counters;
  for (OutputDrop d : kOutputDrops)
    counters.emplace_back(d, &family.Add({{"reason", to_string(d)}}));
  metrics.add_scrape_hook([&pool, counters] {
    for (const auto& [why, counter] : counters) {
      const auto total = static_cast<double>(pool.output().dropped(why));
      if (total > counter->Value()) counter->Increment(total - counter->Value());
    }
  });
}

// hypersdk_db_listener_up (1 while the LISTEN session for other nodes' changes is up) and
// hypersdk_db_listener_reconnects_total, read at each scrape (PostgreSQL only).
void add_change_feed_metrics(ops::Metrics& metrics, const store::ChangeFeed& feed) {
  auto& up = prometheus::BuildGauge()
                 .Name("hypersdk_db_listener_up")
                 .Help(
                     "1 while the LISTEN session that wakes this node on other nodes' commits "
                     "is up (PostgreSQL); 0 while it polls fast instead")
                 .Register(metrics.registry())
                 .Add({});
  auto& reconnects = prometheus::BuildCounter()
                         .Name("hypersdk_db_listener_reconnects_total")
                         .Help("LISTEN sessions re-established after one was lost (PostgreSQL)")
                         .Register(metrics.registry())
                         .Add({});
  metrics.add_scrape_hook([&feed, &up, &reconnects] {
    up.Set(feed.listening() ? 1 : 0);
    const auto total = static_cast<double>(feed.reconnects());
    if (total > reconnects.Value()) reconnects.Increment(total - reconnects.Value());
  });
}

}  // namespace

Result<std::unique_ptr<Runtime>> Runtime::open(RuntimeOptions options) {
  std::unique_ptr<Runtime> rt(new Runtime(std::move(options)));
  const ops::Config& cfg = *rt->options_.config;
  auto backend = store::StoreBackend::open(
      {cfg.get_string("db.url"), database_options(cfg, rt->options_.db_path)});
  if (!backend) return backend.error();
  rt->backend_ = std::move(backend.value());
  // The daemon's statements are bounded (db.statement_timeout; migrations above are not): a
  // lock held on a table fails calls with class timeout, and /ready 503, instead of hanging.
  if (auto* pg = dynamic_cast<store::pg::PgBackend*>(rt->backend_.get()))
    pg->database().set_statement_timeout(cfg.get_duration("db.statement_timeout"));
  if (const auto m = rt->backend_->migration(); m.to_version != m.from_version)
    ops::log::info("database migrated",
                   {{"from", m.from_version}, {"to", m.to_version}, {"backup", m.backup_path}});
  rt->store_ = rt->backend_->store;

  rt->handlers_.add("noop", std::make_shared<NoopHandler>());
  const AdmissionPolicy admission = admission_policy(cfg);
  if (admission.exec_enabled)
    rt->handlers_.add("exec", std::make_shared<ExecHandler>(admission.exec));
  auto targets = targets::parse_targets(cfg.get_node("targets"), ops::environ_map());
  if (!targets) return targets.error();
  rt->targets_->replace(std::make_shared<const targets::TargetSet>(std::move(*targets)));
  rt->handlers_.add("upload", std::make_shared<UploadHandler>(rt->targets_, rt->backend_->uploads,
                                                              *rt->options_.clock));

  {
    // Providers and exports (issue 11).
    auto built = providers::build_providers(cfg.get_node("providers"), ops::environ_map());
    if (!built) return built.error();
    rt->providers_ = std::make_shared<providers::ProviderRegistry>(std::move(*built));
    rt->backups_ = rt->backend_->backups;
    add_provider_handlers(rt->handlers_, {rt->providers_, export_dir(cfg, rt->options_.db_path),
                                          rt->backups_, rt->targets_});
  }
  if (rt->options_.metrics) {
    rt->job_metrics_ = std::make_unique<JobMetrics>(*rt->options_.metrics, rt->handlers_.types());
    rt->listeners_.add(rt->job_metrics_.get());
  }
  rt->job_log_ = std::make_unique<JobEventLog>(*rt->store_);
  rt->listeners_.add(rt->job_log_.get());
  rt->pool_ = std::make_unique<WorkerPool>(worker_pool_config(cfg, make_owner_id()), *rt->store_,
                                           rt->handlers_, *rt->options_.clock, &rt->listeners_,
                                           rt->options_.metrics);
  // PostgreSQL: other nodes' commits wake the pool at once; the data_version poll slows to
  // cluster.poll_interval while the LISTEN session is up and is fast again while it is down.
  rt->change_feed_ = store::open_change_feed(
      cfg.get_string("db.url"),
      {.changed = [pool = rt->pool_.get()] { pool->notify(); },
       .listening =
           [pool = rt->pool_.get(), slow = cfg.get_duration("cluster.poll_interval"),
            fast = worker_pool_config(cfg, "").wake_poll](bool on) {
             pool->set_wake_poll(on ? slow : fast);
             if (!on) pool->notify();
           }});
  if (rt->options_.metrics && rt->change_feed_)
    add_change_feed_metrics(*rt->options_.metrics, *rt->change_feed_);
  if (admission.holidays_error) return *admission.holidays_error;
  rt->jobs_ = std::make_unique<JobService>(*rt->store_, *rt->options_.clock, admission,
                                           [pool = rt->pool_.get()] { pool->notify(); });
  rt->schedule_runs_ =
      std::make_unique<ScheduleRuns>(*rt->jobs_, rt->providers_, rt->options_.templates);
  if (cfg.get_bool("scheduler.enabled"))
    rt->scheduler_ = std::make_unique<Scheduler>(
        scheduler_config(cfg), *rt->store_, *rt->options_.clock, admission.holidays,
        rt->options_.metrics, [pool = rt->pool_.get()] { pool->notify(); },
        Scheduler::Expansion{
            [runs = rt->schedule_runs_.get()](const core::Schedule& s, const core::JobSpec& base) {
              return runs->expand(s, base);
            },
            rt->backend_->fire_runs});
  rt->schedules_ = std::make_unique<ScheduleService>(
      *rt->store_, *rt->options_.clock, admission,
      [pool = rt->pool_.get(), sched = rt->scheduler_.get()] {
        pool->notify();
        if (sched) sched->poke();
      },
      rt->schedule_runs_.get());
  auto plan = notify::make_plan(cfg, ops::environ_map());
  if (!plan) return plan.error();
  rt->notifier_ = std::make_unique<notify::Notifier>(
      rt->backend_->outbox, std::move(*plan),
      notify::NotifierOptions{.now = [clock = rt->options_.clock] { return clock->now_ms(); },
                              .metrics = rt->options_.metrics,
                              .job_log =
                                  [store = rt->store_.get()](core::JobId id) {
                                    // The newest attempts' output, bounded (job_output caps it).
                                    std::string text;
                                    auto lines = store->job_log_read(id, 0, 5000);
                                    if (lines)
                                      for (const auto& l : *lines) text += l.line + "\n";
                                    return text;
                                  },
                              // PostgreSQL: on the leader only, so two nodes never send
                              // the same delivery. SQLite (one node): always, as before.
                              .may_run = rt->backend_->sqlite()
                                             ? std::function<bool()>()
                                             : [rt = rt.get()] { return rt->leader_->may_run(); }});
  // The node id in the lease is the pool's lease owner id, as in servers.owner.
  rt->leader_ = std::make_unique<LeaderElector>(
      LeaderConfig{rt->pool_->owner(), cfg.get_duration("cluster.leader_ttl")},
      rt->backend_->leader_lease);
  if (rt->options_.metrics) add_leader_metric(*rt->options_.metrics, *rt->leader_);
  if (rt->options_.metrics) add_output_metrics(*rt->options_.metrics, *rt->pool_);
  if (rt->options_.metrics)
    add_store_scrape_hook(*rt->options_.metrics, *rt->backend_,
                          [pool = rt->pool_.get()] { return pool->running(); });
  if (rt->options_.metrics) add_queue_age_hook(*rt->options_.metrics, *rt->backend_, rt->clock());
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

  if (scheduler_) scheduler_->undo_previous_arms();  // before the pool can claim them
  pool_->start();
  if (change_feed_) change_feed_->start();
  // Leader first (one synchronous try), so that a single node's reaper runs at once.
  if (Status s = leader_->run_once(); !s.ok())
    ops::log::warn("cannot take the leader lease yet; retrying", {{"error", s.error().message}});
  leader_->start();
  const auto ttl = cfg.get_duration("workers.lease_ttl");
  maintenance_.push_back(std::make_unique<PeriodicService>(
      "lease-reaper", std::max(milliseconds(1000), ttl / 4), [this, max_expiries, &clock] {
        // Leader only: a node that does not lead (or lost the lease) rescues nothing.
        if (!leader_->may_run()) return Status::Ok();
        // Our own leases first (lease_reaper.h): reaping them would start second attempts.
        auto r = reap_expired_leases(*pool_, *store_, clock, max_expiries);
        if (!r) return Status(r.error());
        if (!r->requeued.empty() || !r->dead_lettered.empty() || !r->cancelled.empty()) {
          log_jobs_rescued(*r, "its lease expired");
          pool_->notify();
        }
        return Status::Ok();
      }));
  // 0 = leave checkpoints to SQLite's automatic ones: no checkpointer at all (a zero period
  // would be a busy loop). PostgreSQL runs its own checkpoints.
  const bool sqlite = backend_->sqlite() != nullptr;
  if (const auto every = cfg.get_duration("db.checkpoint_interval"); sqlite && every.count() > 0)
    maintenance_.push_back(std::make_unique<PeriodicService>(
        "checkpointer", every, [this] { return backend_->checkpoint(); }));
  add_pruner();
  {
    // system.disk_low for the export directory's filesystem, and the database's on SQLite
    // (PostgreSQL's disk is the server's: its own monitoring watches it).
    const std::string db_dir = std::filesystem::path(options_.db_path).parent_path().string();
    std::string export_dir = cfg.get_string("export.dir");
    if (export_dir.empty()) export_dir = (std::filesystem::path(db_dir) / "exports").string();
    std::vector<std::pair<std::string, std::string>> paths{{"export", export_dir}};
    if (sqlite) paths.insert(paths.begin(), {"database", db_dir.empty() ? "." : db_dir});
    auto watch = std::make_shared<DiskWatch>(
        notifier_->outbox(), std::move(paths),
        static_cast<int>(cfg.get_int("notifications.disk_low_percent")));
    maintenance_.push_back(std::make_unique<PeriodicService>(
        "disk-watch", milliseconds(60'000),
        [watch, &clock] { return watch->run_once(clock.now_ms()); }));
  }
  // While writes fail (a full disk, PostgreSQL unreachable), probes every second whether they
  // work again, so the server recovers by itself even when no job or request gives it
  // anything to write. Logs each episode once (also one that ended before this looked) and
  // its end.
  maintenance_.push_back(std::make_unique<PeriodicService>(
      "write-probe", milliseconds(1000),
      [this, &clock, failed_logged = std::int64_t{0}, ended_logged = std::int64_t{0}]() mutable {
        auto health = backend_->write_health();
        if (health.failing) {
          (void)backend_->probe_write(clock.now_ms());
          health = backend_->write_health();
        }
        if (health.episodes > failed_logged) {
          ops::log::error(
              "database writes failed; readiness reports 503 until they succeed "
              "again",
              {{"error", health.last_reason}});
          failed_logged = health.episodes;
        }
        if (!health.failing && health.episodes > ended_logged) {
          ops::log::info("database writes succeed again");
          ended_logged = health.episodes;
        }
        return Status::Ok();
      }));
  for (auto& m : maintenance_) m->start();
  notifier_->start();
  if (scheduler_) scheduler_->start();
  started_ = true;
  return Status::Ok();
}

void Runtime::stop(milliseconds grace) {
  if (!started_) return;
  started_ = false;
  stopping_ = true;
  if (scheduler_) scheduler_->stop();
  notifier_->stop();
  for (auto it = maintenance_.rbegin(); it != maintenance_.rend(); ++it) (*it)->stop();
  maintenance_.clear();
  leader_->stop();  // gives the lease up: another node takes over at once
  if (change_feed_) change_feed_->stop();
  pool_->stop(grace);
  if (Status s = backend_->checkpoint(); !s.ok())
    ops::log::warn("final checkpoint failed", {{"error", s.error().to_string()}});
}

void Runtime::add_pruner() {
  const ops::Config& cfg = *options_.config;
  // retention.finished_jobs 0 = keep forever, retention.max_finished_jobs 0 = no limit
  // (hypersdk.yaml.example): each 0 removes that bound; with both 0 nothing is ever pruned.
  const auto keep_for = cfg.get_duration("retention.finished_jobs");
  const std::int64_t keep_max = cfg.get_int("retention.max_finished_jobs");  // 0..INT32_MAX
  const auto audit_for = cfg.get_duration("retention.audit");                // 0 = keep forever
  const auto keep_sent = cfg.get_duration("retention.notifications");        // 0 = keep forever
  if (keep_for.count() <= 0 && keep_max <= 0) {
    ops::log::info(
        "retention: finished jobs are kept forever (retention.finished_jobs and "
        "retention.max_finished_jobs are 0)");
    if (audit_for.count() <= 0 && keep_sent.count() <= 0) return;
  }
  const std::optional<int> keep =
      keep_max > 0 ? std::optional<int>(static_cast<int>(keep_max)) : std::nullopt;
  const Clock& clock = *options_.clock;
  // The pruner runs on its own thread and deletes in small batches, so however much history
  // there is, it never holds back start or readiness. Its first pass waits a little so that
  // start-up work (rescue, first claims, the first readiness probes) comes first.
  maintenance_.push_back(std::make_unique<PeriodicService>(
      "pruner", milliseconds(10 * 60 * 1000),
      [this, keep_for, keep, audit_for, keep_sent, &clock] {
        const std::optional<core::TimeMs> before =
            keep_for.count() > 0 ? std::optional<core::TimeMs>(clock.now_ms() - keep_for.count())
                                 : std::nullopt;
        // Batch by batch, so that stop() never waits for a whole large history to go.
        int jobs = 0, occ = 0, audit = 0;
        // Leader only, checked (lease row and fencing token) before each batch: a leader
        // that lost the lease stops pruning at once.
        auto go_on = [this] { return !stopping_.load() && leader_->may_run(); };
        for (int n = before || keep ? 1 : 0; n > 0 && go_on();) {
          auto r = store_->job_prune(before, keep);
          if (!r) return Status(r.error());
          jobs += n = *r;
        }
        for (int n = before ? 1 : 0; n > 0 && go_on();) {
          auto r = store_->schedule_prune(*before);
          if (!r) return Status(r.error());
          occ += n = *r;
        }
        for (int n = audit_for.count() > 0 ? 1 : 0; n > 0 && go_on();) {
          auto r = backend_->audit->audit_prune(clock.now_ms() - audit_for.count());
          if (!r) return Status(r.error());
          audit += n = *r;
        }
        if (audit > 0) ops::log::info("pruned the audit trail", {{"entries", audit}});
        // Delivered and failed notifications by their own retention, before the events
        // they reference go.
        int sent = 0;
        if (keep_sent.count() > 0)
          for (int n = 1; n > 0 && go_on();) {
            auto r = notifier_->outbox().delivery_prune(clock.now_ms() - keep_sent.count());
            if (!r) return Status(r.error());
            sent += n = *r;
          }
        if (sent > 0) ops::log::info("pruned notification deliveries", {{"deliveries", sent}});
        if (jobs > 0) ops::log::info("pruned finished jobs", {{"jobs", jobs}});
        if (occ > 0) ops::log::info("pruned schedule occurrences and events", {{"rows", occ}});
        ops::log::debug("retention pass done", {{"jobs", jobs}, {"occurrences_and_events", occ}});
        return Status::Ok();
      },
      kPrunerFirstDelay));
}

bool Runtime::database_reachable() {
  return backend_->schema_version_read().ok();
}

std::vector<ReadinessCheck> Runtime::readiness() {
  std::vector<ReadinessCheck> checks;
  // A reader connection and the cached write state: never waits behind the writer mutex.
  auto version = backend_->schema_version_read();
  checks.push_back({"database:reachable", version.ok(),
                    version.ok() ? "" : "cannot read the database: " + version.error().message});
  const int want = backend_->schema_version_wanted();
  const bool current = version.ok() && *version == want;
  checks.push_back(
      {"database:migrations", current,
       current || !version.ok()
           ? ""
           : "schema version " + std::to_string(*version) + ", this binary needs " +
                 std::to_string(want) +
                 // Newer: another node (or process) was upgraded first.
                 (*version > want ? ": upgrade this hypersdk" : ": run 'hypersdk db migrate'")});
  const auto health = backend_->write_health();
  checks.push_back({"database:writable", !health.failing,
                    health.failing ? "the last of " + std::to_string(health.failures) +
                                         " failed writes in a row: " + health.reason
                                   : ""});
  const bool workers = pool_->healthy();
  checks.push_back({"workers:alive", workers, workers ? "" : "the worker pool is not running"});
  if (draining())
    checks.push_back({"draining", false,
                      "draining: this node takes no new jobs; its running jobs finish (a "
                      "restart undoes it)"});
  return checks;
}

void Runtime::drain() {
  if (drained_.exchange(true)) return;
  pool_->drain();
  ops::log::info("draining: no new jobs are claimed here; running jobs finish",
                 {{"running", pool_->running()}});
}

}  // namespace hypersdk::engine
