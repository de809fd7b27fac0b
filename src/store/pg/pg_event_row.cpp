#include "store/pg/pg_event_row.h"

namespace hypersdk::store::pg {

namespace {
constexpr const char* kInsertEvent =
    "INSERT INTO events (kind, severity, subject, payload, created_at)"
    " VALUES ($1, $2, $3, $4, $5::bigint)";
constexpr const char* kJobFacts =
    "SELECT j.type, j.status, j.target, j.provider, j.attempt, j.labels, j.error_class,"
    " j.error_message, j.result, j.started_at, j.finished_at, s.name, w.name, j.step_name"
    " FROM jobs j LEFT JOIN schedules s ON s.id = j.schedule_id"
    " LEFT JOIN workflows w ON w.id = j.workflow_id WHERE j.id = $1::bigint";
}  // namespace

void pg_event_insert(Tx& tx, std::string_view kind, std::string_view severity,
                     std::string_view subject, const std::string& payload_json, core::TimeMs now) {
  tx.exec(kInsertEvent, {p(std::string(kind)), p(std::string(severity)), p(std::string(subject)),
                         p(payload_json), p(std::int64_t{now})});
}

void pg_job_event(Tx& tx, core::JobId id, std::string_view kind, core::TimeMs now,
                  detail::JobEventFacts facts) {
  auto r = tx.exec(kJobFacts, {p(std::int64_t{id})});
  if (r.empty()) return;
  detail::JobEventRow row{.type = r.text(0, 0),
                          .status = r.text(0, 1),
                          .target = r.text(0, 2),
                          .provider = r.text(0, 3),
                          .labels = r.text(0, 5),
                          .error_class = r.text(0, 6),
                          .error_message = r.text(0, 7),
                          .result = r.text(0, 8),
                          .attempt = static_cast<int>(r.i64(0, 4)),
                          .started_at = r.opt_i64(0, 9),
                          .finished_at = r.opt_i64(0, 10),
                          .schedule = r.opt_text(0, 11),
                          .workflow = r.opt_text(0, 12),
                          .step = r.opt_text(0, 13)};
  auto [severity, payload] = detail::job_event_payload(id, kind, now, row, facts);
  pg_event_insert(tx, kind, severity, core::format_job_id(id), payload, now);
}

}  // namespace hypersdk::store::pg
