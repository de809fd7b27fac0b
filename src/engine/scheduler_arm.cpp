// Arming (Scheduler, scheduler.h step 5; store/schedule_arm.h): a plan made ahead whose
// overlap decision cannot change by its nominal time is written at the planning tick, its
// occurrence and its job (queued, run_at = nominal), so at the nominal time the job is
// claimable without any write: writing 10,000 occurrences and jobs costs 250-350 ms even as
// bare SQL (bench/RESULTS.md), too much to do at the minute for a 100 ms lateness target.
//
// What is armed: one occurrence that runs as a plain job (not a target glob or workflow,
// expanded from the inventory at the fire), planned as of its nominal time. The store arms it
// only with overlap `allow` or no run of the schedule active or buffered (else it answers
// not_armed and the plan fires at the minute as before). The cursor is not advanced: the fire
// at the nominal time uses the same plan, finds the occurrence recorded (a duplicate, nothing
// written) and advances it; after a crash the restarted scheduler does the same, and the job
// runs once (its row is durable, the UNIQUE occurrence keeps it from being written twice).
// Whatever could change the decision undoes the arm (the store deletes the occurrence and the
// job not yet started): pause, update, delete and `schedule run` of the schedule in their own
// transaction, a config reload that changes the holiday calendars through
// ScheduleArming::disarm_all (cmd_serve's reload, and here when a tick sees new calendars).
#include "core/time_text.h"
#include "engine/scheduler.h"
#include "ops/log.h"
#include "store/schedule_arm.h"

namespace hypersdk::engine {

void Scheduler::arm_planned(const std::vector<core::ScheduleId>& ids, core::TimeMs now,
                            const Calendars& calendars) {
  std::vector<store::FireRequest> batch;
  std::vector<DueFire*> armed;
  for (core::ScheduleId id : ids) {
    auto it = ahead_.find(id);
    if (it == ahead_.end()) continue;
    DueFire& d = it->second;
    if (d.expanded || d.more_due || d.req.occurrences.size() != 1) continue;
    const store::PlannedFire& pf = d.req.occurrences.front();
    if (!pf.run || pf.nominal_utc <= now) continue;
    store::FireRequest req = d.req;  // the plan keeps its own: the fire uses it as is
    // Claimable at the nominal time, not before.
    req.occurrences.front().job.run_at = pf.nominal_utc;
    batch.push_back(std::move(req));
    armed.push_back(&d);
  }
  if (batch.empty()) return;
  // Set before the write: a reload that replaces the calendars meanwhile is seen by the
  // check below (or by the next tick) and disarms this batch too.
  armed_with_ = calendars;
  auto answers = arming_->arm(batch, now);
  if (!answers || answers->size() != batch.size()) {
    // Nothing (or not all) known to be armed: the plans fire at the minute, whose duplicate
    // check covers any that were.
    ops::log::warn(
        "arming schedules ahead failed; they fire at their time",
        {{"error", answers ? std::string("short answer") : answers.error().to_string()}});
    return;
  }
  int n = 0;
  for (std::size_t i = 0; i < armed.size(); ++i) {
    DueFire& d = *armed[i];
    const auto& a = (*answers)[i];
    if (!a || a->fire.stale) {
      // Changed since it was planned (the fire re-reads it), or refused: fire as before.
      ahead_.erase(d.entry->id);
      continue;
    }
    if (a->not_armed) continue;
    d.armed = true;
    for (const auto& o : a->fire.recorded) {
      ++n;
      if (metrics_) {
        // Claimable at its nominal time by construction: a fire lateness of 0.
        metrics_->schedule_fires_total(d.schedule.spec.name).Increment();
        metrics_->schedule_lateness_seconds(d.schedule.spec.name).Observe(0.0);
      }
      ops::log::info("schedule occurrence armed",
                     {{"schedule", d.schedule.spec.name},
                      {"job.id", core::format_job_id(o.job_id.value_or(0))},
                      {"nominal_utc", core::format_time(o.nominal_utc)}});
    }
  }
  disarm_if_calendars_changed();
  // The dispatcher learns the new earliest run_at and sleeps until it.
  if (n > 0 && on_enqueue_) on_enqueue_();
}

void Scheduler::undo_previous_arms() {
  if (!arming_) return;
  auto n = arming_->disarm_all();
  if (!n) {
    // They run at their time then, as armed; only a serve that was down past it runs late.
    ops::log::error("cannot undo the occurrences armed before this start",
                    {{"error", n.error().to_string()}});
    return;
  }
  if (*n > 0)
    ops::log::info("occurrences armed before this start undone; each is decided at its time",
                   {{"count", static_cast<std::int64_t>(*n)}});
}

void Scheduler::disarm_if_calendars_changed() {
  if (!arming_ || !armed_with_ || holidays_->snapshot() == armed_with_) return;
  auto n = arming_->disarm_all();
  if (!n) {
    ops::log::error("undoing armed schedule occurrences after a calendar change failed",
                    {{"error", n.error().to_string()}});
    return;  // retried at the next tick
  }
  armed_with_.reset();
  if (*n > 0)
    ops::log::info("holiday calendars changed; armed occurrences undone",
                   {{"count", static_cast<std::int64_t>(*n)}});
}

}  // namespace hypersdk::engine
