// The scheduler service of serve (DESIGN §5): fires schedules' occurrences from their durable
// cursors, applying catch-up after downtime and overlap with active runs, records every
// occurrence not run (with its reason, a schedule.missed event and hypersdk_schedule_missed_total)
// and sweeps time windows (cancel at close, release buffered runs).
//
// Each tick (run_once, every `tick` <= 1 s):
//   1. Wall-clock jump check: wall time moved by more than `jump_threshold` more or less than the
//      monotonic clock since the last tick -> warn and re-plan from the stored cursors. A forward
//      jump makes the skipped occurrences due (they follow catch-up like downtime); a backward one
//      fires nothing until the wall clock passes the cursor again.
//   2. Reload when the store's schedule generation changed (a create/update/pause/delete by this
//      or any other process): so CLI changes take effect within a tick.
//   3. For each active schedule whose next fire is due (popped from a min-heap of next fire
//      times, so a tick costs O(due log n), not a scan of every schedule): list the due occurrences
//      (at most max_due_per_tick), plan them (core::plan_catchup), build their jobs and hand the
//      lot to the store, which decides overlap, enqueues and advances the cursor in one
//      transaction per schedule; the due schedules of a tick are read and fired in chunks
//      (Store::schedule_get_many, Store::schedule_fire_batch: one transaction per chunk, each
//      schedule in it judged on its own), so 10,000 schedules due in one minute are 10
//      commits, not 10,000. A stale answer (another scheduler advanced the cursor, or the schedule
//      changed) re-reads that schedule; nothing fires twice (UNIQUE occurrence + cursor check).
//      An occurrence of a workflow schedule or a target glob is expanded first
//      (engine/schedule_runs.h) and fired through store::ScheduleFireRuns: its workflow runs or
//      jobs are written in the fire's transaction, so an occurrence never starts twice; a glob
//      matching no VM is recorded `skipped`, one whose expansion fails (provider unreachable,
//      template gone) `missed` with reason "failed: ...", both raising schedule.missed.
//   4. Store::job_window_sweep.
//   5. Plan ahead (scheduler_ahead.cpp): the schedules due within `lookahead` are read and
//      planned now (FireRequests with their jobs built), nothing written; at their fire time
//      the plan is used as it is when nothing it was made from changed (the entry's cursor,
//      version and next fire, the holiday calendars, a fire within `lookahead` of its nominal
//      time), else it is dropped and the schedule read and planned then. A change made
//      meanwhile by another process bumps the generation (reload drops every plan) or moves
//      the cursor/version (the store answers stale), so a plan never fires a schedule as it
//      was: the store decides overlap and writes everything at the fire, as without it.
//      With `arm` (serve), a plan whose decision cannot change by then is also written now,
//      occurrence and job with run_at = nominal, the cursor left (scheduler_arm.cpp): the
//      fire at the nominal time finds it recorded and only advances the cursor.
// A failing tick logs and is retried at the next one. Between ticks the service sleeps until
// the earliest next fire when that comes before the end of `tick` (lateness stays in
// milliseconds, not up to a whole tick).
//
// Thread safety: start/stop from the owning thread; poke from any thread; run_once on one
// thread at a time (the service's own, or a test's when the service is not started).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/schedule.h"
#include "engine/clock.h"
#include "engine/holiday_book.h"
#include "engine/periodic.h"
#include "engine/schedule_runs.h"
#include "ops/metrics.h"
#include "store/schedule_fire_runs.h"
#include "store/store.h"

namespace hypersdk::store {
class ScheduleArming;  // store/schedule_arm.h
}  // namespace hypersdk::store

