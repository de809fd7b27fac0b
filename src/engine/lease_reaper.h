// One pass of the lease reaper (runtime.cpp runs it on the leader every lease_ttl/4): this
// process's own leases are renewed first, then every expired lease is rescued. A lease of
// ours that lapsed only because its renewals failed (a full disk) belongs to a job still
// running here: rescued, it would start a second attempt while this one runs.
// Thread safety: as the pool's and the store's.
#pragma once

#include "engine/clock.h"
#include "engine/worker_pool.h"
#include "store/store.h"

namespace hypersdk::engine {

// Renews `pool`'s leases, then rescues expired ones (store::Store::job_rescue_expired). A
// failed renewal rescues nothing (the pass is retried).
Result<store::RescueResult> reap_expired_leases(WorkerPool& pool, store::Store& store,
                                                const Clock& clock, int max_expiries);

}  // namespace hypersdk::engine
