// Firing a tick's due schedules (Scheduler, scheduler.h step 3): plan each schedule's due
// occurrences from its stored definition, fire a chunk of them in one store transaction, then
// apply each answer to the in-memory plan, the report, metrics and logs.
#include <map>
#include <tuple>
#include <unordered_map>

#include "core/schedule_rules.h"
#include "core/time_text.h"
#include "engine/schedule_jobs.h"
#include "engine/scheduler.h"
#include "ops/log.h"
#include "store/schedule_arm.h"

namespace hypersdk::engine {

using std::chrono::milliseconds;

namespace {

constexpr const char* kFailedPrefix = "failed: ";
constexpr const char* kNoMatchPrefix = "no VM of provider ";

core::TimeMs to_ms(std::chrono::sys_seconds t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

// The reason label of hypersdk_schedule_missed_total: the catch-up and overlap reasons are
// codes already; an expansion's reasons carry free text (a provider's error, a glob), which
// must not become label values.
std::string metric_reason(const std::string& reason) {
  if (reason.starts_with(kFailedPrefix)) return "failed";
  if (reason.starts_with(kNoMatchPrefix)) return "no_matching_vm";
  return reason;
}

}  // namespace

void Scheduler::fire_batch(const std::vector<core::ScheduleId>& ids, core::TimeMs now,
                           TickReport& report) {
  auto requeue = [&](core::ScheduleId id, const Error& error) {
    // Keep the heap invariant: its pair was popped, it must come back to be retried.
    auto it = entries_.find(id);
    if (it != entries_.end() && it->second.next) heap_.emplace(to_ms(it->second.next->utc), id);
    ops::log::error("firing a schedule failed; retrying next tick",
                    {{"schedule.id", static_cast<std::int64_t>(id)}, {"error", error.to_string()}});
  };
  const Calendars calendars = holidays_->snapshot();
  std::vector<DueFire> planned;
  planned.reserve(ids.size());
  std::vector<core::ScheduleId> unplanned;
  for (core::ScheduleId id : ids) {
    if (auto d = take_planned(id, now, calendars))
      planned.push_back(std::move(*d));
    else
      unplanned.push_back(id);
  }
  auto rows = unplanned.empty() ? Result<std::vector<core::Schedule>>(std::vector<core::Schedule>{})
                                : store_.schedule_get_many(unplanned);
  if (!rows) {
    for (core::ScheduleId id : unplanned) requeue(id, rows.error());
    unplanned.clear();
  }
  std::unordered_map<core::ScheduleId, core::Schedule*> by_id;
  if (rows)
    for (auto& s : *rows) by_id[s.id] = &s;
  for (core::ScheduleId id : unplanned) {
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    Entry& e = it->second;
    // The whole schedule, as planned: a change since (another process) re-plans instead.
    auto row = by_id.find(id);
    if (row == by_id.end()) {
      ++report.stale;
      entries_.erase(it);
      continue;
    }
    if (row->second->version != e.version || row->second->cursor_ms != e.cursor_ms) {
      ++report.stale;
      set_entry(e, *row->second);
      continue;
    }
    if (auto d = plan_fire(e, std::move(*row->second), now, calendars))
      planned.push_back(std::move(*d));
  }

  // Armed ahead (scheduler_arm.cpp): their jobs are written; only the cursors move, unless
  // one was undone meanwhile (`schedule run`), which then fires below as it is now.
  std::vector<store::FireRequest> advance;
  std::vector<DueFire*> advancing;
  for (DueFire& d : planned)
    if (d.armed && arming_) {
      advance.push_back(d.req);
      advancing.push_back(&d);
    }
  if (!advance.empty()) {
    auto moved = arming_->advance(advance);
    for (std::size_t i = 0; i < advancing.size(); ++i) {
      advancing[i]->armed = false;  // fired below when not advanced
      if (moved && i < moved->size() && (*moved)[i]) {
        apply_fire(*advancing[i], store::FireResult{}, now, report);
        advancing[i]->entry = nullptr;  // done
      }
    }
  }
  std::vector<store::FireRequest> batch;
  std::vector<DueFire*> batched;
  for (DueFire& d : planned) {
    if (!d.entry) continue;  // advanced above
    if (d.expanded) {
      // Rare (target globs, workflow schedules) and slow anyway (a provider's inventory):
      // each on its own, with the runs it expanded into.
      apply_fire(d, expansion_.store->fire(d.req, d.starts, now), now, report);
      continue;
    }
    batch.push_back(std::move(d.req));
    batched.push_back(&d);
  }
  if (batch.empty()) return;
  auto answers = store_.schedule_fire_batch(batch, now);
  if (!answers || answers->size() != batch.size()) {
    const Error error =
        answers ? make_error(ErrorClass::internal, "schedule_fire_batch answered " +
                                                       std::to_string(answers->size()) + " of " +
                                                       std::to_string(batch.size()) + " requests")
                : answers.error();
    for (DueFire* d : batched) requeue(d->entry->id, error);
    return;
  }
  for (std::size_t i = 0; i < batched.size(); ++i) {
    batched[i]->req = std::move(batch[i]);
    apply_fire(*batched[i], (*answers)[i], now, report);
  }
}

// What the occurrence really starts in place of pf's one job, or pf marked not run.
void Scheduler::expand_into(const core::Schedule& s, store::PlannedFire& pf,
                            store::OccurrenceStart& start) const {
  auto runs = expansion_.expand && expansion_.store
                  ? expansion_.expand(s, pf.job)
                  : Result<OccurrenceRuns>(make_error(ErrorClass::internal,
                                                      "this scheduler cannot expand target globs "
                                                      "or workflow schedules"));
  if (!runs) {
    pf.run = false;
    pf.reason = kFailedPrefix + runs.error().to_string();
    ops::log::error("a schedule's occurrence could not be started",
                    {{"schedule", s.spec.name}, {"error", runs.error().to_string()}});
  } else if (runs->jobs.empty() && runs->workflows.empty()) {
    pf.run = false;
    pf.reason = runs->none_reason;
    start.not_run = store::OccurrenceOutcome::skipped;
  } else {
    start.jobs = std::move(runs->jobs);
    start.workflows = std::move(runs->workflows);
  }
}

std::optional<Scheduler::DueFire> Scheduler::plan_fire(Entry& e, core::Schedule schedule,
                                                       core::TimeMs now,
                                                       const Calendars& calendars) {
  const core::ScheduleSpec& spec = schedule.spec;
  std::vector<core::Fire> due;
  std::optional<core::Fire> f = e.next;
  while (f && to_ms(f->utc) <= now && static_cast<int>(due.size()) < config_.max_due_per_tick) {
    due.push_back(*f);
    f = core::next_fire(*e.cron, e.zone, f->utc, spec.dst_gap, spec.dst_fold);
  }
  if (due.empty()) return std::nullopt;
  DueFire d;
  d.entry = &e;
  d.more_due = f && to_ms(f->utc) <= now;
  d.after = f;
  const auto plan =
      core::plan_catchup(due, date::sys_time<milliseconds>(milliseconds(now)),
                         core::catchup_params(spec, config_.misfire_grace), d.more_due);
  d.req.schedule_id = e.id;
  d.req.expected_cursor = e.cursor_ms;
  d.req.expected_version = e.version;
  d.req.new_cursor = to_ms(due.back().utc);
  std::vector<std::string> unknown_calendars;
  for (const auto& p : plan.occurrences) {
    store::PlannedFire pf;
    pf.nominal_utc = to_ms(p.fire.utc);
    pf.nominal_local = format_local(p.fire.nominal_local);
    pf.dst_shifted = p.fire.dst_shifted;
    pf.fold_second = p.fire.fold_second;
    pf.run = p.run;
    pf.reason = std::string(p.reason);
    if (p.run) {
      auto job = job_for_schedule(schedule, *calendars, now, "cron", p.fire);
      pf.job = std::move(job.spec);
      unknown_calendars = std::move(job.unknown_calendars);
    }
    store::OccurrenceStart start;
    if (p.run && ScheduleRuns::expands(spec)) {
      expand_into(schedule, pf, start);
      d.expanded = true;
    }
    d.starts.push_back(std::move(start));
    d.req.occurrences.push_back(std::move(pf));
  }
  // Without an expansion store the failed expansion is recorded through the plain fire.
  d.expanded = d.expanded && expansion_.store;
  for (const auto& name : unknown_calendars)
    ops::log::warn("schedule names a holiday calendar the config does not define; ignoring it",
                   {{"schedule", spec.name}, {"calendar", name}});
  if (plan.coalesced)
    ops::log::warn("catch-up coalesced: more missed occurrences than max_catchup_runs",
                   {{"schedule", spec.name},
                    {"max_catchup_runs", spec.max_catchup_runs},
                    {"due", static_cast<std::int64_t>(due.size())}});
  d.schedule = std::move(schedule);
  return d;
}

void Scheduler::apply_fire(DueFire& d, const Result<store::FireResult>& r, core::TimeMs now,
                           TickReport& report) {
  Entry& e = *d.entry;
  const core::ScheduleSpec& spec = d.schedule.spec;
  if (!r) {
    if (e.next) heap_.emplace(to_ms(e.next->utc), e.id);
    ops::log::error("firing a schedule failed; retrying next tick",
                    {{"schedule", spec.name}, {"error", r.error().to_string()}});
    return;
  }
  if (r->stale) {
    ++report.stale;
    refresh(e.id);
    return;
  }
  e.cursor_ms = std::max(d.req.new_cursor, e.cursor_ms);
  if (d.more_due) {
    plan_next(e);
  } else {
    e.next = d.after;
    if (d.after) heap_.emplace(to_ms(d.after->utc), e.id);
  }

  std::map<std::string, std::tuple<std::int64_t, core::TimeMs, core::TimeMs>> not_run;
  for (const auto& o : r->recorded) {
    switch (o.outcome) {
      case store::OccurrenceOutcome::fired:
        ++report.fired;
        if (metrics_) {
          metrics_->schedule_fires_total(spec.name).Increment();
          metrics_->schedule_lateness_seconds(spec.name).Observe(
              static_cast<double>(std::max<core::TimeMs>(0, now - o.nominal_utc)) / 1000.0);
        }
        ops::log::info("schedule fired", {{"schedule", spec.name},
                                          {"schedule.name", spec.name},
                                          {"job.id", core::format_job_id(o.job_id.value_or(0))},
                                          {"started", o.reason},
                                          {"nominal_local", o.nominal_local},
                                          {"nominal_utc", core::format_time(o.nominal_utc)},
                                          {"dst_shifted", o.dst_shifted}});
        break;
      case store::OccurrenceOutcome::buffered:
        ++report.buffered;
        ops::log::info(
            "schedule occurrence buffered behind an active run",
            {{"schedule", spec.name}, {"nominal_utc", core::format_time(o.nominal_utc)}});
        break;
      case store::OccurrenceOutcome::skipped:
      case store::OccurrenceOutcome::missed: {
        ++(o.outcome == store::OccurrenceOutcome::skipped ? report.skipped : report.missed);
        if (metrics_)
          metrics_->schedule_missed_total(spec.name, metric_reason(o.reason)).Increment();
        auto& [count, first, last] = not_run[o.reason];
        if (count++ == 0) first = o.nominal_utc;
        last = o.nominal_utc;
        break;
      }
    }
  }
  // One line per reason: a long downtime must not flood the log.
  for (const auto& [reason, summary] : not_run) {
    const auto& [count, first, last] = summary;
    ops::log::warn("schedule occurrences not run", {{"schedule", spec.name},
                                                    {"reason", reason},
                                                    {"count", count},
                                                    {"first_utc", core::format_time(first)},
                                                    {"last_utc", core::format_time(last)}});
  }
  for (core::JobId id : r->cancelled)
    ops::log::info("cancelled a previous run (overlap: cancel_other)",
                   {{"schedule", spec.name}, {"job.id", core::format_job_id(id)}});
}

}  // namespace hypersdk::engine
