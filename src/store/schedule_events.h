// Schedule values both stores (SQLite and PostgreSQL) write and read the same way, whatever
// the dialect: the stored occurrence outcome, and the payloads of schedule.missed events.
// No SQL here.
#pragma once

#include <string>
#include <vector>

#include "store/schedule_types.h"

namespace hypersdk::store::detail {

// An outcome column's text; an unknown one (a newer binary's) reads as missed.
OccurrenceOutcome parse_outcome(const std::string& s);

// One schedule.missed payload per reason among the missed and skipped occurrences of
// `recorded`, listing at most 50 of them (with the count, first and last).
std::vector<std::string> missed_event_payloads(ScheduleId id, const std::string& name,
                                               const std::vector<Occurrence>& recorded);

}  // namespace hypersdk::store::detail
