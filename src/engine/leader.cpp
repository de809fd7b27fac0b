#include "engine/leader.h"

#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include "engine/clock.h"
#include "ops/log.h"

namespace hypersdk::engine {

namespace {
core::TimeMs real_now() {
  return SystemClock().now_ms();
}
}  // namespace

LeaderElector::LeaderElector(LeaderConfig config, std::shared_ptr<store::LeaderLease> lease)
    : config_(std::move(config)), lease_(std::move(lease)) {}

LeaderElector::~LeaderElector() {
  stop();
}

void LeaderElector::start() {
  if (loop_) return;
  loop_ = std::make_unique<PeriodicService>("leader-lease",
                                            std::max(std::chrono::milliseconds(1), config_.ttl / 3),
                                            [this] { return run_once(); });
  loop_->start();
}

void LeaderElector::stop() {
  if (loop_) loop_->stop();
  loop_.reset();
  std::int64_t token = 0;
  {
    std::lock_guard lock(mu_);
    if (leading_) token = token_;
    leading_ = false;
    token_ = 0;
  }
  if (token == 0) return;
  if (Status s = lease_->leader_release(config_.node, token, real_now()); !s.ok())
    ops::log::warn("cannot give the leader lease up; another node takes over when it expires",
                   {{"error", s.error().message}});
  else
    ops::log::info("gave the leader lease up", {{"token", token}});
}

Status LeaderElector::run_once() {
  // Measured before the round trip: the lease runs from `now` in the database, so local
  // validity must not start later than that.
  const auto asked = std::chrono::steady_clock::now();
  auto r = lease_->leader_acquire_or_renew(config_.node, real_now(), config_.ttl);
  if (!r) return r.error();  // belief lapses by itself at valid_until_
  bool was = false, now_leads = r->leading;
  std::int64_t old_token = 0;
  {
    std::lock_guard lock(mu_);
    was = leading_ && asked < valid_until_;
    old_token = token_;
    leading_ = now_leads;
    token_ = now_leads ? r->token : 0;
    // A little before the row expires: stored times are whole milliseconds (another node may
    // take over up to 1 ms before asked + ttl) and other nodes' clocks may run faster.
    if (now_leads)
      valid_until_ = asked + config_.ttl - config_.ttl / 10 - std::chrono::milliseconds(1);
  }
  if (now_leads && (!was || old_token != r->token))
    ops::log::info("this node leads: lease reaper and retention run here",
                   {{"node", config_.node}, {"token", r->token}});
  else if (!now_leads && was)
    ops::log::warn("this node lost the leader lease", {{"leader", r->holder}, {"token", r->token}});
  return Status::Ok();
}

bool LeaderElector::is_leader() const {
  std::lock_guard lock(mu_);
  return leading_ && std::chrono::steady_clock::now() < valid_until_;
}

std::int64_t LeaderElector::token() const {
  std::lock_guard lock(mu_);
  return leading_ && std::chrono::steady_clock::now() < valid_until_ ? token_ : 0;
}

Status LeaderElector::fence() {
  const std::int64_t mine = token();
  if (mine == 0)
    return make_error(ErrorClass::conflict, "this node does not hold the leader lease");
  auto row = lease_->leader_get(real_now());
  if (!row) return row.error();
  if (!row->leading || row->holder != config_.node || row->token != mine)
    return make_error(ErrorClass::conflict, "the leader lease moved on (holder " + row->holder +
                                                ", token " + std::to_string(row->token) +
                                                ", ours " + std::to_string(mine) + ")");
  return Status::Ok();
}

bool LeaderElector::may_run() {
  if (!is_leader()) return false;
  Status f = fence();
  if (!f.ok() && f.error().cls != ErrorClass::conflict)
    ops::log::warn("cannot read the leader lease; leader-only work waits",
                   {{"error", f.error().message}});
  return f.ok();
}

void add_leader_metric(ops::Metrics& metrics, const LeaderElector& leader) {
  auto& gauge = prometheus::BuildGauge()
                    .Name("hypersdk_is_leader")
                    .Help("1 while this node holds the leader lease (lease reaper, retention)")
                    .Register(metrics.registry())
                    .Add({});
  metrics.add_scrape_hook([&gauge, &leader] { gauge.Set(leader.is_leader() ? 1 : 0); });
}

}  // namespace hypersdk::engine
