// `upgrade check` on PostgreSQL (cmd_upgrade.cpp calls it when db.url is set): the same report
// keys as on SQLite ("database", "running_jobs") plus "nodes", the live serves and their
// versions. What this binary would do at its first start: apply the pending migrations in one
// transaction under an advisory lock, which it refuses while a live node runs an older
// hypersdk (store/node_versions.h), so such a node is a problem when migrations are pending.
// PostgreSQL takes no backup before migrating: the report says to run `db backup` (pg_dump).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hypersdk::cli {

// Fills out["database"], out["running_jobs"], out["nodes"]; appends what makes the upgrade
// unsafe to `problems`. Never changes the database.
void upgrade_check_pg(const std::string& url, nlohmann::json& out,
                      std::vector<std::string>& problems);

}  // namespace hypersdk::cli
