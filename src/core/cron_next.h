// Next fire times of a cron expression in an IANA time zone, with explicit DST policies
// (DESIGN §5). Pure: the current time is a parameter, the zone a tz-database entry.
//
// A cron expression names wall-clock times ("nominal" local times). Each maps to 0, 1 or 2
// instants:
//   - normal: one instant.
//   - gap (spring forward; the wall time does not exist):
//       DstGap::shift fires at the same distance past the transition, i.e. the wall time read
//       with the offset in force before the gap (02:30 on 2025-03-09 in America/Chicago fires at
//       03:30 CDT = 08:30Z), with Fire::dst_shifted set. A shifted fire that lands on a wall time
//       the expression fires at anyway is dropped: `30 2,3 * * *` fires once at 03:30.
//       DstGap::skip does not fire.
//   - fold (fall back; the wall time happens twice):
//       DstFold::first fires at the first occurrence only; DstFold::both at both (the second has
//       Fire::fold_second set); DstFold::auto_ follows Debian cron: when minute and hour each
//       select a single value (a fixed-time job such as `30 1 * * *`) it fires once, at the
//       first occurrence; otherwise (`*`, list, range or step in minute or hour) it follows real
//       time and fires in both copies (`0 * * * *` fires at 01:00 CDT and 01:00 CST).
// Fires are returned in strictly increasing UTC order; no instant is ever returned twice.
//
// Search is bounded: next_fire looks kSearchHorizon of wall-clock days past `after` (long enough
// for Feb 29 across 2100: 2096-02-29 -> 2104-02-29) and returns nullopt for expressions that never
// fire (`0 0 30 2 *`). Cost is proportional to days walked, never to minutes.
//
// Known limit: the OS tz database as read by date 3.0.1 has no DST transitions after 2037 (it
// ignores the TZif POSIX footer), so fires after 2037 use the zone's standard offset.
//
// Thread safety: all functions are pure and thread-safe; time_zone pointers live for the program.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include <date/tz.h>

#include "core/cron.h"
#include "core/error.h"

namespace hypersdk::core {

enum class DstGap { shift, skip };
enum class DstFold { auto_, first, both };

std::string_view to_string(DstGap g);   // "shift" | "skip"
std::string_view to_string(DstFold f);  // "auto" | "first" | "both"
Result<DstGap> parse_dst_gap(std::string_view s);
Result<DstFold> parse_dst_fold(std::string_view s);

inline constexpr date::days kSearchHorizon{3660};  // ~10 years

struct Fire {
  std::chrono::sys_seconds utc;       // when it fires
  date::local_seconds nominal_local;  // the wall time the expression named
  bool dst_shifted = false;           // nominal_local fell in a gap; utc is shifted past it
  bool fold_second = false;           // second occurrence of a repeated wall time

  bool operator==(const Fire&) const = default;
};

// The zone for an IANA name ("America/Chicago", "UTC"). Unknown names: ErrorClass::invalid.
Result<const date::time_zone*> find_zone(std::string_view name);

// The first fire strictly after `after`, or nullopt if none within kSearchHorizon.
// A null zone means UTC.
std::optional<Fire> next_fire(const CronExpr& e, const date::time_zone* zone,
                              std::chrono::sys_seconds after, DstGap gap = DstGap::shift,
                              DstFold fold = DstFold::auto_);

// Up to `count` consecutive fires strictly after `after`; fewer if the expression stops firing.
std::vector<Fire> next_fires(const CronExpr& e, const date::time_zone* zone,
                             std::chrono::sys_seconds after, std::size_t count,
                             DstGap gap = DstGap::shift, DstFold fold = DstFold::auto_);

}  // namespace hypersdk::core
