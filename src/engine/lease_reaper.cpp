#include "engine/lease_reaper.h"

namespace hypersdk::engine {

Result<store::RescueResult> reap_expired_leases(WorkerPool& pool, store::Store& store,
                                                const Clock& clock, int max_expiries) {
  if (Status s = pool.renew_leases(); !s.ok()) return s.error();
  return store.job_rescue_expired(clock.now_ms(), max_expiries);
}

}  // namespace hypersdk::engine
