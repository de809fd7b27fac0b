#include "engine/db_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include "store/server_stats.h"

namespace hypersdk::engine {

void add_db_health_hook(ops::Metrics& metrics, store::StoreBackend& backend) {
  auto& failing = prometheus::BuildGauge()
                      .Name("hypersdk_db_write_failing")
                      .Help("Whether database writes fail now (1) or succeed (0).")
                      .Register(metrics.registry())
                      .Add({});
  auto& episodes = prometheus::BuildCounter()
                       .Name("hypersdk_db_write_failure_episodes_total")
                       .Help("Times database writes began to fail since the start.")
                       .Register(metrics.registry())
                       .Add({});
  metrics.add_scrape_hook([&backend, &failing, &episodes] {
    const store::WriteHealth h = backend.write_health();
    failing.Set(h.failing ? 1.0 : 0.0);
    const double seen = static_cast<double>(h.episodes);
    if (seen > episodes.Value()) episodes.Increment(seen - episodes.Value());
  });
  if (backend.sqlite()) return;  // its figures are its file's (job_metrics.cpp)

  auto& connections =
      prometheus::BuildGauge()
          .Name("hypersdk_db_connections")
          .Help("Connections to the PostgreSQL database from every client, by state.")
          .Register(metrics.registry());
  auto& max_family = prometheus::BuildGauge()
                         .Name("hypersdk_db_max_connections")
                         .Help("The PostgreSQL server's max_connections, for all its databases.")
                         .Register(metrics.registry());
  metrics.add_scrape_hook([&metrics, &backend, &connections, &max_family] {
    auto stats = store::server_stats(backend);
    if (!stats || !*stats) return;  // keep the last figures: a failed read is not a 0
    metrics.db_size_bytes().Set(static_cast<double>((*stats)->size_bytes));
    for (const auto& [state, n] : (*stats)->connections)
      connections.Add({{"state", state}}).Set(static_cast<double>(n));
    max_family.Add({}).Set(static_cast<double>((*stats)->max_connections));
  });
}

}  // namespace hypersdk::engine
