#include "core/backoff.h"

#include <algorithm>
#include <array>

namespace hypersdk::core {
namespace {

// splitmix64: a well-mixed 64-bit hash, so nearby (job, attempt) pairs get unrelated jitter.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr std::array<std::pair<BackoffKind, std::string_view>, 3> kKinds{{
    {BackoffKind::exponential, "exponential"},
    {BackoffKind::fixed, "fixed"},
    {BackoffKind::linear, "linear"},
}};

}  // namespace

std::string_view to_string(BackoffKind k) {
  for (const auto& [kind, name] : kKinds)
    if (kind == k) return name;
  return "exponential";
}

std::optional<BackoffKind> parse_backoff_kind(std::string_view s) {
  for (const auto& [kind, name] : kKinds)
    if (name == s) return kind;
  return std::nullopt;
}

bool RetryPolicy::retries(ErrorClass c) const {
  return std::find(retry_on.begin(), retry_on.end(), c) != retry_on.end();
}

std::chrono::milliseconds calculate_backoff(const RetryPolicy& policy, int attempt,
                                            std::int64_t job_id) {
  using std::chrono::milliseconds;
  const std::int64_t base = std::max<std::int64_t>(0, policy.base.count());
  const std::int64_t cap = std::max<std::int64_t>(0, policy.cap.count());
  const int n = std::max(1, attempt);
  std::int64_t d = base;
  switch (policy.kind) {
    case BackoffKind::exponential:
      // Doubling stops at the cap (checked before the multiplication, so no overflow).
      d = base;
      for (int i = 1; i < n && d > 0 && d < cap; ++i) d = d > cap / 2 ? cap : d * 2;
      break;
    case BackoffKind::linear:
      d = base > 0 && n > cap / base ? cap : base * n;
      break;
    case BackoffKind::fixed:
      d = base;
      break;
  }
  if (policy.kind != BackoffKind::fixed) d = std::min(d, cap);
  if (!policy.jitter || d < 2) return milliseconds(d);
  const std::uint64_t r =
      mix(static_cast<std::uint64_t>(job_id) * 1'000'003ULL + static_cast<std::uint64_t>(n));
  const std::int64_t half = d / 2;
  return milliseconds(d - half +
                      static_cast<std::int64_t>(r % static_cast<std::uint64_t>(half + 1)));
}

FailureDecision decide_failure(const RetryPolicy& policy, int attempt, ErrorClass cls,
                               std::int64_t job_id) {
  FailureDecision d;
  if (!policy.retries(cls)) return d;
  const int retries_done = attempt - 1;
  if (retries_done >= policy.max_retries) {
    d.retries_exhausted = true;
    return d;
  }
  d.retry = true;
  d.delay = calculate_backoff(policy, retries_done + 1, job_id);
  return d;
}

}  // namespace hypersdk::core
