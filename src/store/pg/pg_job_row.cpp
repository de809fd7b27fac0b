#include "store/pg/pg_job_row.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace hypersdk::store::pg {

using detail::note_unreadable;
using detail::parse_errors;
using detail::retry_policy_from_json;
using detail::retry_policy_to_json;
using detail::window_from_json;
using detail::window_to_json;

namespace {

constexpr const char* kInsertJob =
    "INSERT INTO jobs (type, status, priority, payload, labels, target, provider, max_retries,"
    " retry_policy, timeout_ms, run_at, created_at, idempotency_key, schedule_id, window_policy,"
    " waiting_for)"
    " VALUES ($1, $2, $3::bigint, $4, $5, $6, $7, $8::bigint, $9, $10::bigint, $11::bigint,"
    " $12::bigint, $13, $14::bigint, $15, $16)"
    " RETURNING " HYPERSDK_JOB_COLUMNS;
constexpr const char* kJobByIdempotencyKey =
    "SELECT " HYPERSDK_JOB_COLUMNS " FROM jobs WHERE idempotency_key = $1";

Param text_or_null(const std::string& s) {
  return s.empty() ? Param{} : Param{s};
}

}  // namespace

core::Job read_job(const Rows& r, int row) {
  core::Job j;
  j.id = r.i64(row, 0);
  j.spec.type = r.text(row, 1);
  const std::string status = r.text(row, 2);
  if (auto parsed = core::parse_job_status(status)) {
    j.status = *parsed;
  } else {
    // A status this binary does not know: read as failed (neither run nor counted active).
    note_unreadable("jobs.status", status, core::format_job_id(j.id));
    j.status = core::JobStatus::failed;
  }
  j.spec.priority = static_cast<int>(r.i64(row, 3));
  j.spec.payload = r.text(row, 4);
  j.spec.labels = r.text(row, 5);
  j.spec.target = r.text(row, 6);
  j.spec.provider = r.text(row, 7);
  j.attempt = static_cast<int>(r.i64(row, 8));
  j.spec.retry = retry_policy_from_json(r.text(row, 10), static_cast<int>(r.i64(row, 9)));
  j.spec.timeout_ms = r.i64(row, 11);
  j.run_at = r.i64(row, 12);
  j.spec.run_at = j.run_at;
  j.created_at = r.i64(row, 13);
  j.started_at = r.opt_i64(row, 14);
  j.finished_at = r.opt_i64(row, 15);
  j.lease_owner = r.text(row, 16);
  j.lease_token = r.i64(row, 17);
  j.cancel_requested = r.i64(row, 18) != 0;
  if (!r.null(row, 19)) {
    const std::string cls = r.text(row, 19);
    auto parsed = parse_error_class(cls);
    if (!parsed) note_unreadable("jobs.error_class", cls, core::format_job_id(j.id));
    j.last_error = Error{parsed.value_or(ErrorClass::internal), r.text(row, 20)};
  }
  j.errors = parse_errors(r.text(row, 21));
  j.result = r.text(row, 22);
  j.spec.idempotency_key = r.text(row, 23);
  if (!r.null(row, 24)) j.spec.schedule_id = r.i64(row, 24);
  if (!r.null(row, 25)) j.spec.window = window_from_json(r.text(row, 25));
  return j;
}

Result<core::Job> insert_job(Tx& tx, const core::JobSpec& spec, core::TimeMs now, bool buffered) {
  const core::TimeMs wanted = std::max(now, spec.run_at.value_or(now));
  core::TimeMs run_at = spec.run_at.value_or(now);
  const char* status = "queued";
  Param waiting_for;
  const bool windowed = spec.window && spec.window->restricts();
  if (buffered) {
    status = "waiting";
    waiting_for = "overlap";
  } else if (windowed) {
    auto start = core::window_start_at(*spec.window, wanted);
    if (!start)
      return make_error(ErrorClass::invalid,
                        "the job's time window never opens in the next two years (check "
                        "--window, --days and --holidays)");
    if (*start > wanted) {
      status = "waiting";
      waiting_for = "window";
      run_at = *start;
    }
  }
  auto r = tx.exec(
      kInsertJob,
      {p(spec.type), p(status), p(spec.priority), p(spec.payload), p(spec.labels), p(spec.target),
       p(spec.provider), p(spec.retry.max_retries), p(retry_policy_to_json(spec.retry)),
       p(std::int64_t{spec.timeout_ms}), p(std::int64_t{run_at}), p(std::int64_t{now}),
       text_or_null(spec.idempotency_key), p(spec.schedule_id),
       windowed ? p(window_to_json(*spec.window)) : Param{}, waiting_for});
  return read_job(r, 0);
}

std::optional<core::Job> job_by_idempotency_key(Tx& tx, const std::string& key) {
  auto r = tx.exec(kJobByIdempotencyKey, {p(key)});
  if (r.empty()) return std::nullopt;
  return read_job(r, 0);
}

}  // namespace hypersdk::store::pg
