#include "store/pg/pg_backend.h"

#include "store/pg/pg_leader_lease.h"
#include "store/pg/pg_server_registry.h"

#include "store/pg/pg_audit_log.h"
#include "store/pg/pg_backup_store.h"
#include "store/pg/pg_migrations.h"
#include "store/pg/pg_outbox.h"
#include "store/pg/pg_schedule_fire_runs.h"
#include "store/pg/pg_store.h"
#include "store/pg/pg_upload_store.h"

namespace hypersdk::store::pg {

namespace {
// store/job_stats.cpp's and sqlite_workflow_stats.cpp's reads in PostgreSQL's dialect.
constexpr const char* kOutcomeCounts =
    "SELECT type, schedule_id, count(*) FILTER (WHERE status = 'succeeded'),"
    " count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'cancelled')"
    " FROM jobs WHERE finished_at >= $1::bigint"
    " AND status IN ('succeeded', 'failed', 'cancelled') GROUP BY type, schedule_id";
constexpr const char* kOldestDue =
    "SELECT min(run_at) FROM jobs WHERE status = 'queued' AND run_at <= $1::bigint";
constexpr const char* kLastEvent = "SELECT coalesce(max(id), 0) FROM events";
constexpr const char* kCountWorkflows = "SELECT status, count(*) FROM workflows GROUP BY status";
}  // namespace

PgBackend::PgBackend(std::shared_ptr<PgDatabase> db) : db_(std::move(db)) {
  store = std::make_shared<PgStore>(db_);
  outbox = std::make_shared<PgOutbox>(db_);
  audit = std::make_shared<PgAuditLog>(db_);
  backups = std::make_shared<PgBackupStore>(db_);
  uploads = std::make_shared<PgUploadStore>(db_);
  fire_runs = std::make_shared<PgScheduleFireRuns>(db_);
  servers = std::make_shared<PgServerRegistry>(*db_);
  leader_lease = std::make_shared<PgLeaderLease>(*db_);
}

int PgBackend::schema_version_wanted() const {
  const auto& m = embedded_pg_migrations();
  return m.empty() ? 0 : m.back().version;
}

WriteHealth PgBackend::write_health() const {
  const PgWriteHealth h = db_->write_health();
  WriteHealth out;
  out.failing = h.failing;
  out.reason = h.reason;
  out.failures = h.failures;
  out.episodes = h.episodes;
  out.last_reason = h.last_reason;
  return out;
}

Result<std::vector<OutcomeCount>> PgBackend::job_outcome_counts(core::TimeMs since) {
  std::vector<OutcomeCount> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    Rows r = tx.exec(kOutcomeCounts, {p(static_cast<std::int64_t>(since))});
    for (int i = 0; i < r.size(); ++i)
      out.push_back({r.text(i, 0), r.opt_i64(i, 1), r.i64(i, 2), r.i64(i, 3), r.i64(i, 4)});
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::optional<core::TimeMs>> PgBackend::job_oldest_due(core::TimeMs now) {
  std::optional<core::TimeMs> out;
  Status s = db_->read([&](Tx& tx) {
    Rows r = tx.exec(kOldestDue, {p(static_cast<std::int64_t>(now))});
    out = r.empty() ? std::nullopt : r.opt_i64(0, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::int64_t> PgBackend::event_last_id() {
  std::int64_t out = 0;
  Status s = db_->read([&](Tx& tx) {
    out = tx.exec(kLastEvent).i64(0, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::map<std::string, std::int64_t>> PgBackend::workflow_count_by_status() {
  std::map<std::string, std::int64_t> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    Rows r = tx.exec(kCountWorkflows);
    for (int i = 0; i < r.size(); ++i) out[r.text(i, 0)] = r.i64(i, 1);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store::pg
