// Who holds a lease: the owner id of this process, and the rescue of leases whose owner
// process on this host is gone (a restart after a crash requeues them at once instead of
// waiting for the leases to expire).
// Thread safety: free functions; safe from any thread.
#pragma once

#include <string>

#include "core/error.h"
#include "engine/clock.h"
#include "store/store.h"

namespace hypersdk::engine {

// "host:pid:starttime": unique per process; lets a restarted server tell that the previous
// holder of a lease on this host is dead (see rescue_dead_owners).
std::string make_owner_id();
// Requeues jobs leased by processes on this host that no longer exist (ending those whose
// cancel was requested as cancelled). Returns how many.
Result<int> rescue_dead_owners(store::Store& store, const Clock& clock, int max_expiries);

}  // namespace hypersdk::engine
