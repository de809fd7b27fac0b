#include "cli/upgrade_pg.h"

#include <chrono>

#include "store/node_versions.h"
#include "store/pg/pg_inspect.h"
#include "store/pg/pg_migrations.h"

namespace hypersdk::cli {

using nlohmann::json;

void upgrade_check_pg(const std::string& url, json& out, std::vector<std::string>& problems) {
  const core::TimeMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const int binary = store::pg::binary_schema_version();
  json d = {{"driver", "postgresql"},
            {"path", store::pg::redact_url(url)},
            {"binary_schema_version", binary},
            {"backup_before_migrate", false}};
  out["running_jobs"] = {{"count", 0}, {"ids", json::array()}};
  out["nodes"] = json::array();
  auto db = store::pg::PgDatabase::open_unmigrated(url);
  auto in = db ? store::pg::inspect(**db, now) : Result<store::pg::PgInspection>(db.error());
  if (!in) {
    d["exists"] = false;
    d["error"] = in.error().message;
    problems.push_back(in.error().message);
    out["database"] = std::move(d);
    return;
  }
  d["exists"] = in->has_schema;
  d["server_version"] = in->server_version;
  d["size_bytes"] = in->size_bytes;
  if (!in->has_schema) {  // the first start creates the schema
    d["schema_version"] = nullptr;
    d["pending_migrations"] = json::array();
    out["database"] = std::move(d);
    return;
  }
  d["schema_version"] = in->schema_version;
  json pending = json::array();
  for (const auto& m : store::pg::embedded_pg_migrations())
    if (m.version > in->schema_version) pending.push_back(m.name);
  d["pending_migrations"] = pending;
  // A gap, a foreign name or a newer schema: this binary would refuse or run on a schema it
  // does not know. Being behind is what the upgrade is for.
  for (auto& p : store::pg::migration_problems(in->applied))
    if (p.find(" is behind ") == std::string::npos) problems.push_back(std::move(p));
  out["database"] = std::move(d);

  json nodes = json::array();
  const auto blockers = store::migration_blockers(in->live_nodes, HYPERSDK_VERSION);
  for (const auto& n : in->live_nodes) {
    const bool older = store::compare_versions(n.version, HYPERSDK_VERSION) < 0;
    nodes.push_back({{"address", n.address},
                     {"version", n.version},
                     {"host", n.host},
                     {"pid", n.pid},
                     {"heartbeat_age_seconds", (now - n.heartbeat) / 1000},
                     {"older", older}});
  }
  out["nodes"] = std::move(nodes);
  if (!pending.empty() && !blockers.empty())
    problems.push_back(
        store::migration_blocked_error(blockers, in->schema_version, binary, now).message +
        " (this binary would refuse to start until then)");

  json ids = json::array();
  for (const auto& [id, owner] : in->running)
    ids.push_back({{"id", core::format_job_id(id)}, {"lease_owner", owner}});
  out["running_jobs"] = {{"count", in->running_jobs}, {"ids", ids}};
  if (in->running_jobs > 0)
    problems.push_back(
        std::to_string(in->running_jobs) +
        " job(s) running: wait for them (`hyperctl list --status=running`), drain "
        "their node (`hyperctl drain --server URL`), or accept that a restart hands them back "
        "to the queue to run again");
}

}  // namespace hypersdk::cli
