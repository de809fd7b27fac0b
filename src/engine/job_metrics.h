// Feeds the Prometheus registry from job events and, at scrape time, from the database
// (queue depth by status, dead letters, WAL and database size, free disk space).
// Thread safety: on_job_event may be called from any engine thread.
#pragma once

#include <functional>

#include "engine/clock.h"
#include "engine/events.h"
#include "ops/metrics.h"
#include "store/backend.h"

namespace hypersdk::engine {

class JobMetrics final : public JobListener {
 public:
  // Creates the job series of `types` at zero: a counter that first appears at 2 hides those
  // 2 from increase()/rate(), so the failed-jobs alert would miss the first failures.
  JobMetrics(ops::Metrics& metrics, const std::vector<std::string>& types);
  void on_job_event(const JobEvent& e) override;

 private:
  ops::Metrics& metrics_;
};

// Registers a scrape hook that refreshes the gauges read from the store and, on SQLite, the
// database file's (WAL and file size, its filesystem's free space, group commit counts).
// `running` reports this process's running jobs. REQUIRES: `backend` outlives `metrics`'
// scrapes.
void add_store_scrape_hook(ops::Metrics& metrics, store::StoreBackend& backend,
                           std::function<int()> running);

// Registers a scrape hook that sets hypersdk_queue_oldest_age_seconds: how long the queued
// job that has been due the longest has waited (0 with none), at `clock`'s time.
void add_queue_age_hook(ops::Metrics& metrics, store::StoreBackend& backend, const Clock& clock);

}  // namespace hypersdk::engine
