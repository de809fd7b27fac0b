#include "engine/job_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <filesystem>

#include "engine/db_metrics.h"
#include "store/sqlite_store.h"

namespace hypersdk::engine {

JobMetrics::JobMetrics(ops::Metrics& metrics, const std::vector<std::string>& types)
    : metrics_(metrics) {
  for (const auto& type : types) {
    for (const char* status : {"succeeded", "failed", "cancelled"})
      metrics_.jobs_total(type, status, "");
    metrics_.job_retries_total(type);
    metrics_.job_duration_seconds(type);
  }
}

void JobMetrics::on_job_event(const JobEvent& e) {
  if ((e.kind == JobEventKind::failed || e.kind == JobEventKind::retrying) && e.error)
    metrics_.job_failures_total(std::string(to_string(e.error->cls))).Increment();
  const char* status = nullptr;
  switch (e.kind) {
    case JobEventKind::succeeded:
      status = "succeeded";
      break;
    case JobEventKind::failed:
      status = "failed";
      break;
    case JobEventKind::cancelled:
      status = "cancelled";
      break;
    case JobEventKind::retrying:
      metrics_.job_retries_total(e.type).Increment();
      return;
    case JobEventKind::started:
    case JobEventKind::rescued:
      return;
  }
  metrics_.jobs_total(e.type, status, e.provider).Increment();
  metrics_.job_duration_seconds(e.type).Observe(static_cast<double>(e.duration_ms) / 1000.0);
}

void add_store_scrape_hook(ops::Metrics& metrics, store::StoreBackend& backend,
                           std::function<int()> running) {
  // Workflows by status in the database (a gauge: pruning removes finished ones); the
  // running series is the number of workflow runs in flight. Their steps are jobs, counted in
  // hypersdk_queue_depth and hypersdk_jobs_total like any other.
  auto& workflows = prometheus::BuildGauge()
                        .Name("hypersdk_workflows")
                        .Help("Workflows in the database by status.")
                        .Register(metrics.registry());
  metrics.add_scrape_hook([&workflows, &backend] {
    auto counts = backend.workflow_count_by_status();
    if (!counts) return;
    for (const char* s : {"running", "succeeded", "failed", "cancelled"}) {
      auto it = counts->find(s);
      workflows.Add({{"status", s}})
          .Set(it == counts->end() ? 0.0 : static_cast<double>(it->second));
    }
  });
  // Group commit at work (SQLite): committed writes against the transactions that carried
  // them. PostgreSQL has no such counts of ours: the families are not registered there rather
  // than showing 0.
  prometheus::Counter* writes = nullptr;
  prometheus::Counter* commits = nullptr;
  if (backend.sqlite()) {
    writes = &prometheus::BuildCounter()
                  .Name("hypersdk_db_writes_total")
                  .Help("Database writes committed")
                  .Register(metrics.registry())
                  .Add({});
    commits = &prometheus::BuildCounter()
                   .Name("hypersdk_db_commits_total")
                   .Help("Database transactions committed (concurrent writes share one)")
                   .Register(metrics.registry())
                   .Add({});
  }
  add_db_health_hook(metrics, backend);
  metrics.add_scrape_hook([&metrics, &backend, writes, commits, running = std::move(running)] {
    store::Store& store = *backend.store;
    // SQLite's file, WAL and group commit; PostgreSQL's figures come from add_db_health_hook.
    if (auto db = backend.sqlite()) {
      const auto written = db->write_counts();
      writes->Increment(static_cast<double>(written.writes) - writes->Value());
      commits->Increment(static_cast<double>(written.commits) - commits->Value());
      metrics.db_wal_bytes().Set(static_cast<double>(db->wal_bytes()));
      metrics.db_size_bytes().Set(static_cast<double>(db->size_bytes()));
      metrics.observe_filesystem(ops::FsPathKind::database,
                                 std::filesystem::path(db->path()).parent_path().string());
    }
    static const char* kStatuses[] = {"waiting",   "queued", "running",   "retrying",
                                      "succeeded", "failed", "cancelled", "upstream_failed"};
    if (auto counts = store.job_count_by_status()) {
      for (const char* s : kStatuses) {
        auto it = counts->find(s);
        metrics.queue_depth(s).Set(it == counts->end() ? 0.0 : static_cast<double>(it->second));
      }
    }
    if (auto letters = store.dlq_count()) metrics.dead_letters().Set(static_cast<double>(*letters));
    metrics.jobs_running().Set(running ? running() : 0);
    // A process-wide count, turned into the counter's increments since the last scrape.
    auto& unreadable = metrics.internal_errors_total("stored_value");
    const double seen = static_cast<double>(store::unreadable_stored_values());
    if (seen > unreadable.Value()) unreadable.Increment(seen - unreadable.Value());
  });
}

void add_queue_age_hook(ops::Metrics& metrics, store::StoreBackend& backend, const Clock& clock) {
  metrics.add_scrape_hook([&metrics, &backend, &clock] {
    const core::TimeMs now = clock.now_ms();
    auto oldest = backend.job_oldest_due(now);
    if (!oldest) return;  // keep the last value: a failed read is not an empty queue
    metrics.queue_oldest_age_seconds().Set(*oldest ? static_cast<double>(now - **oldest) / 1000.0
                                                   : 0.0);
  });
}

}  // namespace hypersdk::engine
