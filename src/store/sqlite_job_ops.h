// The job lifecycle statements of the SQLite store as steps inside a caller's transaction, so
// that one transaction can chain them (job_complete_and_claim: complete, then claim).
// REQUIRES for each: called inside Database::write (the writer connection, BEGIN IMMEDIATE).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/store.h"

namespace hypersdk::store::detail {

// job_claim's body: promotes due jobs, leases up to `max` (<= 0: none) in claim order.
std::vector<Job> job_claim_in(Connection& c, int max, TimeMs now, std::chrono::milliseconds ttl,
                              const std::string& owner);
// job_complete's body: `results` gets one entry per completion, in batch order (cleared first,
// so a retried transaction starts afresh).
Status job_complete_in(Connection& c, const std::vector<Completion>& batch, TimeMs now,
                       std::vector<CompletionResult>& results);
// Runs `sql` (?1 = value, ?2 = id, ?3 = token; it updates only a running job under that
// token) once per lease; answers the leases it changed no row for: lost to a rescue or an end.
std::vector<JobId> lease_update_in(Connection& c, const char* sql, std::int64_t value,
                                   const std::vector<Lease>& leases);

}  // namespace hypersdk::store::detail
