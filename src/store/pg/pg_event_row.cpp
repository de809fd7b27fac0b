#include "store/pg/pg_event_row.h"
#include "store/pg/pg_arrays.h"

#include <map>

#include <nlohmann/json.hpp>

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
constexpr const char* kJobsFacts =
    "SELECT j.type, j.status, j.target, j.provider, j.attempt, j.labels, j.error_class,"
    " j.error_message, j.result, j.started_at, j.finished_at, s.name, w.name, j.step_name, j.id"
    " FROM jobs j LEFT JOIN schedules s ON s.id = j.schedule_id"
    " LEFT JOIN workflows w ON w.id = j.workflow_id WHERE j.id = ANY($1::bigint[])";
// The events as one JSON array of {kind, severity, subject, payload}: one statement for all.
constexpr const char* kInsertEvents =
    "INSERT INTO events (kind, severity, subject, payload, created_at)"
    " SELECT kind, severity, subject, payload, $2::bigint"
    " FROM json_to_recordset($1::json) AS e(n int, kind text, severity text, subject text,"
    " payload text) ORDER BY n";

detail::JobEventRow event_row(const Rows& r, int i) {
  return detail::JobEventRow{.type = r.text(i, 0),
                             .status = r.text(i, 1),
                             .target = r.text(i, 2),
                             .provider = r.text(i, 3),
                             .labels = r.text(i, 5),
                             .error_class = r.text(i, 6),
                             .error_message = r.text(i, 7),
                             .result = r.text(i, 8),
                             .attempt = static_cast<int>(r.i64(i, 4)),
                             .started_at = r.opt_i64(i, 9),
                             .finished_at = r.opt_i64(i, 10),
                             .schedule = r.opt_text(i, 11),
                             .workflow = r.opt_text(i, 12),
                             .step = r.opt_text(i, 13)};
}
}  // namespace

void pg_job_events(Tx& tx, const std::vector<core::JobId>& ids, std::string_view kind,
                   core::TimeMs now) {
  std::vector<PgJobEvent> events;
  events.reserve(ids.size());
  for (core::JobId id : ids) events.push_back({.id = id, .kind = kind, .facts = {}});
  pg_job_events(tx, events, now);
}

void pg_job_events(Tx& tx, const std::vector<PgJobEvent>& events, core::TimeMs now) {
  if (events.empty()) return;
  std::vector<std::int64_t> ids;
  ids.reserve(events.size());
  for (const auto& e : events) ids.push_back(e.id);
  auto r = tx.exec(kJobsFacts, {p(int_array(ids))});
  std::map<core::JobId, int> row_of;
  for (int i = 0; i < r.size(); ++i) row_of[r.i64(i, 14)] = i;
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t n = 0; n < events.size(); ++n) {
    const PgJobEvent& e = events[n];
    auto it = row_of.find(e.id);
    if (it == row_of.end()) continue;
    auto [severity, payload] =
        detail::job_event_payload(e.id, e.kind, now, event_row(r, it->second), e.facts);
    rows.push_back({{"n", n},
                    {"kind", e.kind},
                    {"severity", severity},
                    {"subject", core::format_job_id(e.id)},
                    {"payload", payload}});
  }
  if (rows.empty()) return;
  tx.exec(kInsertEvents, {p(rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)),
                          p(std::int64_t{now})});
}

void pg_event_insert(Tx& tx, std::string_view kind, std::string_view severity,
                     std::string_view subject, const std::string& payload_json, core::TimeMs now) {
  tx.exec(kInsertEvent, {p(std::string(kind)), p(std::string(severity)), p(std::string(subject)),
                         p(payload_json), p(std::int64_t{now})});
}

void pg_job_event(Tx& tx, core::JobId id, std::string_view kind, core::TimeMs now,
                  detail::JobEventFacts facts) {
  auto r = tx.exec(kJobFacts, {p(std::int64_t{id})});
  if (r.empty()) return;
  const auto row = event_row(r, 0);
  auto [severity, payload] = detail::job_event_payload(id, kind, now, row, facts);
  pg_event_insert(tx, kind, severity, core::format_job_id(id), payload, now);
}

}  // namespace hypersdk::store::pg
