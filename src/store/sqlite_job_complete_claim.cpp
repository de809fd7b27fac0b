// The SQLite store's job_complete_and_claim: the outcomes and the completing worker's next
// claim in one write transaction, so a workflow chain's step costs one commit (one fsync under
// synchronous=FULL) where job_complete then job_claim cost two.
#include <algorithm>

#include "store/sqlite_job_ops.h"
#include "store/sqlite_store.h"

namespace hypersdk::store {

Result<CompleteAndClaim> SqliteStore::job_complete_and_claim(const std::vector<Completion>& batch,
                                                             TimeMs now, int claim_max,
                                                             std::chrono::milliseconds ttl,
                                                             const std::string& owner) {
  CompleteAndClaim out;
  out.results.reserve(batch.size());
  Status s = db_->write([&](Connection& c) {
    out.claimed.clear();
    if (Status done = detail::job_complete_in(c, batch, now, out.results); !done.ok()) return done;
    // Claimed after the outcomes, so the successors they made ready are claimable; the claim
    // itself is job_claim's, with its priority order, windows and fresh fencing tokens.
    const bool any_applied = std::any_of(out.results.begin(), out.results.end(),
                                         [](const CompletionResult& r) { return r.applied; });
    if (any_applied) out.claimed = detail::job_claim_in(c, claim_max, now, ttl, owner);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store
