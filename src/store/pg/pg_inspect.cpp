#include "store/pg/pg_inspect.h"

#include <map>

#include "store/node_versions.h"
#include "store/pg/pg_migrations.h"

namespace hypersdk::store::pg {

namespace {
constexpr const char* kServer =
    "SELECT current_setting('server_version'), pg_database_size(current_database()),"
    " to_regclass('schema_version') IS NOT NULL, to_regclass('jobs') IS NOT NULL,"
    " to_regclass('servers') IS NOT NULL";
constexpr const char* kApplied =
    "SELECT version, name, to_char(applied_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    " FROM schema_version ORDER BY version";
constexpr const char* kJobCounts =
    "SELECT count(*), count(*) FILTER (WHERE status = 'running') FROM jobs";
constexpr const char* kRunning =
    "SELECT id, coalesce(lease_owner, '') FROM jobs WHERE status = 'running' ORDER BY id "
    "LIMIT 1000";
// Not PgServerRegistry::server_list_live: that reads columns a schema awaiting its
// migrations may not have yet (draining, owner), and this must read such a schema.
constexpr const char* kLiveNodes =
    "SELECT id, address, pid, host, version, started_at, heartbeat FROM servers"
    " WHERE heartbeat >= $1::bigint ORDER BY id";
// Only the schema hypersdk's tables live in (the connection's current schema).
constexpr const char* kInvalidIndexes =
    "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND (NOT i.indisvalid OR NOT i.indisready)"
    " ORDER BY 1";
constexpr const char* kUnvalidated =
    "SELECT t.relname || '.' || k.conname FROM pg_constraint k"
    " JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
    " WHERE n.nspname = current_schema() AND NOT k.convalidated ORDER BY 1";

std::string padded(int version) {
  std::string s = std::to_string(version);
  return std::string(s.size() < 4 ? 4 - s.size() : 0, '0') + s;
}
}  // namespace

int binary_schema_version() {
  const auto& m = embedded_pg_migrations();
  return m.empty() ? 0 : m.back().version;
}

Result<PgInspection> inspect(PgDatabase& db, core::TimeMs now) {
  PgInspection out;
  Status s = db.read([&](Tx& tx) {
    out = PgInspection{};
    Rows srv = tx.exec(kServer);
    out.server_version = srv.text(0, 0);
    out.size_bytes = srv.i64(0, 1);
    out.has_schema = srv.text(0, 2) == "t";
    const bool has_jobs = srv.text(0, 3) == "t";
    const bool has_servers = srv.text(0, 4) == "t";
    if (out.has_schema) {
      Rows r = tx.exec(kApplied);
      for (int i = 0; i < r.size(); ++i)
        out.applied.push_back({static_cast<int>(r.i64(i, 0)), r.text(i, 1), r.text(i, 2)});
      if (!out.applied.empty()) out.schema_version = out.applied.back().version;
    }
    if (has_jobs) {
      Rows c = tx.exec(kJobCounts);
      out.jobs = c.i64(0, 0);
      out.running_jobs = c.i64(0, 1);
      Rows r = tx.exec(kRunning);
      for (int i = 0; i < r.size(); ++i) out.running.emplace_back(r.i64(i, 0), r.text(i, 1));
    }
    if (has_servers) {
      Rows r = tx.exec(kLiveNodes, {p(static_cast<std::int64_t>(now - kNodeFreshMs))});
      for (int i = 0; i < r.size(); ++i) {
        ServerEntry e;
        e.id = r.i64(i, 0);
        e.address = r.text(i, 1);
        e.pid = r.i64(i, 2);
        e.host = r.text(i, 3);
        e.version = r.text(i, 4);
        e.started_at = r.i64(i, 5);
        e.heartbeat = r.i64(i, 6);
        out.live_nodes.push_back(std::move(e));
      }
    }
    Rows idx = tx.exec(kInvalidIndexes);
    for (int i = 0; i < idx.size(); ++i) out.invalid_indexes.push_back(idx.text(i, 0));
    Rows con = tx.exec(kUnvalidated);
    for (int i = 0; i < con.size(); ++i) out.unvalidated_constraints.push_back(con.text(i, 0));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

std::vector<std::string> migration_problems(const std::vector<AppliedMigration>& applied) {
  std::vector<std::string> out;
  std::map<int, std::string> known;
  for (const auto& m : embedded_pg_migrations()) known[m.version] = m.name;
  const int latest = binary_schema_version();
  std::map<int, const AppliedMigration*> have;
  for (const auto& a : applied) have[a.version] = &a;
  const int highest = applied.empty() ? 0 : have.rbegin()->first;
  for (int v = 1; v < highest; ++v)
    if (!have.count(v))
      out.push_back("migration " + (known.count(v) ? known[v] : padded(v)) +
                    " is not recorded as applied although " + padded(highest) +
                    " is: the schema may lack its tables (restore from a backup)");
  for (std::size_t i = 1; i < applied.size(); ++i)
    if (applied[i].applied_at < applied[i - 1].applied_at)
      out.push_back("migration " + padded(applied[i].version) + " was applied at " +
                    applied[i].applied_at + ", before " + padded(applied[i - 1].version) + " (at " +
                    applied[i - 1].applied_at + "): out of order");
  for (const auto& a : applied) {
    if (a.version > latest) continue;
    auto it = known.find(a.version);
    if (it != known.end() && it->second != a.name)
      out.push_back("migration " + padded(a.version) + " is recorded as '" + a.name +
                    "', this binary's is '" + it->second +
                    "': the database was migrated by a different build");
  }
  if (highest > latest)
    out.push_back("schema version " + std::to_string(highest) + " is newer than this binary's " +
                  std::to_string(latest) + ": upgrade hypersdk (it would refuse to start)");
  else if (highest < latest)
    out.push_back("schema version " + std::to_string(highest) + " is behind " +
                  std::to_string(latest) + ": run 'hypersdk db migrate'");
  return out;
}

std::vector<std::string> integrity_problems(const PgInspection& in) {
  std::vector<std::string> out;
  for (const auto& i : in.invalid_indexes)
    out.push_back("index " + i +
                  " is invalid (a failed CREATE INDEX CONCURRENTLY?): REINDEX INDEX " + i);
  for (const auto& c : in.unvalidated_constraints)
    out.push_back("constraint " + c +
                  " is not validated (added NOT VALID): ALTER TABLE ... VALIDATE CONSTRAINT");
  return out;
}

}  // namespace hypersdk::store::pg
