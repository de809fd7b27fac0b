// Mapping between the schedules/schedule_occurrences tables and their domain values in the
// PostgreSQL store. The column lists are the SQLite store's (store/schedule_row.h): the
// PostgreSQL schema keeps the SQLite column names.
// Thread safety: plain functions.
#pragma once

#include <string>
#include <vector>

#include "store/pg/pg_database.h"
#include "store/schedule_types.h"

namespace hypersdk::store::pg::detail {

// A row of a SELECT/RETURNING of HYPERSDK_SCHEDULE_COLUMNS.
Schedule read_schedule(const Rows& r, int row);
// The spec as parameters $1..$22 in the order of HYPERSDK_SCHEDULE_SPEC_COLUMNS.
std::vector<Param> schedule_spec_params(const ScheduleSpec& spec);
// A row of a SELECT of HYPERSDK_OCCURRENCE_COLUMNS.
Occurrence read_occurrence(const Rows& r, int row);

// The POSIX regular expression (for `~`) that matches what SQLite's GLOB matches: `*`, `?`,
// `[...]` and `[^...]` classes, case-sensitive, anchored at both ends. PostgreSQL has no GLOB,
// and schedule_page must filter by the same rule on both stores.
std::string glob_to_regex(const std::string& glob);

}  // namespace hypersdk::store::pg::detail
