// The scheduling rules of DESIGN §5 as pure decisions: which due occurrences run after a late
// tick or downtime (catch-up), and what an occurrence does when a previous run is still active
// (overlap). No I/O, no clock: `now` is a parameter.
//
// Catch-up. An occurrence is due when its fire time is at or before now. It is late when now
// is more than `grace` past it (serve was down, the machine slept, the wall clock jumped
// forward); an occurrence seen within `grace` is on time and always runs.
//   none:   late occurrences are missed (reason catchup_none).
//   latest: of the occurrences within the catch-up window (now - catchup_window, never less
//           than grace), the newest runs; the older ones are missed as superseded.
//   all:    every occurrence within the catch-up window runs, at most max_catchup_runs (the
//           newest ones); older ones are missed as max_catchup_runs (coalesced, with a warning).
//   Occurrences older than the catch-up window are missed as outside_catchup_window.
// When the caller could not list every due occurrence (more_due: the list is the oldest part
// of a longer backlog), none of the listed ones can be among the runs (max_catchup_runs is at
// most kMaxCatchupRunsLimit, and the caller lists more than that), so all are missed.
//
// Overlap. A run is active while its job is not finished (waiting, queued, running,
// retrying). Occurrences of one catch-up batch are judged against the runs that were active
// before the batch, not against each other (catch-up `all` asked for each of them).
//   skip:         active run -> the occurrence is skipped (reason overlap).
//   buffer_one:   active run -> one occurrence waits for it to finish (buffered); a further one
//                 is skipped (overlap_buffer_full).
//   allow:        always fires.
//   cancel_other: active runs are cancelled, then it fires.
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/cron_next.h"
#include "core/schedule.h"

namespace hypersdk::core {

// Reasons an occurrence did not run; stored with it and carried by schedule.missed events.
namespace missed_reason {
inline constexpr std::string_view catchup_none = "catchup_none";
inline constexpr std::string_view outside_catchup_window = "outside_catchup_window";
inline constexpr std::string_view superseded = "superseded";
inline constexpr std::string_view max_catchup_runs = "max_catchup_runs";
inline constexpr std::string_view overlap = "overlap";
inline constexpr std::string_view overlap_buffer_full = "overlap_buffer_full";
}  // namespace missed_reason

struct CatchupParams {
  CatchupPolicy policy = CatchupPolicy::latest;
  std::chrono::milliseconds window{3'600'000};
  int max_runs = 100;
  std::chrono::milliseconds grace{60'000};
};

CatchupParams catchup_params(const ScheduleSpec& spec, std::chrono::milliseconds grace);

struct PlannedOccurrence {
  Fire fire;
  bool run = false;
  std::string_view reason;  // empty when run
};

struct CatchupPlan {
  std::vector<PlannedOccurrence> occurrences;  // in the order given (oldest first)
  int runs = 0;
  int missed = 0;
  bool coalesced = false;  // `all` had more eligible occurrences than max_catchup_runs
};

// REQUIRES: `due` in increasing order, every fire at or before now.
CatchupPlan plan_catchup(const std::vector<Fire>& due,
                         std::chrono::sys_time<std::chrono::milliseconds> now,
                         const CatchupParams& params, bool more_due);

enum class OverlapAction { fire, skip, buffer, cancel_others_and_fire };

struct OverlapDecision {
  OverlapAction action = OverlapAction::fire;
  std::string_view reason;  // for skip
};

// active_runs: unfinished runs of the schedule (not counting a buffered one);
// buffered_runs: occurrences already waiting for those to finish.
OverlapDecision decide_overlap(OverlapPolicy policy, int active_runs, int buffered_runs);

}  // namespace hypersdk::core
