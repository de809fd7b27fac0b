// calculate_backoff and decide_failure (DESIGN §6): each policy against its formula, the cap,
// and the jitter's range and determinism.
#include <doctest/doctest.h>

#include <limits>
#include <set>

#include "core/backoff.h"

using namespace hypersdk;
using core::BackoffKind;
using core::calculate_backoff;
using core::RetryPolicy;
using std::chrono::milliseconds;

namespace {
RetryPolicy policy(BackoffKind kind, std::int64_t base, std::int64_t cap, bool jitter) {
  RetryPolicy p;
  p.kind = kind;
  p.base = milliseconds(base);
  p.cap = milliseconds(cap);
  p.jitter = jitter;
  return p;
}
}  // namespace

TEST_CASE("backoff: exponential doubles from the base and stops at the cap") {
  auto p = policy(BackoffKind::exponential, 10'000, 3'600'000, false);
  const std::int64_t want[] = {10'000,  20'000,  40'000,    80'000,    160'000,
                               320'000, 640'000, 1'280'000, 2'560'000, 3'600'000};
  for (int attempt = 1; attempt <= 10; ++attempt)
    CHECK(calculate_backoff(p, attempt, 1).count() == want[attempt - 1]);
  CHECK(calculate_backoff(p, 1000, 1).count() == 3'600'000);
}

TEST_CASE("backoff: linear adds the base each attempt and stops at the cap") {
  auto p = policy(BackoffKind::linear, 7'000, 30'000, false);
  CHECK(calculate_backoff(p, 1, 1).count() == 7'000);
  CHECK(calculate_backoff(p, 2, 1).count() == 14'000);
  CHECK(calculate_backoff(p, 4, 1).count() == 28'000);
  CHECK(calculate_backoff(p, 5, 1).count() == 30'000);
  CHECK(calculate_backoff(p, 1'000'000, 1).count() == 30'000);
}

TEST_CASE("backoff: fixed is the base every time") {
  auto p = policy(BackoffKind::fixed, 5'000, 1'000, false);
  for (int attempt : {1, 2, 3, 50}) CHECK(calculate_backoff(p, attempt, 9).count() == 5'000);
}

TEST_CASE("backoff: huge bases and caps neither overflow nor loop") {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  auto e = policy(BackoffKind::exponential, max / 3, max, false);
  CHECK(calculate_backoff(e, 5, 1).count() == max);
  auto l = policy(BackoffKind::linear, max / 3, max, false);
  CHECK(calculate_backoff(l, 5, 1).count() == max);
  auto zero = policy(BackoffKind::exponential, 0, max, false);
  CHECK(calculate_backoff(zero, std::numeric_limits<int>::max(), 1).count() == 0);
}

TEST_CASE("backoff: equal jitter stays in [d/2, d] and is the same for the same job and attempt") {
  for (auto kind : {BackoffKind::exponential, BackoffKind::linear, BackoffKind::fixed}) {
    auto jittered = policy(kind, 10'000, 3'600'000, true);
    auto plain = policy(kind, 10'000, 3'600'000, false);
    std::set<std::int64_t> distinct;
    for (std::int64_t job = 1; job <= 200; ++job) {
      for (int attempt = 1; attempt <= 6; ++attempt) {
        const auto d = calculate_backoff(plain, attempt, job).count();
        const auto j = calculate_backoff(jittered, attempt, job).count();
        CHECK(j >= d - d / 2);
        CHECK(j <= d);
        CHECK(calculate_backoff(jittered, attempt, job).count() == j);  // reproducible
        if (attempt == 1) distinct.insert(j);
      }
    }
    // Different jobs get different delays (spread over [5 s, 10 s], not one value).
    CHECK(distinct.size() > 150);
  }
}

TEST_CASE("decide_failure: retries the classes listed, counts attempts, reports exhaustion") {
  RetryPolicy p;  // 3 retries, transient among the retried classes
  p.jitter = false;
  auto first = core::decide_failure(p, 1, ErrorClass::transient, 1);
  CHECK(first.retry);
  CHECK(first.delay == milliseconds(10'000));
  CHECK(core::decide_failure(p, 3, ErrorClass::transient, 1).delay == milliseconds(40'000));
  auto last = core::decide_failure(p, 4, ErrorClass::transient, 1);
  CHECK_FALSE(last.retry);
  CHECK(last.retries_exhausted);
  auto invalid = core::decide_failure(p, 1, ErrorClass::invalid, 1);
  CHECK_FALSE(invalid.retry);
  CHECK_FALSE(invalid.retries_exhausted);
}
