// Mapping between the jobs table and core::Job. Internal to the SQLite store.
#pragma once

#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/job.h"

namespace hypersdk::store::detail {

// The column list every job SELECT/RETURNING uses; read back with read_job().
#define HYPERSDK_JOB_COLUMNS                                                              \
  "id, type, status, priority, payload, labels, target, provider, attempt, max_retries, " \
  "retry_policy, timeout_ms, run_at, created_at, started_at, finished_at, lease_owner, "  \
  "lease_token, cancel_requested, error_class, error_message, errors, result, "           \
  "idempotency_key"

core::Job read_job(SQLite::Statement& st);

std::string retry_policy_to_json(const core::RetryPolicy& p);
core::RetryPolicy retry_policy_from_json(const std::string& text, int max_retries);

// Appends one record to the JSON error history text.
std::string append_error(const std::string& history, int attempt, core::TimeMs at,
                         const Error& error);

}  // namespace hypersdk::store::detail
