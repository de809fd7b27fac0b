#include "store/job_stats.h"

namespace hypersdk::store {

namespace {
// upstream_failed steps never ran: they are not an outcome of their own type.
constexpr const char* kOutcomeCounts =
    "SELECT type, schedule_id, sum(status = 'succeeded'), sum(status = 'failed'), "
    "sum(status = 'cancelled') FROM jobs WHERE finished_at >= ? "
    "AND status IN ('succeeded', 'failed', 'cancelled') GROUP BY type, schedule_id";
// A queued job with a future run_at is not waiting yet (a delayed submit, a backoff).
constexpr const char* kOldestDue =
    "SELECT min(run_at) FROM jobs WHERE status = 'queued' AND run_at <= ?";
constexpr const char* kLastEvent = "SELECT coalesce(max(id), 0) FROM events";
}  // namespace

Result<std::vector<OutcomeCount>> job_outcome_counts(Database& db, core::TimeMs since) {
  std::vector<OutcomeCount> out;
  Status s = db.read([&](Connection& c) {
    auto& st = c.stmt(kOutcomeCounts);
    st.bind(1, static_cast<std::int64_t>(since));
    while (st.executeStep()) {
      OutcomeCount row;
      row.type = st.getColumn(0).getString();
      if (!st.getColumn(1).isNull()) row.schedule_id = st.getColumn(1).getInt64();
      row.succeeded = st.getColumn(2).getInt64();
      row.failed = st.getColumn(3).getInt64();
      row.cancelled = st.getColumn(4).getInt64();
      out.push_back(std::move(row));
    }
    st.reset();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::optional<core::TimeMs>> job_oldest_due(Database& db, core::TimeMs now) {
  std::optional<core::TimeMs> out;
  Status s = db.read([&](Connection& c) {
    auto& st = c.stmt(kOldestDue);
    st.bind(1, static_cast<std::int64_t>(now));
    if (st.executeStep() && !st.getColumn(0).isNull()) out = st.getColumn(0).getInt64();
    st.reset();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::int64_t> event_last_id(Database& db) {
  std::int64_t out = 0;
  Status s = db.read([&](Connection& c) {
    auto& st = c.stmt(kLastEvent);
    if (st.executeStep()) out = st.getColumn(0).getInt64();
    st.reset();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store
