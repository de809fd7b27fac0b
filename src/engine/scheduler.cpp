#include "engine/scheduler.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <tuple>

#include "core/schedule_rules.h"
#include "core/time_text.h"
#include "engine/schedule_jobs.h"
#include "ops/log.h"
#include "store/schedule_arm.h"

namespace hypersdk::engine {

using std::chrono::milliseconds;
using std::chrono::sys_seconds;

namespace {

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
      arming_(config_.arm ? store::make_schedule_arming(store) : nullptr),
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

namespace {

// Everything compile_schedule reads, as one key.
std::string timing_key(const core::ScheduleSpec& p) {
  std::string key = p.cron;
  for (const std::string* part : {&p.timezone, &p.window, &p.days})
    key.append(1, '\x1f').append(*part);
  key.append(1, '\x1f').append(core::to_string(p.window_close));
  for (const auto& h : p.holidays) key.append(1, '\x1e').append(h);
  return key;
}

}  // namespace

void Scheduler::set_entry(Entry& e, const core::Schedule& s,
                          std::unordered_map<std::string, Compiled>* cache) {
  e.id = s.id;
  e.cursor_ms = s.cursor_ms;
  e.version = s.version;
  e.active = s.active();
  e.dst_gap = s.spec.dst_gap;
  e.dst_fold = s.spec.dst_fold;
  auto compile = [&s]() -> Compiled {
    auto compiled = core::compile_schedule(s.spec);
    if (!compiled) {
      ops::log::error("schedule does not compile; it will not fire",
                      {{"schedule", s.spec.name}, {"error", compiled.error().message}});
      return std::nullopt;
    }
    return std::pair{compiled->cron, compiled->zone};
  };
  Compiled c;
  if (!cache) {
    c = compile();
  } else {
    auto [it, inserted] = cache->try_emplace(timing_key(s.spec));
    // A cached failure still names each schedule that does not compile.
    if (inserted || !it->second) it->second = compile();
    c = it->second;
  }
  e.cron.reset();
  e.zone = nullptr;
  if (c) {
    e.cron = c->first;
    e.zone = c->second;
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
  // Only the timing columns: reading every schedule whole (payloads, retry policies as JSON)
  // was ~85% of loading 100k (issue 14). A schedule is read whole when it fires.
  auto list = store_.schedule_list_timing();
  if (!list) return list.error();
  std::map<core::ScheduleId, Entry> fresh;
  std::unordered_map<std::string, Compiled> compiled;
  heap_ = {};
  ahead_.clear();              // planned from the old entries
  for (const auto& s : *list)  // in id order, mostly: the hint makes each insert O(1)
    set_entry(fresh.emplace_hint(fresh.end(), s.id, Entry{})->second, s, &compiled);
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
  ahead_.erase(id);
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
  disarm_if_calendars_changed();

  // Pop every due pair first: firing re-plans (pushes) into the heap.
  std::vector<core::ScheduleId> due;
  for (auto at = next_fire_ms(); at && *at <= now; at = next_fire_ms()) {
    // Equal pairs sit together at the top (plan_next may push the same time twice).
    if (due.empty() || due.back() != heap_.top().second) due.push_back(heap_.top().second);
    heap_.pop();
  }
  // In chunks: each is one read of its schedules and one store transaction, committed (and
  // the workers woken) before the next is planned, so the first runs start early and one
  // transaction never holds the writer for long.
  for (std::size_t i = 0; i < due.size(); i += kFireChunk) {
    const std::vector<core::ScheduleId> chunk(
        due.begin() + static_cast<std::ptrdiff_t>(i),
        due.begin() + static_cast<std::ptrdiff_t>(std::min(due.size(), i + kFireChunk)));
    const int fired_before = report.fired;
    fire_batch(chunk, now, report);
    if (report.fired > fired_before && on_enqueue_ && i + kFireChunk < due.size()) on_enqueue_();
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
  plan_ahead(now);
  return report;
}

}  // namespace hypersdk::engine
