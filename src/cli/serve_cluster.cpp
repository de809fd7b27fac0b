#include "cli/serve_cluster.h"

#include "engine/clock.h"
#include "engine/cluster_status.h"
#include "ops/log.h"
#include "store/leader_lease.h"
#include "store/server_registry.h"

namespace hypersdk::cli {

void add_cluster_parts(api::ApiDeps& deps, engine::Runtime& rt, ServerRegistration& registration) {
  deps.cluster = [&rt]() -> Result<nlohmann::json> {
    auto status =
        engine::read_cluster_status(*rt.backend().servers, *rt.backend().leader_lease, rt.store(),
                                    engine::SystemClock().now_ms(), kServerFresh);
    if (!status) return status.error();
    return engine::cluster_status_json(*status);
  };
  deps.drain = [&rt, &registration]() -> Result<nlohmann::json> {
    rt.drain();
    // The engine side is what matters (no claims); the registry flag is what other nodes and
    // `cluster status` see, so a failure to set it is reported, not hidden.
    Status s = registration.set_draining();
    if (!s.ok())
      ops::log::warn("draining, but the server registry does not say so",
                     {{"error", s.error().message}});
    return nlohmann::json{
        {"draining", true}, {"running_jobs", rt.pool().running()}, {"registry_updated", s.ok()}};
  };
}

}  // namespace hypersdk::cli
