#include "core/schedule_rules.h"

#include <algorithm>

namespace hypersdk::core {

using std::chrono::milliseconds;

CatchupParams catchup_params(const ScheduleSpec& spec, milliseconds grace) {
  return CatchupParams{spec.catchup, spec.catchup_window, spec.max_catchup_runs, grace};
}

CatchupPlan plan_catchup(const std::vector<Fire>& due, std::chrono::sys_time<milliseconds> now,
                         const CatchupParams& params, bool more_due) {
  CatchupPlan plan;
  plan.occurrences.reserve(due.size());
  const milliseconds horizon = std::max(params.window, params.grace);
  auto age = [&](const Fire& f) { return now - std::chrono::time_point_cast<milliseconds>(f.utc); };

  // Indexes of the occurrences the policy lets run, before the cap.
  std::vector<std::size_t> eligible;
  for (std::size_t i = 0; i < due.size(); ++i) {
    const bool late = age(due[i]) > params.grace;
    if (params.policy == CatchupPolicy::none ? !late : age(due[i]) <= horizon)
      eligible.push_back(i);
  }
  std::size_t keep = 0;  // the newest `keep` eligible ones run
  if (!more_due) {
    switch (params.policy) {
      case CatchupPolicy::none:
        keep = eligible.size();
        break;
      case CatchupPolicy::latest:
        keep = std::min<std::size_t>(eligible.size(), 1);
        break;
      case CatchupPolicy::all:
        keep = std::min<std::size_t>(eligible.size(), static_cast<std::size_t>(params.max_runs));
        plan.coalesced = eligible.size() > keep;
        break;
    }
  } else {
    plan.coalesced = params.policy == CatchupPolicy::all && !eligible.empty();
  }
  std::vector<bool> runs(due.size(), false);
  for (std::size_t k = eligible.size() - keep; k < eligible.size(); ++k) runs[eligible[k]] = true;
  std::vector<bool> is_eligible(due.size(), false);
  for (std::size_t i : eligible) is_eligible[i] = true;

  for (std::size_t i = 0; i < due.size(); ++i) {
    PlannedOccurrence p{due[i], runs[i], {}};
    if (!p.run) {
      if (params.policy == CatchupPolicy::none)
        p.reason = missed_reason::catchup_none;
      else if (!is_eligible[i])
        p.reason = missed_reason::outside_catchup_window;
      else if (params.policy == CatchupPolicy::latest)
        p.reason = missed_reason::superseded;
      else
        p.reason = missed_reason::max_catchup_runs;
      ++plan.missed;
    } else {
      ++plan.runs;
    }
    plan.occurrences.push_back(p);
  }
  return plan;
}

OverlapDecision decide_overlap(OverlapPolicy policy, int active_runs, int buffered_runs) {
  if (active_runs <= 0 && buffered_runs <= 0) return {OverlapAction::fire, {}};
  switch (policy) {
    case OverlapPolicy::allow:
      return {OverlapAction::fire, {}};
    case OverlapPolicy::skip:
      return {OverlapAction::skip, missed_reason::overlap};
    case OverlapPolicy::buffer_one:
      if (buffered_runs > 0) return {OverlapAction::skip, missed_reason::overlap_buffer_full};
      return {OverlapAction::buffer, {}};
    case OverlapPolicy::cancel_other:
      return {OverlapAction::cancel_others_and_fire, {}};
  }
  return {OverlapAction::skip, missed_reason::overlap};
}

}  // namespace hypersdk::core
