#include "store/pg/pg_audit_log.h"

#include <algorithm>

namespace hypersdk::store::pg {
namespace {

constexpr const char* kInsert =
    "INSERT INTO audit_log (at, actor, action, subject, reason, job_id, details, request_id,"
    " source) VALUES ($1::bigint, $2, $3, $4, $5, $6::bigint, $7, $8, $9) RETURNING id";
// NULL parameters are "no filter".
constexpr const char* kQuery =
    "SELECT id, at, actor, action, subject, reason, job_id, details, request_id, source"
    " FROM audit_log WHERE ($1::bigint IS NULL OR at >= $1::bigint)"
    " AND ($2::text IS NULL OR actor = $2::text) AND ($4::text IS NULL OR action = $4::text)"
    " ORDER BY id DESC LIMIT $3::bigint";
constexpr const char* kPrune =
    "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1::bigint"
    " ORDER BY at LIMIT $2::bigint)";

}  // namespace

Result<std::int64_t> PgAuditLog::audit_append(const AuditRecord& r) {
  std::int64_t id = 0;
  const AuditEntry& e = r.entry;
  // READ COMMITTED: an append reads nothing, so it can never conflict.
  Status s = db_->write(
      [&](Tx& tx) {
        Rows row = tx.exec(
            kInsert, {p(static_cast<std::int64_t>(e.at)), p(e.actor), p(e.action), p(e.subject),
                      p(e.reason), e.job_id ? p(static_cast<std::int64_t>(*e.job_id)) : Param{},
                      p(e.details.empty() ? std::string("{}") : e.details),
                      r.request_id.empty() ? Param{} : Param{r.request_id}, p(r.source)});
        if (row.empty()) return Status(make_error(ErrorClass::internal, "no id returned"));
        id = row.i64(0, 0);
        return Status::Ok();
      },
      Isolation::read_committed);
  if (!s.ok()) return s.error();
  return id;
}

Result<std::vector<AuditRecord>> PgAuditLog::audit_query(const AuditQuery& q) {
  return db_->read_value([&](Tx& tx) {
    std::vector<AuditRecord> out;
    Rows r =
        tx.exec(kQuery, {q.since ? p(static_cast<std::int64_t>(*q.since)) : Param{},
                         q.actor ? Param{*q.actor} : Param{}, p(std::clamp(q.limit, 1, 10'000)),
                         q.action ? Param{*q.action} : Param{}});
    for (int i = 0; i < r.size(); ++i) {
      AuditRecord rec;
      AuditEntry& a = rec.entry;
      a.id = r.i64(i, 0);
      a.at = r.i64(i, 1);
      a.actor = r.text(i, 2);
      a.action = r.text(i, 3);
      a.subject = r.text(i, 4);
      a.reason = r.text(i, 5);
      a.job_id = r.opt_i64(i, 6);
      a.details = r.text(i, 7);
      rec.request_id = r.text(i, 8);  // NULL reads as ""
      rec.source = r.text(i, 9);
      out.push_back(std::move(rec));
    }
    return out;
  });
}

Result<int> PgAuditLog::audit_prune(core::TimeMs before, int batch) {
  return db_->write_value(
      [&](Tx& tx) {
        return static_cast<int>(
            tx.exec(kPrune, {p(static_cast<std::int64_t>(before)), p(std::max(1, batch))})
                .affected());
      },
      Isolation::read_committed);
}

}  // namespace hypersdk::store::pg
