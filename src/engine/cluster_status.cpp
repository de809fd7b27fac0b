#include "engine/cluster_status.h"

#include <map>

namespace hypersdk::engine {

using nlohmann::json;

Result<ClusterStatus> read_cluster_status(store::ServerRegistry& registry,
                                          store::LeaderLease& lease, store::Store& store,
                                          core::TimeMs now, std::chrono::milliseconds fresh) {
  ClusterStatus out;
  out.now = now;
  auto nodes = registry.server_list_live(now - fresh.count());
  if (!nodes) return nodes.error();
  auto held = lease.leader_get(now);
  if (!held) return held.error();
  out.lease = *held;
  // Running jobs by lease owner, page by page (at most the cluster's worker count of them).
  std::map<std::string, int> running;
  store::JobFilter filter;
  filter.status = core::JobStatus::running;
  filter.limit = 1000;
  for (;;) {
    auto page = store.job_list(filter);
    if (!page) return page.error();
    for (const auto& j : *page) ++running[j.lease_owner];
    if (static_cast<int>(page->size()) < filter.limit) break;
    filter.before = page->back().id;
  }
  int total = 0;
  for (const auto& [owner, n] : running) total += n;
  int counted = 0;
  for (auto& e : *nodes) {
    ClusterNode n;
    n.leader = out.lease.leading && !e.owner.empty() && e.owner == out.lease.holder;
    if (!e.owner.empty())
      if (auto it = running.find(e.owner); it != running.end()) n.running_jobs = it->second;
    counted += n.running_jobs;
    n.entry = std::move(e);
    out.nodes.push_back(std::move(n));
  }
  out.orphaned_running_jobs = total - counted;
  return out;
}

json cluster_status_json(const ClusterStatus& s) {
  json nodes = json::array();
  for (const auto& n : s.nodes) {
    const auto& e = n.entry;
    const char* state = !e.draining ? "active" : n.running_jobs > 0 ? "draining" : "drained";
    nodes.push_back({{"id", e.id},
                     {"address", e.address},
                     {"version", e.version},
                     {"host", e.host},
                     {"pid", e.pid},
                     {"owner", e.owner},
                     {"started_at", e.started_at},
                     {"heartbeat_age_ms", s.now - e.heartbeat},
                     {"draining", e.draining},
                     {"leader", n.leader},
                     {"running_jobs", n.running_jobs},
                     {"state", state}});
  }
  json leader = nullptr;
  if (s.lease.leading) {
    leader = {{"owner", s.lease.holder},
              {"token", s.lease.token},
              {"acquired_at", s.lease.acquired_at},
              {"expires_in_ms", s.lease.expires_at - s.now},
              {"address", nullptr}};
    for (const auto& n : s.nodes)
      if (n.leader) leader["address"] = n.entry.address;
  }
  return {{"leader", leader}, {"nodes", nodes}, {"orphaned_running_jobs", s.orphaned_running_jobs}};
}

}  // namespace hypersdk::engine
