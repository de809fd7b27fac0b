// Schedule definitions in the PostgreSQL store: create, update, get, list, page, delete,
// pause/resume, the change generation, occurrences and pruning. Firing is in
// pg_schedule_fire.cpp. Same statements as sqlite_schedules.cpp, in PostgreSQL's dialect:
// names compare and sort bytewise (COLLATE "C", SQLite's BINARY) so pages and lists come back
// in the same order on both stores.
#include <algorithm>

#include "store/pg/pg_schedule_row.h"
#include "store/pg/pg_store.h"
#include "store/schedule_row.h"

namespace hypersdk::store::pg {
using namespace detail;

namespace {

constexpr const char* kInsertSchedule =
    "INSERT INTO schedules (" HYPERSDK_SCHEDULE_SPEC_COLUMNS
    ", paused, cursor_ms, version, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
    " $19, $20, $21, $22, 0, $23, 1, $23, $23)"
    " RETURNING " HYPERSDK_SCHEDULE_COLUMNS;
constexpr const char* kUpdateSchedule =
    "UPDATE schedules SET (" HYPERSDK_SCHEDULE_SPEC_COLUMNS
    ") = ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,"
    " $20, $21, $22),"
    " cursor_ms = CASE WHEN $23::bigint <> 0 THEN GREATEST(cursor_ms, $24::bigint)"
    " ELSE cursor_ms END,"
    " version = version + 1, updated_at = $24::bigint"
    " WHERE name = $25 RETURNING " HYPERSDK_SCHEDULE_COLUMNS;
constexpr const char* kScheduleByName =
    "SELECT " HYPERSDK_SCHEDULE_COLUMNS " FROM schedules WHERE name = $1";
constexpr const char* kScheduleById =
    "SELECT " HYPERSDK_SCHEDULE_COLUMNS " FROM schedules WHERE id = $1::bigint";
constexpr const char* kScheduleList =
    "SELECT " HYPERSDK_SCHEDULE_COLUMNS " FROM schedules ORDER BY name COLLATE \"C\"";
// $2: the name glob as a regular expression (glob_to_regex), '' = any.
constexpr const char* kSchedulePage =
    "SELECT " HYPERSDK_SCHEDULE_COLUMNS
    " FROM schedules WHERE name COLLATE \"C\" > $1::text"
    " AND ($2::text = '' OR name ~ $2::text) AND ($3::bigint IS NULL OR paused = $3::bigint)"
    " AND ($4::text = '' OR provider = $4::text) ORDER BY name COLLATE \"C\" LIMIT $5::bigint";
constexpr const char* kDeleteSchedule = "DELETE FROM schedules WHERE name = $1";
constexpr const char* kSetPaused =
    "UPDATE schedules SET paused = $1::bigint,"
    " cursor_ms = CASE WHEN $1::bigint = 0 THEN GREATEST(cursor_ms, $2::bigint)"
    " ELSE cursor_ms END,"
    " version = version + 1, updated_at = $2::bigint"
    " WHERE name = $3 RETURNING " HYPERSDK_SCHEDULE_COLUMNS;
constexpr const char* kBumpGeneration =
    "UPDATE schedule_generation SET generation = generation + 1 WHERE id = 1";
constexpr const char* kGeneration = "SELECT generation FROM schedule_generation WHERE id = 1";
constexpr const char* kOccurrences = "SELECT " HYPERSDK_OCCURRENCE_COLUMNS
                                     " FROM schedule_occurrences WHERE schedule_id = $1::bigint"
                                     " ORDER BY nominal_fire_utc DESC LIMIT $2::bigint";
constexpr const char* kPruneOccurrences =
    "DELETE FROM schedule_occurrences WHERE id IN (SELECT id FROM schedule_occurrences"
    " WHERE nominal_fire_utc < $1::bigint LIMIT 5000)";
constexpr const char* kPruneEvents =
    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < $1::bigint"
    " AND dispatched_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deliveries"
    " WHERE event_id = events.id AND status = 'pending') LIMIT 5000)";

Error no_such_schedule(const std::string& name) {
  return make_error(ErrorClass::not_found, "no schedule \"" + name + "\"");
}

Error name_taken(const std::string& name) {
  return make_error(ErrorClass::conflict, "a schedule named \"" + name + "\" already exists");
}

bool name_exists(Tx& tx, const std::string& name) {
  return !tx.exec(kScheduleByName, {p(name)}).empty();
}

void bump_generation(Tx& tx) {
  tx.exec(kBumpGeneration);
}

}  // namespace

Result<Schedule> PgStore::schedule_create(const ScheduleSpec& spec, TimeMs now) {
  Result<Schedule> out = no_such_schedule(spec.name);
  Status s = db_->write([&](Tx& tx) {
    // Checked first so the answer is a clear conflict rather than a constraint message (two
    // nodes creating the same name at once: the loser's insert fails 23505, also conflict).
    if (name_exists(tx, spec.name)) return Status(name_taken(spec.name));
    auto params = schedule_spec_params(spec);
    params.push_back(p(static_cast<std::int64_t>(now)));
    out = read_schedule(tx.exec(kInsertSchedule, params), 0);
    bump_generation(tx);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Schedule> PgStore::schedule_update(const std::string& name, const ScheduleSpec& spec,
                                          bool reset_cursor, TimeMs now) {
  Result<Schedule> out = no_such_schedule(name);
  Status s = db_->write([&](Tx& tx) {
    if (spec.name != name && name_exists(tx, spec.name)) return Status(name_taken(spec.name));
    auto params = schedule_spec_params(spec);
    params.push_back(p(reset_cursor));
    params.push_back(p(static_cast<std::int64_t>(now)));
    params.push_back(p(name));
    Rows r = tx.exec(kUpdateSchedule, params);
    if (r.empty()) return Status(no_such_schedule(name));
    out = read_schedule(r, 0);
    bump_generation(tx);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Schedule> PgStore::schedule_get(const std::string& name) {
  Result<Schedule> out = no_such_schedule(name);
  Status s = db_->read([&](Tx& tx) {
    Rows r = tx.exec(kScheduleByName, {p(name)});
    if (!r.empty()) out = read_schedule(r, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Schedule> PgStore::schedule_get_by_id(ScheduleId id) {
  Result<Schedule> out =
      make_error(ErrorClass::not_found, "no schedule with id " + std::to_string(id));
  Status s = db_->read([&](Tx& tx) {
    Rows r = tx.exec(kScheduleById, {p(static_cast<std::int64_t>(id))});
    if (!r.empty()) out = read_schedule(r, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Schedule>> PgStore::schedule_list() {
  std::vector<Schedule> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    Rows r = tx.exec(kScheduleList);
    for (int i = 0; i < r.size(); ++i) out.push_back(read_schedule(r, i));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Schedule>> PgStore::schedule_page(const ScheduleFilter& f) {
  std::vector<Schedule> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    Rows r = tx.exec(
        kSchedulePage,
        {p(f.after), p(f.name_glob.empty() ? std::string() : glob_to_regex(f.name_glob)),
         f.paused ? p(*f.paused) : Param(), p(f.provider), p(std::clamp(f.limit, 1, 1000))});
    for (int i = 0; i < r.size(); ++i) out.push_back(read_schedule(r, i));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status PgStore::schedule_delete(const std::string& name) {
  return db_->write([&](Tx& tx) {
    if (tx.exec(kDeleteSchedule, {p(name)}).affected() == 0) return Status(no_such_schedule(name));
    bump_generation(tx);
    return Status::Ok();
  });
}

Result<Schedule> PgStore::schedule_set_paused(const std::string& name, bool paused, TimeMs now) {
  Result<Schedule> out = no_such_schedule(name);
  Status s = db_->write([&](Tx& tx) {
    Rows r = tx.exec(kSetPaused, {p(paused), p(static_cast<std::int64_t>(now)), p(name)});
    if (r.empty()) return Status(no_such_schedule(name));
    out = read_schedule(r, 0);
    bump_generation(tx);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::int64_t> PgStore::schedule_generation() {
  std::int64_t g = 0;
  Status s = db_->read([&](Tx& tx) {
    Rows r = tx.exec(kGeneration);
    if (!r.empty()) g = r.i64(0, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return g;
}

Result<std::vector<Occurrence>> PgStore::schedule_occurrences(ScheduleId id, int limit) {
  std::vector<Occurrence> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    Rows r =
        tx.exec(kOccurrences, {p(static_cast<std::int64_t>(id)), p(std::clamp(limit, 1, 10'000))});
    for (int i = 0; i < r.size(); ++i) out.push_back(read_occurrence(r, i));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<int> PgStore::schedule_prune(TimeMs before) {
  // One small batch per call (as job_prune): short write transactions, and the caller can stop.
  int n = 0;
  Status s = db_->write([&](Tx& tx) {
    n = 0;
    for (const char* sql : {kPruneOccurrences, kPruneEvents})
      n += static_cast<int>(tx.exec(sql, {p(static_cast<std::int64_t>(before))}).affected());
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return n;
}

}  // namespace hypersdk::store::pg