namespace hypersdk::engine {

struct SchedulerConfig {
  std::chrono::milliseconds tick{1000};
  // An occurrence seen later than this after its time is late (catch-up policy applies).
  std::chrono::milliseconds misfire_grace{60'000};
  int max_due_per_tick = 5000;  // per schedule; more than kMaxCatchupRunsLimit
  std::chrono::milliseconds jump_threshold{2000};
  // Schedules due within this much after a tick are read and planned at that tick, so the
  // tick at their fire time only writes (issue 14: 10,000 due in one minute). Nothing is
  // written ahead. At least two ticks, so a tick always lands in it well before the fire;
  // 0 turns it off.
  std::chrono::milliseconds lookahead{3000};
  // Arm what was planned ahead (scheduler_arm.cpp, store/schedule_arm.h): the occurrence
  // and its job (run_at = nominal) are written at the planning tick when the store arms and
  // the overlap decision cannot change by the nominal time, so at that time the job is
  // claimable without a write (issue 14: 10,000 fires in one minute). serve turns it on.
  bool arm = false;
};

struct TickReport {
  int fired = 0;
  int buffered = 0;
  int missed = 0;   // not run: catch-up
  int skipped = 0;  // not run: overlap, or a target glob matched no VM
  int stale = 0;    // schedules another scheduler (or a change) got to first
  int cancel_requested = 0;
  int released = 0;
  bool clock_jumped = false;
};

class Scheduler {
 public:
  // `on_enqueue` runs after jobs were enqueued or released (wakes the worker pool).
  // `holidays` may be null: no calendars. `expansion` works out what an occurrence of a
  // workflow schedule or target glob starts and fires it; without it such an occurrence is
  // recorded as failed, saying so.
  struct Expansion {
    std::function<Result<OccurrenceRuns>(const core::Schedule&, const core::JobSpec& base)>
        expand;  // ScheduleRuns::expand
    std::shared_ptr<store::ScheduleFireRuns> store;
  };
  Scheduler(SchedulerConfig config, store::Store& store, const Clock& clock,
            std::shared_ptr<const HolidayBook> holidays, ops::Metrics* metrics,
            std::function<void()> on_enqueue = {}, Expansion expansion = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void start();
  void stop();  // idempotent; safe before start()
  // Undoes the occurrences a previous process armed and did not start (call before the worker
  // pool starts): had serve been down past their time, their jobs would run late whatever the
  // catch-up policy says. Undone, the first tick decides them as any occurrence (on time:
  // fired or armed again; late: the catch-up policy).
  void undo_previous_arms();
  // Tick now (a schedule changed in this process).
  void poke();

  Result<TickReport> run_once();
  // The earliest planned fire (UTC ms) of the schedules loaded, nullopt when none is planned.
  std::optional<core::TimeMs> next_fire_ms();

  // Schedules fired per store transaction when many are due in one tick.
  static constexpr std::size_t kFireChunk = 1000;

 private:
  // What planning needs, nothing more: 100k schedules must fit in tens of MB. The whole
  // schedule (payload, window, policies) is read from the store when one fires.
  struct Entry {
    core::ScheduleId id = 0;
    std::int64_t cursor_ms = 0;
    std::int64_t version = 0;
    bool active = false;
    core::DstGap dst_gap = core::DstGap::shift;
    core::DstFold dst_fold = core::DstFold::auto_;
    std::optional<core::CronExpr> cron;  // nullopt: the stored row does not compile
    const date::time_zone* zone = nullptr;
    std::optional<core::Fire> next;  // first fire after the cursor
  };
  // What compiling a schedule's timing fields gave: nullopt when it does not compile.
  using Compiled = std::optional<std::pair<core::CronExpr, const date::time_zone*>>;
  // Compiles s (through `cache`, keyed by the timing text, when given: at load most
  // schedules share a few cron/zone/window texts) and plans its next fire.
  void set_entry(Entry& e, const core::Schedule& s,
                 std::unordered_map<std::string, Compiled>* cache = nullptr);

  Status reload();
  void plan_next(Entry& e);
  // Firing (scheduler_fire.cpp). A tick's due schedules go in chunks of kFireChunk: one
  // Store::schedule_get_many and one Store::schedule_fire_batch each (a schedule whose
  // occurrence expands into several runs fires on its own through expansion_.store).
  using Calendars = std::shared_ptr<const core::HolidayCalendars>;
  struct DueFire {  // one schedule's planned fire
    Entry* entry = nullptr;
    core::Schedule schedule;
    store::FireRequest req;
    std::vector<store::OccurrenceStart> starts;  // beside req.occurrences
    bool expanded = false;                       // fires through expansion_.store, not in the batch
    bool more_due = false;                       // more occurrences due than max_due_per_tick
    std::optional<core::Fire> after;             // the first fire after the planned ones
    // Planned ahead (scheduler_ahead.cpp): the nominal time it was planned as of, and the
    // calendars it was planned with.
    core::TimeMs planned_for = 0;
    Calendars calendars;
    bool armed = false;  // its occurrence and job are written (the fire only moves the cursor)
  };
  void fire_batch(const std::vector<core::ScheduleId>& ids, core::TimeMs now, TickReport& report);
  std::optional<DueFire> plan_fire(Entry& e, core::Schedule schedule, core::TimeMs now,
                                   const Calendars& calendars);
  // Reads and plans the schedules due in (now, now + lookahead] not planned yet.
  void plan_ahead(core::TimeMs now);
  // Arms the plans of `ids` (made by plan_ahead at `now`) that may be armed.
  void arm_planned(const std::vector<core::ScheduleId>& ids, core::TimeMs now,
                   const Calendars& calendars);
  // Undoes every armed occurrence when the holiday calendars changed since they were armed.
  void disarm_if_calendars_changed();
  // The plan made ahead for schedule `id`, when it still holds at `now` (see step 5).
  std::optional<DueFire> take_planned(core::ScheduleId id, core::TimeMs now,
                                      const Calendars& calendars);
  // Applies a fire's answer: the entry's cursor and next fire, the report, metrics and logs.
  // An error re-queues the entry for the next tick.
  void apply_fire(DueFire& d, const Result<store::FireResult>& r, core::TimeMs now,
                  TickReport& report);
  void expand_into(const core::Schedule& s, store::PlannedFire& pf,
                   store::OccurrenceStart& start) const;
  void refresh(core::ScheduleId id);
  std::chrono::milliseconds until_next_fire();

  const SchedulerConfig config_;
  store::Store& store_;
  const Clock& clock_;
  const std::shared_ptr<const HolidayBook> holidays_;
  ops::Metrics* metrics_;
  const std::function<void()> on_enqueue_;
  const Expansion expansion_;

  // Owned by the thread running run_once.
  std::map<core::ScheduleId, Entry> entries_;
  // (next fire, schedule) for every planned entry; lazy: a pair whose schedule is gone or now
  // plans another time is dropped when it reaches the top. Invariant: every entry with a
  // `next` has its pair in the heap.
  using Planned = std::pair<core::TimeMs, core::ScheduleId>;
  std::priority_queue<Planned, std::vector<Planned>, std::greater<Planned>> heap_;
  std::unordered_map<core::ScheduleId, DueFire> ahead_;  // plans made ahead, by schedule
  Calendars armed_with_;  // the calendars of the occurrences armed since the last disarm
  // Null unless config.arm and the store arms (store::make_schedule_arming).
  const std::shared_ptr<store::ScheduleArming> arming_;
  std::optional<std::int64_t> generation_;
  std::optional<std::pair<core::TimeMs, std::chrono::steady_clock::time_point>> last_tick_;

  const std::unique_ptr<PeriodicService> loop_;  // runs run_once every tick once started
};

}  // namespace hypersdk::engine
