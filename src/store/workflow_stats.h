// Workflow counts for the metrics scrape, read straight from the SQLite database (as the WAL
// and file sizes are): not part of the store port, which holds what clients may do.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/error.h"
#include "store/database.h"

namespace hypersdk::store {

// Workflows by status (running | succeeded | failed | cancelled); one short read.
Result<std::map<std::string, std::int64_t>> workflow_count_by_status(Database& db);

}  // namespace hypersdk::store
