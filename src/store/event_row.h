// Writing to the events table: the record of what happened (schedule.missed, workflow.*) that
// the notifier reads. Internal to the SQLite store.
#pragma once

#include <string_view>

#include "core/job.h"
#include "store/database.h"

namespace hypersdk::store::detail {

// Appends one event. REQUIRES: inside the write transaction of the change it reports, so the
// event exists exactly when the change does.
void event_insert(Connection& c, std::string_view kind, std::string_view severity,
                  std::string_view subject, const std::string& payload_json, core::TimeMs now);

}  // namespace hypersdk::store::detail
