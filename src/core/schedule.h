// The schedule domain (DESIGN §5): what a recurring job is, and the values that say how it
// fires. Pure values and validation; the scheduling rules live in schedule_rules.h.
//
// A schedule names a cron expression in a time zone, the job it enqueues at each occurrence,
// and its policies: DST (dst_gap, dst_fold), catch-up after downtime (catchup,
// catchup_window, max_catchup_runs), overlap with a run still active, and the window its jobs
// may start in (window, days, holidays, window_close).
// Its durable cursor is the nominal fire time (UTC) of the last occurrence the scheduler
// considered, whatever became of it (fired, skipped or missed): the next one is strictly after.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/backoff.h"
#include "core/cron.h"
#include "core/cron_next.h"
#include "core/error.h"
#include "core/schedule_window.h"

namespace hypersdk::core {

using ScheduleId = std::int64_t;

enum class OverlapPolicy { skip, buffer_one, allow, cancel_other };
enum class CatchupPolicy { none, latest, all };

std::string_view to_string(OverlapPolicy p);  // "skip" | "buffer_one" | "allow" | "cancel_other"
std::string_view to_string(CatchupPolicy p);  // "none" | "latest" | "all"
Result<OverlapPolicy> parse_overlap_policy(std::string_view s);
Result<CatchupPolicy> parse_catchup_policy(std::string_view s);

inline constexpr int kMaxCatchupRunsLimit = 1000;

// What a client defines.
struct ScheduleSpec {
  std::string name;  // unique; letters, digits, '.', '_', '-'; 1..100 characters
  std::string cron;  // normalized by validate_schedule
  std::string timezone = "UTC";
  // The job each occurrence enqueues (as core::JobSpec: type, payload, target, ...).
  std::string job_type;
  std::string payload = "{}";
  std::string target;
  std::string provider;
  int priority = 0;
  RetryPolicy retry;
  std::int64_t timeout_ms = 0;
  // The window its jobs may start in, in `timezone`: "" (always), "22:00-06:00", ...
  std::string window;
  std::string days = "*";
  std::vector<std::string> holidays;  // calendar names from config
  WindowClose window_close = WindowClose::let_finish;
  OverlapPolicy overlap = OverlapPolicy::skip;
  CatchupPolicy catchup = CatchupPolicy::latest;
  std::chrono::milliseconds catchup_window{3'600'000};
  int max_catchup_runs = 100;
  DstGap dst_gap = DstGap::shift;
  DstFold dst_fold = DstFold::auto_;
  bool enabled = true;
};

struct Schedule {
  ScheduleId id = 0;
  ScheduleSpec spec;
  bool paused = false;
  std::int64_t cursor_ms = 0;  // last nominal fire considered (see above)
  std::int64_t version = 0;    // bumped by every change of spec or pause state
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;

  bool active() const { return spec.enabled && !paused; }
};

// The parsed, ready-to-use form of a spec's timing fields.
struct CompiledSchedule {
  CronExpr cron;
  const date::time_zone* zone = nullptr;
  JobWindow window;  // holidays unresolved (names only)
};

// Checks every field; normalizes `cron` (parse_cron's canonical text), `window` and `days`.
// Errors are class invalid and name the field: the cron parser's field-level message, an
// unknown zone, a bad window.
Status validate_schedule(ScheduleSpec& spec);

// REQUIRES: validate_schedule(spec) succeeded (otherwise an error is returned).
Result<CompiledSchedule> compile_schedule(const ScheduleSpec& spec);

// The backup kinds the spec writes as a type: `--type incremental` is a `backup` job with
// payload {"kind": "incremental"}.
bool is_backup_kind(std::string_view type);

}  // namespace hypersdk::core
