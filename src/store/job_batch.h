// Bulk enqueue on the SQLite store: many jobs in one transaction (one commit, one fsync).
// A free function beside the port for now: the port (store/store.h) is included by most of
// the tree, so the method joins it (job_enqueue_many) when the port next changes anyway.
// Thread safety: as the store.
#pragma once

#include <vector>

#include "store/sqlite_store.h"

namespace hypersdk::store {

// Inserts every spec in one transaction: all of them, in order, or none (the error). Each
// idempotency key already used (also earlier in `specs`) returns the existing job.
Result<std::vector<Job>> job_enqueue_many(SqliteStore& store, const std::vector<JobSpec>& specs,
                                          TimeMs now);

}  // namespace hypersdk::store
