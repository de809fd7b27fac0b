#include "store/audit_log.h"

#include <algorithm>

namespace hypersdk::store {
namespace {

constexpr const char* kInsert =
    "INSERT INTO audit_log (at, actor, action, subject, reason, job_id, details, request_id,"
    " source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
// NULL parameters are "no filter"; the actor filter uses audit_log_by_actor, the time one
// audit_log_by_time.
constexpr const char* kQuery =
    "SELECT id, at, actor, action, subject, reason, job_id, details, request_id, source"
    " FROM audit_log WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR actor = ?2)"
    " AND (?4 IS NULL OR action = ?4) ORDER BY id DESC LIMIT ?3";
constexpr const char* kPrune =
    "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? ORDER BY at"
    " LIMIT ?)";

}  // namespace

Result<std::int64_t> SqliteAuditLog::audit_append(const AuditRecord& r) {
  std::int64_t id = 0;
  const AuditEntry& e = r.entry;
  Status s = db_->write([&](Connection& c) {
    auto& st = c.stmt(kInsert);
    st.bind(1, static_cast<std::int64_t>(e.at));
    st.bind(2, e.actor);
    st.bind(3, e.action);
    st.bind(4, e.subject);
    st.bind(5, e.reason);
    if (e.job_id)
      st.bind(6, static_cast<std::int64_t>(*e.job_id));
    else
      st.bind(6);
    st.bind(7, e.details.empty() ? std::string("{}") : e.details);
    if (r.request_id.empty())
      st.bind(8);
    else
      st.bind(8, r.request_id);
    st.bind(9, r.source);
    if (!st.executeStep()) return Status(make_error(ErrorClass::internal, "no id returned"));
    id = st.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return id;
}

Result<std::vector<AuditRecord>> SqliteAuditLog::audit_query(const AuditQuery& q) {
  std::vector<AuditRecord> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kQuery);
    if (q.since)
      st.bind(1, static_cast<std::int64_t>(*q.since));
    else
      st.bind(1);
    if (q.actor)
      st.bind(2, *q.actor);
    else
      st.bind(2);
    st.bind(3, std::clamp(q.limit, 1, 10'000));
    if (q.action)
      st.bind(4, *q.action);
    else
      st.bind(4);
    while (st.executeStep()) {
      AuditRecord r;
      AuditEntry& a = r.entry;
      a.id = st.getColumn(0).getInt64();
      a.at = st.getColumn(1).getInt64();
      a.actor = st.getColumn(2).getString();
      a.action = st.getColumn(3).getString();
      a.subject = st.getColumn(4).getString();
      a.reason = st.getColumn(5).getString();
      if (!st.getColumn(6).isNull()) a.job_id = st.getColumn(6).getInt64();
      a.details = st.getColumn(7).getString();
      r.request_id = st.getColumn(8).getString();  // NULL reads as ""
      r.source = st.getColumn(9).getString();
      out.push_back(std::move(r));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<int> SqliteAuditLog::audit_prune(core::TimeMs before, int batch) {
  int n = 0;
  Status s = db_->write([&](Connection& c) {
    auto& st = c.stmt(kPrune);
    st.bind(1, static_cast<std::int64_t>(before));
    st.bind(2, std::max(1, batch));
    n = st.exec();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return n;
}

}  // namespace hypersdk::store
