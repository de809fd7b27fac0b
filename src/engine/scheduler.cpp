#include "engine/scheduler.h"

#include <malloc.h>

#include <cstdlib>
#include <tuple>

#include "core/schedule_rules.h"
#include "core/time_text.h"
#include "engine/schedule_jobs.h"
#include "ops/log.h"

namespace hypersdk::engine {

using std::chrono::milliseconds;
using std::chrono::sys_seconds;

namespace {

constexpr const char* kFailedPrefix = "failed: ";
constexpr const char* kNoMatchPrefix = "no VM of provider ";

core::TimeMs to_ms(sys_seconds t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

sys_seconds to_seconds(core::TimeMs ms) {
  return date::floor<std::chrono::seconds>(date::sys_time<milliseconds>(milliseconds(ms)));
}

// hypersdk_scheduler_ticks_total: ticks of the running service that completed without error.
// It is the positive signal "the scheduler has looked at the time since then": a check that
// nothing fired waits for it to grow by two (one whole tick after the check began) before it
// looks for the absence. Null without metrics.
prometheus::Counter* tick_counter(ops::Metrics* metrics) {
  if (!metrics) return nullptr;
  return &prometheus::BuildCounter()
              .Name("hypersdk_scheduler_ticks_total")
              .Help("Scheduler ticks completed without error.")
              .Register(metrics->registry())
              .Add({});
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

Scheduler::Scheduler(SchedulerConfig config, store::Store& store, const Clock& clock,
                     std::shared_ptr<const HolidayBook> holidays, ops::Metrics* metrics,
                     std::function<void()> on_enqueue, Expansion expansion)
    : config_(config),
      store_(store),
      clock_(clock),
      holidays_(holidays ? std::move(holidays) : std::make_shared<const HolidayBook>()),
      metrics_(metrics),
      on_enqueue_(std::move(on_enqueue)),
      expansion_(std::move(expansion)),
      loop_(std::make_unique<PeriodicService>("scheduler", config_.tick,
                                              [this, ticks = tick_counter(metrics)] {
                                                auto r = run_once();
                                                if (!r) return Status(r.error());
                                                if (ticks) ticks->Increment();
                                                return Status::Ok();
                                              })) {}

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::start() {
  loop_->set_next_wait([this] { return until_next_fire(); });
  loop_->start();
}

void Scheduler::stop() {
  loop_->stop();
}

// Safe from any thread at any time (API threads call it while serve drains).
void Scheduler::poke() {
  loop_->poke();
}

void Scheduler::plan_next(Entry& e) {
  e.next.reset();
  if (!e.cron || !e.active) return;
  e.next = core::next_fire(*e.cron, e.zone, to_seconds(e.cursor_ms), e.dst_gap, e.dst_fold);
  if (e.next) heap_.emplace(to_ms(e.next->utc), e.id);
}

void Scheduler::set_entry(Entry& e, const core::Schedule& s) {
  e.id = s.id;
  e.cursor_ms = s.cursor_ms;
  e.version = s.version;
  e.active = s.active();
  e.dst_gap = s.spec.dst_gap;
  e.dst_fold = s.spec.dst_fold;
  e.cron.reset();
  e.zone = nullptr;
  auto compiled = core::compile_schedule(s.spec);
  if (compiled) {
    e.cron = compiled->cron;
    e.zone = compiled->zone;
  } else {
    ops::log::error("schedule does not compile; it will not fire",
                    {{"schedule", s.spec.name}, {"error", compiled.error().message}});
  }
  plan_next(e);
}

std::optional<core::TimeMs> Scheduler::next_fire_ms() {
  while (!heap_.empty()) {
    const auto [at, id] = heap_.top();
    auto it = entries_.find(id);
    if (it != entries_.end() && it->second.next && to_ms(it->second.next->utc) == at) return at;
    heap_.pop();  // stale: the schedule is gone or plans another time
  }
  return std::nullopt;
}

// Runs on the service's thread between two run_once calls.
milliseconds Scheduler::until_next_fire() {
  auto at = next_fire_ms();
  const core::TimeMs now = clock_.now_ms();
  // Still due after a tick means its fire failed (or hit max_due_per_tick): retry at the next
  // tick, as before, not in a 1 ms loop.
  if (!at || *at <= now) return config_.tick;
  return milliseconds(*at - now);
}

Status Scheduler::reload() {
  auto gen = store_.schedule_generation();
  if (!gen) return gen.error();
  const auto t0 = std::chrono::steady_clock::now();
  auto list = store_.schedule_list();
  if (!list) return list.error();
  std::map<core::ScheduleId, Entry> fresh;
  heap_ = {};
  for (const auto& s : *list) set_entry(fresh[s.id], s);
  entries_ = std::move(fresh);
  list->clear();
  list->shrink_to_fit();
  // A reload frees as much heap as it keeps (the rows read, the old entries); glibc would hold
  // on to it, so with 100k schedules serve's RSS stayed at the peak. Hand it back.
  malloc_trim(0);
  const bool first = !generation_;
  generation_ = *gen;
  const auto load_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  // At start an operator (and bench/schedule_bench.py) sees what loading cost.
  if (first)
    ops::log::info("schedules loaded", {{"count", static_cast<std::int64_t>(entries_.size())},
                                        {"load_ms", static_cast<std::int64_t>(load_ms)}});
  return Status::Ok();
}

void Scheduler::refresh(core::ScheduleId id) {
  auto s = store_.schedule_get_by_id(id);
  if (!s) {
    entries_.erase(id);
    return;
  }
  set_entry(entries_[id], *s);
}

Result<TickReport> Scheduler::run_once() {
  TickReport report;
  const core::TimeMs now = clock_.now_ms();
  const auto steady = std::chrono::steady_clock::now();
  if (last_tick_) {
    const auto wall_delta = now - last_tick_->first;
    const auto steady_delta =
        std::chrono::duration_cast<milliseconds>(steady - last_tick_->second).count();
    if (std::llabs(wall_delta - steady_delta) > config_.jump_threshold.count()) {
      report.clock_jumped = true;
      ops::log::warn("wall clock jumped; re-planning schedules from their cursors",
                     {{"jump_ms", wall_delta - steady_delta}, {"now", core::format_time(now)}});
    }
  }
  last_tick_ = {now, steady};

  auto gen = store_.schedule_generation();
  if (!gen) return gen.error();
  if (!generation_ || *gen != *generation_ || report.clock_jumped)
    if (Status s = reload(); !s.ok()) return s.error();

  // Pop every due pair first: firing re-plans (pushes) into the heap.
  std::vector<core::ScheduleId> due;
  for (auto at = next_fire_ms(); at && *at <= now; at = next_fire_ms()) {
    // Equal pairs sit together at the top (plan_next may push the same time twice).
    if (due.empty() || due.back() != heap_.top().second) due.push_back(heap_.top().second);
    heap_.pop();
  }
  for (core::ScheduleId id : due) {
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    if (Status s = fire_due(it->second, now, report); !s.ok()) {
      // Keep the invariant: its pair was popped, it must come back to be retried.
      if (it->second.next) heap_.emplace(to_ms(it->second.next->utc), id);
      ops::log::error(
          "firing a schedule failed; retrying next tick",
          {{"schedule.id", static_cast<std::int64_t>(id)}, {"error", s.error().to_string()}});
    }
  }

  auto sweep = store_.job_window_sweep(now);
  if (!sweep) return sweep.error();
  for (core::JobId id : sweep->cancel_requested)
    ops::log::info("window closed; cancelling job (window_close: cancel)",
                   {{"job.id", core::format_job_id(id)}});
  report.cancel_requested = static_cast<int>(sweep->cancel_requested.size());
  report.released = static_cast<int>(sweep->released.size());
  if ((report.fired > 0 || report.released > 0 || !sweep->cancel_requested.empty() ||
       !sweep->rewaited.empty()) &&
      on_enqueue_)
    on_enqueue_();
  return report;
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

Status Scheduler::fire_due(Entry& e, core::TimeMs now, TickReport& report) {
  // The whole schedule, as planned: a change since (another process) re-plans instead.
  auto full = store_.schedule_get_by_id(e.id);
  if (!full && full.error().cls != ErrorClass::not_found) return full.error();
  if (!full || full->version != e.version || full->cursor_ms != e.cursor_ms) {
    ++report.stale;
    refresh(e.id);
    return Status::Ok();
  }
  const core::Schedule& schedule = *full;
  const core::ScheduleSpec& spec = schedule.spec;
  std::vector<core::Fire> due;
  std::optional<core::Fire> f = e.next;
  while (f && to_ms(f->utc) <= now && static_cast<int>(due.size()) < config_.max_due_per_tick) {
    due.push_back(*f);
    f = core::next_fire(*e.cron, e.zone, f->utc, spec.dst_gap, spec.dst_fold);
  }
  if (due.empty()) return Status::Ok();
  const bool more_due = f && to_ms(f->utc) <= now;
  const auto plan = core::plan_catchup(due, date::sys_time<milliseconds>(milliseconds(now)),
                                       core::catchup_params(spec, config_.misfire_grace), more_due);

  store::FireRequest req;
  req.schedule_id = e.id;
  req.expected_cursor = e.cursor_ms;
  req.expected_version = e.version;
  req.new_cursor = to_ms(due.back().utc);
  std::vector<std::string> unknown_calendars;
  std::vector<store::OccurrenceStart> starts;  // beside req.occurrences
  bool expanded = false;
  const auto calendars = holidays_->snapshot();
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
      expanded = true;
    }
    starts.push_back(std::move(start));
    req.occurrences.push_back(std::move(pf));
  }
  for (const auto& name : unknown_calendars)
    ops::log::warn("schedule names a holiday calendar the config does not define; ignoring it",
                   {{"schedule", spec.name}, {"calendar", name}});
  if (plan.coalesced)
    ops::log::warn("catch-up coalesced: more missed occurrences than max_catchup_runs",
                   {{"schedule", spec.name},
                    {"max_catchup_runs", spec.max_catchup_runs},
                    {"due", static_cast<std::int64_t>(due.size())}});

  auto r = expanded && expansion_.store ? expansion_.store->fire(req, starts, now)
                                        : store_.schedule_fire(req, now);
  if (!r) return r.error();
  if (r->stale) {
    ++report.stale;
    refresh(e.id);
    return Status::Ok();
  }
  e.cursor_ms = std::max(req.new_cursor, e.cursor_ms);
  if (more_due) {
    plan_next(e);
  } else {
    e.next = f;
    if (f) heap_.emplace(to_ms(f->utc), e.id);
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
  return Status::Ok();
}

}  // namespace hypersdk::engine
