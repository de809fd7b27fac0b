// What `hypersdk cluster status` and GET /api/v1/cluster show (issue 17 items 2 and 4): the
// live nodes of the registry, which one holds the leader lease, and each node's running jobs
// (jobs.lease_owner is the node's servers.owner, its worker pool's lease owner id). Read from
// the database, so the answer is the same from any node or from the CLI without a server.
// Thread safety: free functions over thread-safe ports.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

#include "store/leader_lease.h"
#include "store/server_registry.h"
#include "store/store.h"

namespace hypersdk::engine {

struct ClusterNode {
  store::ServerEntry entry;
  bool leader = false;
  int running_jobs = 0;
};

struct ClusterStatus {
  core::TimeMs now = 0;
  store::LeaderState lease;        // lease.leading: someone holds it, unexpired
  std::vector<ClusterNode> nodes;  // live ones (fresh heartbeat), the freshest first
  // Running jobs whose lease owner is no live node (a node that died: the reaper requeues
  // them when their leases expire).
  int orphaned_running_jobs = 0;
};

// Three reads (registry, lease, running jobs); `now` is real UTC time.
Result<ClusterStatus> read_cluster_status(store::ServerRegistry& registry,
                                          store::LeaderLease& lease, store::Store& store,
                                          core::TimeMs now, std::chrono::milliseconds fresh);

// {"leader": {...} | null, "nodes": [{"id","address","version","host","pid","owner",
//  "started_at","heartbeat_age_ms","draining","leader","running_jobs","state"}], ...}
// state: "active", "draining" (running jobs left) or "drained" (draining, none left).
nlohmann::json cluster_status_json(const ClusterStatus& status);

}  // namespace hypersdk::engine
