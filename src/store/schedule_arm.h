// Arming schedule occurrences ahead (issue 14: 10,000 fires in one minute; the scheduler side
// is engine/scheduler_arm.cpp). Writing the occurrences, jobs and cursors of 10,000 fires costs
// 250-350 ms even as bare SQL, so a fire at the minute cannot be claimable within 100 ms; an
// armed one is written seconds ahead and claimable at its nominal time with nothing to write.
//
// Invariant (SQLite store, sqlite_schedule_arm.cpp): an occurrence whose nominal time is
// beyond its schedule's cursor is ARMED: written ahead with its job (run_at = nominal), the
// cursor not advanced; the fire at the nominal time finds it recorded (a duplicate: nothing
// written) and advances the cursor. Every other fire records its occurrences and advances the
// cursor in one transaction, and a cursor never moves back. Until its job starts, an armed
// occurrence can be undone as if never written (delete the occurrence and its job): pause,
// update, delete and `schedule run` of the schedule do so in their own transaction, and
// disarm_all after a change of the holiday calendars the jobs were planned with and at serve's
// start (before its workers claim).
//
// A separate port, not Store methods: the PostgreSQL store does not arm (make_schedule_arming
// answers null for it, and the scheduler then fires everything at its time as before).
// Thread safety: as Database (one writer at a time).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/schedule_types.h"

namespace hypersdk::store {

class Store;

struct ArmResult {
  // As Store::schedule_fire answers; `recorded` empty and one duplicate when it was armed
  // already (a restarted scheduler arms again).
  FireResult fire;
  // Nothing written: the decision at the nominal time could still change (policy other than
  // allow, with a run of the schedule active or buffered now).
  bool not_armed = false;
};

class ScheduleArming {
 public:
  virtual ~ScheduleArming() = default;
  // Each request: one occurrence that runs (PlannedFire::run), nominal time after `now`, its
  // job's run_at = the nominal time (else invalid). Armed only with overlap allow, or no run
  // of the schedule active or buffered; written as Store::schedule_fire writes a fired one,
  // the cursor left as it is. Stale (cursor/version moved) writes nothing. One transaction
  // for all, each request in its own savepoint (as schedule_fire_batch).
  virtual Result<std::vector<Result<ArmResult>>> arm(const std::vector<FireRequest>& reqs,
                                                     core::TimeMs now) = 0;
  // At the nominal time, for plans that were armed: advances each schedule's cursor to
  // req.new_cursor when its cursor and version are still the expected ones and the armed
  // occurrence (req.new_cursor) is still recorded: one UPDATE per schedule instead of a
  // whole fire, so the minute's writes do not hold the writer against the workers draining
  // the armed jobs. false: not advanced (undone by `schedule run`, changed): fire it as usual.
  virtual Result<std::vector<bool>> advance(const std::vector<FireRequest>& reqs) = 0;
  // Undoes every armed occurrence whose job has not started. Returns how many.
  virtual Result<int> disarm_all() = 0;
};

// The arming of `store`, or null when that store does not arm (not SQLite).
std::shared_ptr<ScheduleArming> make_schedule_arming(Store& store);

namespace detail {
// Inside the caller's write transaction.
// Arms req (the checks of ScheduleArming::arm); sqlite_schedule_fire.cpp.
Status schedule_arm_in(Connection& c, const FireRequest& req, core::TimeMs now, ArmResult& out);
// Undoes the schedule's armed occurrences whose jobs have not started; returns how many.
int schedule_disarm_in(Connection& c, ScheduleId id);
int schedule_disarm_named_in(Connection& c, const std::string& name);  // 0: no such name
}  // namespace detail

}  // namespace hypersdk::store
