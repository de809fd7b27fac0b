// Firing many schedules in one transaction (Store::schedule_fire_batch) and reading the
// schedules of a tick in one snapshot (Store::schedule_get_many): 10,000 schedules due in the
// same minute were 10,000 transactions (and commits) fired one after another (issue 14).
//
// Each request runs in its own SAVEPOINT through the same code as schedule_fire
// (detail::schedule_fire_in), so its semantics are schedule_fire's: a stale request writes
// nothing and the others go on; a request refused by SQLite (a constraint) is rolled back to
// its savepoint and answered with that error, the others commit. A storage failure (disk
// full, I/O) fails the whole batch: nothing of it is committed.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "store/schedule_fire_runs.h"
#include "store/schedule_row.h"
#include "store/sqlite_store.h"

namespace hypersdk::store {

namespace {

constexpr const char* kScheduleById =
    "SELECT " HYPERSDK_SCHEDULE_COLUMNS " FROM schedules WHERE id = ?";
// Prepared once per connection, not per request (three prepares per fire).
constexpr const char* kSavepoint = "SAVEPOINT fire";
constexpr const char* kRollbackTo = "ROLLBACK TO fire";
constexpr const char* kRelease = "RELEASE fire";

}  // namespace

Result<std::vector<Result<FireResult>>> SqliteStore::schedule_fire_batch(
    const std::vector<FireRequest>& reqs, TimeMs now) {
  std::vector<Result<FireResult>> out;
  if (reqs.empty()) return out;
  Status s = db_->write([&](Connection& c) {
    out.clear();
    out.reserve(reqs.size());
    for (const FireRequest& req : reqs) {
      c.stmt(kSavepoint).exec();
      FireResult fr;
      Status st;
      try {
        st = detail::schedule_fire_in(c, req, {}, now, fr);
      } catch (const SQLite::Exception& e) {
        // Only a refusal of this request's own rows is its alone; anything else (the disk,
        // the file) fails the batch, which Database::write rolls back whole.
        if (e.getErrorCode() != SQLITE_CONSTRAINT) throw;
        st = translate(e, "firing schedule " + std::to_string(req.schedule_id) + " failed");
      }
      c.reset_all();
      if (!st.ok()) c.stmt(kRollbackTo).exec();
      c.stmt(kRelease).exec();
      if (st.ok())
        out.push_back(std::move(fr));
      else
        out.push_back(st.error());
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Schedule>> SqliteStore::schedule_get_many(const std::vector<ScheduleId>& ids) {
  std::vector<Schedule> out;
  Status s = db_->read([&](Connection& c) {
    out.clear();
    out.reserve(ids.size());
    auto& st = c.stmt(kScheduleById);
    for (ScheduleId id : ids) {
      st.reset();
      st.clearBindings();
      st.bind(1, static_cast<std::int64_t>(id));
      if (st.executeStep()) out.push_back(detail::read_schedule(st));
    }
    st.reset();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store
