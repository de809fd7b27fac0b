// Leader election for the maintenance that must run once across the nodes sharing a database
// (lease reaper, retention pruner): a store::LeaderLease renewed every ttl/3 (so two renewals
// may fail before the lease lapses). Whoever holds the lease leads; when the holder stops
// renewing (killed, paused, cut off) another node takes over within one ttl.
//
// Fencing: is_leader() is this process's belief (the last renewal said so, and it is younger
// than the ttl less a tenth by the monotonic clock, so a node cut off from the database stops
// believing on its own, before another can take over). Before each batch of leader-only writes,
// call fence(): it reads the lease row and answers Ok only while the row still names this node with
// the token of its takeover, so a leader that lost the lease (another node's takeover raised the
// token) writes nothing more.
//
// On SQLite (one node) the lease is trivially held: the same rules on a local row.
// Lease times are real time (store/leader_lease.h); the steady clock judges local validity.
// Thread safety: start/stop from the owning thread; the rest from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "engine/periodic.h"
#include "ops/metrics.h"
#include "store/leader_lease.h"

namespace hypersdk::engine {

struct LeaderConfig {
  std::string node;                       // this node's id: its worker pool's lease owner id
  std::chrono::milliseconds ttl{15'000};  // the lease; renewed every ttl/3
};

class LeaderElector {
 public:
  LeaderElector(LeaderConfig config, std::shared_ptr<store::LeaderLease> lease);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Tries to take the lease at once, then renews every ttl/3. Idempotent.
  void start();
  // Stops renewing and gives the lease up when held, so another node takes over at once.
  // Idempotent; safe before start().
  void stop();
  // One acquire-or-renew (the loop's body; tests drive it by hand).
  Status run_once();

  bool is_leader() const;
  // The fencing token of this node's current leadership; 0 when it does not lead.
  std::int64_t token() const;
  // Ok while the lease row still names this node with its token and has not expired;
  // conflict otherwise (or the read's error). Call before each batch of leader-only writes.
  Status fence();
  // is_leader() and fence() both say yes: what a leader-only pass asks before each batch.
  bool may_run();
  const std::string& node() const { return config_.node; }
  std::chrono::milliseconds ttl() const { return config_.ttl; }

 private:
  const LeaderConfig config_;
  std::shared_ptr<store::LeaderLease> lease_;
  mutable std::mutex mu_;
  bool leading_ = false;                               // GUARDED_BY(mu_)
  std::int64_t token_ = 0;                             // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point valid_until_;  // GUARDED_BY(mu_)
  std::unique_ptr<PeriodicService> loop_;
};

// hypersdk_is_leader: 1 while this node holds the leader lease, else 0 (read at each scrape).
void add_leader_metric(ops::Metrics& metrics, const LeaderElector& leader);

}  // namespace hypersdk::engine
