// Planning ahead (Scheduler, scheduler.h step 5): the schedules due within `lookahead` are
// read and planned at an earlier tick, so the tick at their fire time only writes. Reading
// 10,000 whole schedules and building their jobs took a fifth of a burst's time (issue 14).
// Without `arm` nothing is written ahead: whether an occurrence runs, is skipped or buffered
// is decided by the store in the fire's own transaction, from the runs active then. With it,
// what that decision cannot change is written now (scheduler_arm.cpp).
#include "core/schedule_rules.h"
#include "engine/scheduler.h"

namespace hypersdk::engine {

namespace {

core::TimeMs to_ms(std::chrono::sys_seconds t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

void Scheduler::plan_ahead(core::TimeMs now) {
  if (config_.lookahead.count() <= 0) return;
  const core::TimeMs until = now + config_.lookahead.count();
  // The heap has no ordered walk: pop what is due by `until`, then put it all back (the fire
  // pops it again). Pairs already due are the ones this tick could not fire: left alone.
  std::vector<Planned> soon;
  for (auto at = next_fire_ms(); at && *at <= until; at = next_fire_ms()) {
    soon.push_back(heap_.top());
    heap_.pop();
  }
  std::vector<core::ScheduleId> ids;
  for (const Planned& p : soon) {
    heap_.push(p);
    if (p.first <= now || (!ids.empty() && ids.back() == p.second)) continue;
    const Entry& e = entries_.at(p.second);  // next_fire_ms kept only live pairs
    auto known = ahead_.find(p.second);
    if (known != ahead_.end() && known->second.planned_for == p.first &&
        known->second.req.expected_version == e.version &&
        known->second.req.expected_cursor == e.cursor_ms)
      continue;
    ids.push_back(p.second);
  }
  if (ids.empty()) return;
  const Calendars calendars = holidays_->snapshot();
  for (std::size_t i = 0; i < ids.size(); i += kFireChunk) {
    const std::vector<core::ScheduleId> chunk(
        ids.begin() + static_cast<std::ptrdiff_t>(i),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + kFireChunk)));
    auto rows = store_.schedule_get_many(chunk);
    if (!rows) return;  // the fire reads them itself
    std::vector<core::ScheduleId> planned;
    for (core::Schedule& s : *rows) {
      auto it = entries_.find(s.id);
      if (it == entries_.end()) continue;
      Entry& e = it->second;
      // A row changed since the load is the fire's to judge (stale); a target glob or a
      // workflow is expanded at the fire, from the inventory of that moment.
      if (s.version != e.version || s.cursor_ms != e.cursor_ms || !e.next ||
          ScheduleRuns::expands(s.spec))
        continue;
      const core::TimeMs at = to_ms(e.next->utc);
      // Planned as of its nominal time: exactly what a fire on time would plan.
      auto d = plan_fire(e, std::move(s), at, calendars);
      if (!d) continue;
      d->planned_for = at;
      d->calendars = calendars;
      ahead_.insert_or_assign(e.id, std::move(*d));
      planned.push_back(e.id);
    }
    if (arming_) arm_planned(planned, now, calendars);
  }
}

std::optional<Scheduler::DueFire> Scheduler::take_planned(core::ScheduleId id, core::TimeMs now,
                                                          const Calendars& calendars) {
  auto it = ahead_.find(id);
  if (it == ahead_.end()) return std::nullopt;
  DueFire d = std::move(it->second);
  ahead_.erase(it);
  auto entry = entries_.find(id);
  if (entry == entries_.end()) return std::nullopt;
  Entry& e = entry->second;
  const core::TimeMs late = now - d.planned_for;
  // The plan is what a fire at `now` would make only when the same occurrences are due (no
  // later one has come due as well), from the same entry and calendars, and `now` is close
  // enough to the nominal time for the catch-up rule and the holidays resolved from it to
  // judge alike.
  const bool holds = e.next && to_ms(e.next->utc) == d.planned_for &&
                     e.cursor_ms == d.req.expected_cursor && e.version == d.req.expected_version &&
                     d.calendars == calendars && late >= 0 && late <= config_.lookahead.count() &&
                     late <= config_.misfire_grace.count() &&
                     !(d.after && to_ms(d.after->utc) <= now);
  if (!holds) return std::nullopt;
  d.entry = &e;
  return d;
}

}  // namespace hypersdk::engine
