// The audit log's emergency runs and the events table, read from the PostgreSQL store
// (as sqlite_schedules.cpp reads them): audit entries newest first, events oldest first.
#include <algorithm>

#include "store/pg/pg_store.h"

namespace hypersdk::store::pg {

namespace {

constexpr const char* kAuditList =
    "SELECT id, at, actor, action, subject, reason, job_id, details FROM audit_log"
    " WHERE action = 'schedule.emergency_run' ORDER BY id DESC LIMIT $1::bigint";
constexpr const char* kEventList =
    "SELECT id, kind, severity, subject, payload, created_at FROM events WHERE id > $1::bigint"
    " ORDER BY id LIMIT $2::bigint";

}  // namespace

Result<std::vector<AuditEntry>> PgStore::audit_list(int limit) {
  std::vector<AuditEntry> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    Rows r = tx.exec(kAuditList, {p(std::clamp(limit, 1, 10'000))});
    for (int i = 0; i < r.size(); ++i) {
      AuditEntry a;
      a.id = r.i64(i, 0);
      a.at = r.i64(i, 1);
      a.actor = r.text(i, 2);
      a.action = r.text(i, 3);
      a.subject = r.text(i, 4);
      a.reason = r.text(i, 5);
      a.job_id = r.opt_i64(i, 6);
      a.details = r.text(i, 7);
      out.push_back(std::move(a));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Event>> PgStore::event_list(std::int64_t after_id, int limit) {
  std::vector<Event> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    Rows r = tx.exec(kEventList, {p(after_id), p(std::clamp(limit, 1, 10'000))});
    for (int i = 0; i < r.size(); ++i) {
      Event e;
      e.id = r.i64(i, 0);
      e.kind = r.text(i, 1);
      e.severity = r.text(i, 2);
      e.subject = r.text(i, 3);
      e.payload = r.text(i, 4);
      e.created_at = r.i64(i, 5);
      out.push_back(std::move(e));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store::pg
