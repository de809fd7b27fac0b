// The database's own figures at scrape time, for either driver: whether writes fail now
// (hypersdk_db_write_failing 0|1, the state readiness reports) and how often they began to
// (hypersdk_db_write_failure_episodes_total); on PostgreSQL also the server's figures in
// place of SQLite's file and WAL sizes: hypersdk_db_size_bytes (pg_database_size),
// hypersdk_db_connections{state} and hypersdk_db_max_connections. A failed read leaves the
// server's series as they were (absent until the first read): never a 0 that was not measured.
// Thread safety: the hook runs on the scraping thread; the backend is thread-safe.
#pragma once

#include "ops/metrics.h"
#include "store/backend.h"

namespace hypersdk::engine {

// REQUIRES: `backend` outlives `metrics`' scrapes.
void add_db_health_hook(ops::Metrics& metrics, store::StoreBackend& backend);

}  // namespace hypersdk::engine
