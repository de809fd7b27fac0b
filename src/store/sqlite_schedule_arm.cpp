// Arming schedule occurrences in the SQLite store (store/schedule_arm.h states the invariant):
// arm() writes occurrences and their jobs ahead, one transaction with a savepoint per request;
// disarming deletes an armed occurrence and its job while the job has not started. A job
// already started (claimed at its run_at, possibly before the scheduler's tick advanced the
// cursor) is left with its occurrence: it ran, once.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "store/schedule_arm.h"
#include "store/sqlite_store.h"

namespace hypersdk::store {
using namespace detail;

namespace {

// The armed occurrences of one schedule and whether each one's job can still be undone
// (never started: no attempt, queued, or waiting when the window sweep found its window
// still closed before the nominal time and sent it back to wait for the opening). Index searches:
// the schedule by id, its occurrences by (schedule_id, nominal_fire_utc), the job by id.
constexpr const char* kArmedOfSchedule =
    "SELECT o.id, o.job_id, coalesce(j.status IN ('queued', 'waiting') AND j.attempt = 0, 0)"
    " FROM schedules s JOIN schedule_occurrences o"
    "   ON o.schedule_id = s.id AND o.nominal_fire_utc > s.cursor_ms"
    " LEFT JOIN jobs j ON j.id = o.job_id WHERE s.id = ?";
// All of them: one index probe per schedule (a config reload that changed calendars: rare).
constexpr const char* kArmedAll =
    "SELECT o.id, o.job_id, coalesce(j.status IN ('queued', 'waiting') AND j.attempt = 0, 0)"
    " FROM schedules s JOIN schedule_occurrences o"
    "   ON o.schedule_id = s.id AND o.nominal_fire_utc > s.cursor_ms"
    " LEFT JOIN jobs j ON j.id = o.job_id";
constexpr const char* kScheduleIdByName = "SELECT id FROM schedules WHERE name = ?";
constexpr const char* kDeleteArmedJob =
    "DELETE FROM jobs WHERE id = ? AND status IN ('queued', 'waiting') AND attempt = 0";
constexpr const char* kDeleteOccurrence = "DELETE FROM schedule_occurrences WHERE id = ?";
// The fire of an armed occurrence: only the cursor moves, and only past an occurrence that is
// still armed (schedules' primary key; the occurrences' UNIQUE index).
constexpr const char* kAdvanceArmed =
    "UPDATE schedules SET cursor_ms = ?1"
    " WHERE id = ?2 AND cursor_ms = ?3 AND version = ?4 AND EXISTS (SELECT 1"
    "   FROM schedule_occurrences WHERE schedule_id = ?2 AND nominal_fire_utc = ?1)";
constexpr const char* kSavepoint = "SAVEPOINT arm";
constexpr const char* kRollbackTo = "ROLLBACK TO arm";
constexpr const char* kRelease = "RELEASE arm";

int disarm_rows(Connection& c, SQLite::Statement& armed) {
  std::vector<std::pair<std::int64_t, std::int64_t>> undo;  // (occurrence, job)
  while (armed.executeStep())
    if (!armed.getColumn(1).isNull() && armed.getColumn(2).getInt() != 0)
      undo.emplace_back(armed.getColumn(0).getInt64(), armed.getColumn(1).getInt64());
  armed.reset();
  int n = 0;
  for (const auto& [occurrence, job] : undo) {
    auto& del = c.stmt(kDeleteArmedJob);
    del.bind(1, job);
    if (del.exec() == 0) continue;
    auto& occ = c.stmt(kDeleteOccurrence);
    occ.bind(1, occurrence);
    occ.exec();
    ++n;
  }
  return n;
}

}  // namespace

int detail::schedule_disarm_in(Connection& c, ScheduleId id) {
  auto& st = c.stmt(kArmedOfSchedule);
  st.bind(1, static_cast<std::int64_t>(id));
  return disarm_rows(c, st);
}

int detail::schedule_disarm_named_in(Connection& c, const std::string& name) {
  auto& st = c.stmt(kScheduleIdByName);
  st.bind(1, name);
  if (!st.executeStep()) {
    st.reset();
    return 0;
  }
  const ScheduleId id = st.getColumn(0).getInt64();
  st.reset();
  return schedule_disarm_in(c, id);
}

namespace {

class SqliteScheduleArming final : public ScheduleArming {
 public:
  explicit SqliteScheduleArming(Database& db) : db_(db) {}

  Result<std::vector<Result<ArmResult>>> arm(const std::vector<FireRequest>& reqs,
                                             core::TimeMs now) override {
    std::vector<Result<ArmResult>> out;
    if (reqs.empty()) return out;
    // As schedule_fire_batch: a request refused by SQLite (a constraint) is rolled back to its
    // savepoint and answered with that error; a storage failure fails the whole.
    Status s = db_.write([&](Connection& c) {
      out.clear();
      out.reserve(reqs.size());
      for (const FireRequest& req : reqs) {
        c.stmt(kSavepoint).exec();
        ArmResult ar;
        Status st;
        try {
          st = schedule_arm_in(c, req, now, ar);
        } catch (const SQLite::Exception& e) {
          if (e.getErrorCode() != SQLITE_CONSTRAINT) throw;
          st = translate(e, "arming schedule " + std::to_string(req.schedule_id) + " failed");
        }
        c.reset_all();
        if (!st.ok()) c.stmt(kRollbackTo).exec();
        c.stmt(kRelease).exec();
        if (st.ok())
          out.push_back(std::move(ar));
        else
          out.push_back(st.error());
      }
      return Status::Ok();
    });
    if (!s.ok()) return s.error();
    return out;
  }

  Result<std::vector<bool>> advance(const std::vector<FireRequest>& reqs) override {
    std::vector<bool> out;
    if (reqs.empty()) return out;
    Status s = db_.write([&](Connection& c) {
      out.assign(reqs.size(), false);
      auto& st = c.stmt(kAdvanceArmed);
      for (std::size_t i = 0; i < reqs.size(); ++i) {
        st.bind(1, static_cast<std::int64_t>(reqs[i].new_cursor));
        st.bind(2, static_cast<std::int64_t>(reqs[i].schedule_id));
        st.bind(3, static_cast<std::int64_t>(reqs[i].expected_cursor));
        st.bind(4, static_cast<std::int64_t>(reqs[i].expected_version));
        out[i] = st.exec() > 0;
        st.reset();
      }
      return Status::Ok();
    });
    if (!s.ok()) return s.error();
    return out;
  }

  Result<int> disarm_all() override {
    int n = 0;
    Status s = db_.write([&](Connection& c) {
      n = disarm_rows(c, c.stmt(kArmedAll));
      return Status::Ok();
    });
    if (!s.ok()) return s.error();
    return n;
  }

 private:
  Database& db_;
};

}  // namespace

std::shared_ptr<ScheduleArming> make_schedule_arming(Store& store) {
  auto* sqlite = dynamic_cast<SqliteStore*>(&store);
  if (!sqlite) return nullptr;
  return std::make_shared<SqliteScheduleArming>(sqlite->database());
}

}  // namespace hypersdk::store
