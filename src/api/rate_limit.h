// Per-client rate limiting for the HTTP API: one token bucket per client key ("token:<name>"
// for an authenticated caller, "ip:<address>" otherwise). A bucket holds up to `burst`
// requests and refills at `rate_per_second`; a request that finds it empty is refused with
// 429 and Retry-After (whole seconds until a request would be allowed).
//
// Memory is bounded: beyond `max_clients` buckets, idle (full) buckets are dropped first.
// Time is a parameter, so tests need no sleeps.
//
// Thread safety: acquire() may be called from any thread (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace hypersdk::api {

struct RateDecision {
  bool allowed = true;
  std::chrono::seconds retry_after{0};  // when refused: >= 1
};

class RateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // REQUIRES: rate_per_second >= 1, burst >= 1
  RateLimiter(int rate_per_second, int burst, std::size_t max_clients = 10'000);

  RateDecision acquire(const std::string& key, TimePoint now);

  // New limits for every client from now on (a config reload); a bucket fuller than the new
  // burst is cut down to it. REQUIRES: rate_per_second >= 1, burst >= 1
  void set_limits(int rate_per_second, int burst);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint updated;
  };
  void refill(Bucket& b, TimePoint now) const;  // REQUIRES: mu_ held
  void evict(TimePoint now);                    // REQUIRES: mu_ held

  const std::size_t max_clients_;
  std::mutex mu_;
  double rate_;                                      // GUARDED_BY(mu_)
  double burst_;                                     // GUARDED_BY(mu_)
  std::unordered_map<std::string, Bucket> buckets_;  // GUARDED_BY(mu_)
};

}  // namespace hypersdk::api
