// Schedule definitions in the SQLite store: create, update, get, list, delete, pause/resume,
// the change generation, occurrences and the audit log. Firing is in sqlite_schedule_fire.cpp.
#include "store/hot_statements.h"
#include "store/schedule_arm.h"
#include "store/schedule_row.h"
#include "store/sqlite_store.h"

namespace hypersdk::store {
using namespace detail;

namespace {

constexpr const char* kInsertSchedule =
    "INSERT INTO schedules (" HYPERSDK_SCHEDULE_SPEC_COLUMNS
    ", paused, cursor_ms, version, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
    " ?20, ?21, ?22, 0, ?23, 1, ?23, ?23)"
    " RETURNING " HYPERSDK_SCHEDULE_COLUMNS;
constexpr const char* kUpdateSchedule =
    "UPDATE schedules SET (" HYPERSDK_SCHEDULE_SPEC_COLUMNS
    ") = (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
    " ?20, ?21, ?22),"
    " cursor_ms = CASE WHEN ?23 THEN max(cursor_ms, ?24) ELSE cursor_ms END,"
    " version = version + 1, updated_at = ?24"
    " WHERE name = ?25 RETURNING " HYPERSDK_SCHEDULE_COLUMNS;
constexpr const char* kScheduleByName =
    "SELECT " HYPERSDK_SCHEDULE_COLUMNS " FROM schedules WHERE name = ?";
constexpr const char* kScheduleById =
    "SELECT " HYPERSDK_SCHEDULE_COLUMNS " FROM schedules WHERE id = ?";
constexpr const char* kScheduleList =
    "SELECT " HYPERSDK_SCHEDULE_COLUMNS " FROM schedules ORDER BY name";
// No ORDER BY: the scheduler keys them by id; rowid order reads the table front to back.
constexpr const char* kScheduleTimingList =
    "SELECT " HYPERSDK_SCHEDULE_TIMING_COLUMNS " FROM schedules";
constexpr const char* kSchedulePage =
    "SELECT " HYPERSDK_SCHEDULE_COLUMNS
    " FROM schedules WHERE name > ?1"
    " AND (?2 = '' OR name GLOB ?2) AND (?3 IS NULL OR paused = ?3)"
    " AND (?4 = '' OR provider = ?4) ORDER BY name LIMIT ?5";
constexpr const char* kDeleteSchedule = "DELETE FROM schedules WHERE name = ?";
constexpr const char* kSetPaused =
    "UPDATE schedules SET paused = ?1,"
    " cursor_ms = CASE WHEN ?1 = 0 THEN max(cursor_ms, ?2) ELSE cursor_ms END,"
    " version = version + 1, updated_at = ?2"
    " WHERE name = ?3 RETURNING " HYPERSDK_SCHEDULE_COLUMNS;
constexpr const char* kBumpGeneration =
    "UPDATE schedule_generation SET generation = generation + 1 WHERE id = 1";
constexpr const char* kGeneration = "SELECT generation FROM schedule_generation WHERE id = 1";
constexpr const char* kOccurrences =
    "SELECT " HYPERSDK_OCCURRENCE_COLUMNS
    " FROM schedule_occurrences WHERE schedule_id = ? ORDER BY nominal_fire_utc DESC LIMIT ?";
constexpr const char* kAuditList =
    "SELECT id, at, actor, action, subject, reason, job_id, details FROM audit_log"
    " WHERE action = 'schedule.emergency_run' ORDER BY id DESC LIMIT ?";
constexpr const char* kEventList =
    "SELECT id, kind, severity, subject, payload, created_at FROM events WHERE id > ?"
    " ORDER BY id LIMIT ?";

constexpr const char* kPruneOccurrences =
    "DELETE FROM schedule_occurrences WHERE id IN (SELECT id FROM schedule_occurrences"
    " WHERE nominal_fire_utc < ? LIMIT 5000)";
constexpr const char* kPruneEvents =
    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < ?"
    " AND dispatched_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deliveries"
    " WHERE event_id = events.id AND status = 'pending') LIMIT 5000)";

Error no_such_schedule(const std::string& name) {
  return make_error(ErrorClass::not_found, "no schedule \"" + name + "\"");
}

Error name_taken(const std::string& name) {
  return make_error(ErrorClass::conflict, "a schedule named \"" + name + "\" already exists");
}

bool name_exists(Connection& c, const std::string& name) {
  auto& st = c.stmt(kScheduleByName);
  st.bind(1, name);
  return st.executeStep();
}

void bump_generation(Connection& c) {
  c.stmt(kBumpGeneration).exec();
}

}  // namespace

namespace detail {
void add_hot_schedule_statements(std::vector<HotStatement>& out) {
  out.push_back({"schedule.occurrences", kOccurrences});
  out.push_back({"events.list", kEventList});
  out.push_back({"prune.occurrences", kPruneOccurrences});
  out.push_back({"prune.events", kPruneEvents});
  add_hot_schedule_fire_statements(out);
}
}  // namespace detail

Result<Schedule> SqliteStore::schedule_create(const ScheduleSpec& spec, TimeMs now) {
  Result<Schedule> out = no_such_schedule(spec.name);
  Status s = db_->write([&](Connection& c) {
    // Checked first so the answer is a clear conflict rather than a constraint message.
    if (name_exists(c, spec.name)) return Status(name_taken(spec.name));
    auto& st = c.stmt(kInsertSchedule);
    bind_schedule_spec(st, spec);
    st.bind(kScheduleSpecColumns + 1, static_cast<std::int64_t>(now));
    st.executeStep();
    out = read_schedule(st);
    st.reset();
    bump_generation(c);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Schedule> SqliteStore::schedule_update(const std::string& name, const ScheduleSpec& spec,
                                              bool reset_cursor, TimeMs now) {
  Result<Schedule> out = no_such_schedule(name);
  Status s = db_->write([&](Connection& c) {
    if (spec.name != name && name_exists(c, spec.name)) return Status(name_taken(spec.name));
    schedule_disarm_named_in(c, name);  // armed as the schedule was: the fire re-decides
    auto& st = c.stmt(kUpdateSchedule);
    bind_schedule_spec(st, spec);
    st.bind(kScheduleSpecColumns + 1, reset_cursor ? 1 : 0);
    st.bind(kScheduleSpecColumns + 2, static_cast<std::int64_t>(now));
    st.bind(kScheduleSpecColumns + 3, name);
    if (!st.executeStep()) return Status(no_such_schedule(name));
    out = read_schedule(st);
    st.reset();
    bump_generation(c);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Schedule> SqliteStore::schedule_get(const std::string& name) {
  Result<Schedule> out = no_such_schedule(name);
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kScheduleByName);
    st.bind(1, name);
    if (st.executeStep()) out = read_schedule(st);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Schedule> SqliteStore::schedule_get_by_id(ScheduleId id) {
  Result<Schedule> out =
      make_error(ErrorClass::not_found, "no schedule with id " + std::to_string(id));
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kScheduleById);
    st.bind(1, static_cast<std::int64_t>(id));
    if (st.executeStep()) out = read_schedule(st);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Schedule>> SqliteStore::schedule_list() {
  std::vector<Schedule> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kScheduleList);
    while (st.executeStep()) out.push_back(read_schedule(st));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Schedule>> SqliteStore::schedule_list_timing() {
  std::vector<Schedule> out;
  Status s = db_->read([&](Connection& c) {
    out.clear();
    auto& st = c.stmt(kScheduleTimingList);
    while (st.executeStep()) out.push_back(read_schedule_timing(st));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Schedule>> SqliteStore::schedule_page(const ScheduleFilter& f) {
  std::vector<Schedule> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kSchedulePage);
    st.bind(1, f.after);
    st.bind(2, f.name_glob);
    if (f.paused)
      st.bind(3, *f.paused ? 1 : 0);
    else
      st.bind(3);
    st.bind(4, f.provider);
    st.bind(5, std::clamp(f.limit, 1, 1000));
    while (st.executeStep()) out.push_back(read_schedule(st));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status SqliteStore::schedule_delete(const std::string& name) {
  return db_->write([&](Connection& c) {
    schedule_disarm_named_in(c, name);  // its armed jobs must not run without it
    auto& st = c.stmt(kDeleteSchedule);
    st.bind(1, name);
    if (st.exec() == 0) return Status(no_such_schedule(name));
    bump_generation(c);
    return Status::Ok();
  });
}

Result<Schedule> SqliteStore::schedule_set_paused(const std::string& name, bool paused,
                                                  TimeMs now) {
  Result<Schedule> out = no_such_schedule(name);
  Status s = db_->write([&](Connection& c) {
    schedule_disarm_named_in(c, name);  // paused (or resumed): the fire re-decides
    auto& st = c.stmt(kSetPaused);
    st.bind(1, paused ? 1 : 0);
    st.bind(2, static_cast<std::int64_t>(now));
    st.bind(3, name);
    if (!st.executeStep()) return Status(no_such_schedule(name));
    out = read_schedule(st);
    st.reset();
    bump_generation(c);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::int64_t> SqliteStore::schedule_generation() {
  std::int64_t g = 0;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kGeneration);
    if (st.executeStep()) g = st.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return g;
}

Result<std::vector<Occurrence>> SqliteStore::schedule_occurrences(ScheduleId id, int limit) {
  std::vector<Occurrence> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kOccurrences);
    st.bind(1, static_cast<std::int64_t>(id));
    st.bind(2, std::clamp(limit, 1, 10'000));
    while (st.executeStep()) out.push_back(read_occurrence(st));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<int> SqliteStore::schedule_prune(TimeMs before) {
  // One small batch per call (as job_prune): short write transactions, and the caller can stop.
  int n = 0;
  Status s = db_->write([&](Connection& c) {
    for (const char* sql : {kPruneOccurrences, kPruneEvents}) {
      auto& st = c.stmt(sql);
      st.bind(1, static_cast<std::int64_t>(before));
      n += st.exec();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return n;
}

Result<std::vector<AuditEntry>> SqliteStore::audit_list(int limit) {
  std::vector<AuditEntry> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kAuditList);
    st.bind(1, std::clamp(limit, 1, 10'000));
    while (st.executeStep()) {
      AuditEntry a;
      a.id = st.getColumn(0).getInt64();
      a.at = st.getColumn(1).getInt64();
      a.actor = st.getColumn(2).getString();
      a.action = st.getColumn(3).getString();
      a.subject = st.getColumn(4).getString();
      a.reason = st.getColumn(5).getString();
      if (!st.getColumn(6).isNull()) a.job_id = st.getColumn(6).getInt64();
      a.details = st.getColumn(7).getString();
      out.push_back(std::move(a));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Event>> SqliteStore::event_list(std::int64_t after_id, int limit) {
  std::vector<Event> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kEventList);
    st.bind(1, static_cast<std::int64_t>(after_id));
    st.bind(2, std::clamp(limit, 1, 10'000));
    while (st.executeStep()) {
      Event e;
      e.id = st.getColumn(0).getInt64();
      e.kind = st.getColumn(1).getString();
      e.severity = st.getColumn(2).getString();
      e.subject = st.getColumn(3).getString();
      e.payload = st.getColumn(4).getString();
      e.created_at = st.getColumn(5).getInt64();
      out.push_back(std::move(e));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store
