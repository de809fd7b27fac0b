#include "api/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace hypersdk::api {

RateLimiter::RateLimiter(int rate_per_second, int burst, std::size_t max_clients)
    : max_clients_(std::max<std::size_t>(1, max_clients)),
      rate_(std::max(1, rate_per_second)),
      burst_(std::max(1, burst)) {}

void RateLimiter::set_limits(int rate_per_second, int burst) {
  std::lock_guard lock(mu_);
  rate_ = std::max(1, rate_per_second);
  burst_ = std::max(1, burst);
  for (auto& [key, bucket] : buckets_) bucket.tokens = std::min(bucket.tokens, burst_);
}

void RateLimiter::refill(Bucket& b, TimePoint now) const {
  if (now <= b.updated) return;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
  b.updated = now;
}

void RateLimiter::evict(TimePoint now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
  }
  // Every client is active (a flood from many addresses): forgetting them all errs towards
  // letting requests through rather than growing without bound.
  if (buckets_.size() >= max_clients_) buckets_.clear();
}

RateDecision RateLimiter::acquire(const std::string& key, TimePoint now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) evict(now);
    it = buckets_.emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  refill(b, now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  const double wait = (1.0 - b.tokens) / rate_;
  return {false, std::chrono::seconds(std::max<long>(1, static_cast<long>(std::ceil(wait))))};
}

}  // namespace hypersdk::api
