// Config keys of the worker pool, jobs, retries and the queue (rows of config_schema(), see
// config_schema.h), with the checks of those keys.
#include <string>

#include "ops/config_schema_detail.h"

namespace hypersdk::ops::schema_detail {
namespace {

void check_exit_codes(std::string_view key, const YAML::Node& v, std::vector<ValueProblem>& out) {
  if (v.IsNull()) return;
  if (!v.IsMap()) return problem(out, v, key, "expected a mapping of exit code to error class");
  for (const auto& pair : v) {
    auto code = parse_int(pair.first.Scalar());
    if (!code || *code < 1 || *code > 255)
      problem(out, pair.first, key,
              "exit code must be 1..255 (0 is always success), got " + describe(pair.first));
    if (!pair.second.IsScalar() || !parse_error_class(pair.second.Scalar()))
      problem(out, pair.second, key, "unknown error class " + describe(pair.second));
  }
}

void check_error_classes(std::string_view key, const YAML::Node& v,
                         std::vector<ValueProblem>& out) {
  for (const auto& item : v)
    if (!parse_error_class(item.Scalar()))
      problem(out, item, key, "unknown error class '" + item.Scalar() + "'");
}

}  // namespace

void add_job_keys(std::vector<KeySpec>& out) {
  using T = KeyType;
  out.insert(
      out.end(),
      {
          // Workers
          {.name = "workers.count",
           .type = T::integer,
           .default_value = "4",
           .help = "worker threads of serve",
           .min = 1,
           .max = 1024},
          {.name = "workers.lease_ttl",
           .type = T::duration,
           .default_value = "30s",
           .help = "lease of a claimed job; renewed by heartbeats, reaped when it lapses",
           .min = kSecond},
          {.name = "workers.shutdown_grace",
           .type = T::duration,
           .default_value = "30s",
           .help = "how long running jobs may finish on SIGTERM before leases are handed back"},
          {.name = "workers.claim_batch",
           .type = T::integer,
           .default_value = "64",
           .help = "most jobs claimed in one transaction",
           .min = 1,
           .max = 1000},
          // Jobs
          {.name = "jobs.exec.enabled",
           .type = T::boolean,
           .default_value = "false",
           .help = "allow the exec job type (runs commands as the daemon's user)"},
          {.name = "jobs.exec.allow_shell",
           .type = T::boolean,
           .default_value = "false",
           .help = "allow exec jobs to ask for /bin/sh -c"},
          {.name = "jobs.exec.allowed",
           .type = T::string_list,
           .default_value = "[]",
           .help = "commands exec jobs may run: exact argv[0] values, or directories ending in "
                   "'/'; empty = any"},
          {.name = "jobs.exec.kill_grace",
           .type = T::duration,
           .default_value = "10s",
           .help = "time between SIGTERM and SIGKILL when an exec job is cancelled or times out"},
          {.name = "jobs.exec.exit_codes",
           .type = T::map,
           .default_value = "{75: transient}",
           .help = "exit code -> error class; unlisted non-zero codes are internal",
           .check = check_exit_codes},
          {.name = "jobs.output.max_bytes",
           .type = T::integer,
           .default_value = "10485760",
           .help = "output bytes stored per job attempt: the first half and the last half are "
                   "kept, with a line saying how much was left out between",
           .min = 1024,
           .max = std::int64_t{1} << 30},
          {.name = "jobs.output.max_lines",
           .type = T::integer,
           .default_value = "100000",
           .help = "output lines stored per job attempt, kept as for max_bytes",
           .min = 2,
           .max = std::int64_t{1} << 30},
          {.name = "jobs.output.buffer_bytes",
           .type = T::integer,
           .default_value = "16777216",
           .help = "memory for output not yet written, all jobs together; past it lines are "
                   "dropped, counted in hypersdk_job_output_dropped_lines_total and logged",
           .min = 65536,
           .max = std::int64_t{1} << 30},
          {.name = "jobs.default_timeout",
           .type = T::duration,
           .default_value = "0",
           .help = "timeout of jobs that set none (0 = none)"},
          {.name = "jobs.stall_timeout",
           .type = T::duration,
           .default_value = "10m",
           .help = "a job whose progress (bytes done) stands still this long fails as a timeout "
                   "and is retried; jobs that report no progress are exempt (0 = never)"},
          // Retries
          {.name = "retry.max_retries",
           .type = T::integer,
           .default_value = "3",
           .help = "retries after the first attempt before a job is dead-lettered",
           .max = 1000},
          {.name = "retry.backoff",
           .type = T::enumeration,
           .default_value = "exponential",
           .help = "delay growth between retries (always with jitter)",
           .allowed = {"exponential", "fixed", "linear"}},
          {.name = "retry.base",
           .type = T::duration,
           .default_value = "10s",
           .help = "first retry delay"},
          {.name = "retry.cap",
           .type = T::duration,
           .default_value = "1h",
           .help = "longest retry delay"},
          {.name = "retry.retry_on",
           .type = T::string_list,
           .default_value =
               "[transient, timeout, network, rate_limited, unavailable, lease_expired]",
           .help = "error classes that are retried; others fail at once",
           .check = check_error_classes},
          // Queue
          {.name = "queue.max_lease_expiries",
           .type = T::integer,
           .default_value = "3",
           .help = "lease expiries (crashed or stalled workers) before a job is dead-lettered",
           .min = 1,
           .max = 1000},
      });
}

}  // namespace hypersdk::ops::schema_detail
