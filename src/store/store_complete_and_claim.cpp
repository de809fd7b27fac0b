// The port's default job_complete_and_claim: job_complete, then job_claim, as two
// transactions (a store without a one-transaction version still works, with two commits).
#include <algorithm>

#include "store/store.h"

namespace hypersdk::store {

Result<CompleteAndClaim> Store::job_complete_and_claim(const std::vector<Completion>& batch,
                                                       TimeMs now, int claim_max,
                                                       std::chrono::milliseconds ttl,
                                                       const std::string& owner) {
  auto done = job_complete(batch, now);
  if (!done) return done.error();
  CompleteAndClaim out;
  out.results = std::move(*done);
  const bool any_applied = std::any_of(out.results.begin(), out.results.end(),
                                       [](const CompletionResult& r) { return r.applied; });
  if (claim_max <= 0 || !any_applied) return out;
  // The outcomes are committed: a failing claim must not report them as unrecorded.
  if (auto claimed = job_claim(claim_max, now, ttl, owner)) out.claimed = std::move(*claimed);
  return out;
}

}  // namespace hypersdk::store
