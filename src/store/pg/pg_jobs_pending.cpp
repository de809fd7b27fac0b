// The jobs half of the PostgreSQL store, stubbed until each method lands in its own file
// (pg_jobs.cpp, pg_job_admin.cpp, pg_logs_dlq.cpp, pg_progress.cpp). Temporary (P1).
#include "store/pg/pg_store.h"

namespace hypersdk::store::pg {

namespace {
Error pending(const char* what) {
  return make_error(ErrorClass::internal,
                    std::string(what) + " is not implemented on PostgreSQL yet");
}
}  // namespace

Result<Job> PgStore::job_enqueue(const JobSpec&, TimeMs) {
  return pending("job_enqueue");
}

Result<std::vector<Job>> PgStore::job_claim(int, TimeMs, std::chrono::milliseconds,
                                            const std::string&) {
  return pending("job_claim");
}

Result<std::vector<JobId>> PgStore::job_heartbeat(const std::vector<Lease>&, TimeMs) {
  return pending("job_heartbeat");
}

Result<std::vector<CompletionResult>> PgStore::job_complete(const std::vector<Completion>&,
                                                            TimeMs) {
  return pending("job_complete");
}

Result<Job> PgStore::job_get(JobId) {
  return pending("job_get");
}

Result<std::vector<Job>> PgStore::job_list(const JobFilter&) {
  return pending("job_list");
}

Result<std::map<std::string, std::int64_t>> PgStore::job_count_by_status() {
  return pending("job_count_by_status");
}

Result<Job> PgStore::job_cancel(JobId, TimeMs) {
  return pending("job_cancel");
}

Result<Job> PgStore::job_retry(JobId, TimeMs) {
  return pending("job_retry");
}

Result<std::vector<JobId>> PgStore::job_cancel_requests(const std::string&) {
  return pending("job_cancel_requests");
}

Result<RescueResult> PgStore::job_rescue_expired(TimeMs, int) {
  return pending("job_rescue_expired");
}

Result<RescueResult> PgStore::job_rescue_owners(const std::vector<std::string>&, TimeMs, int) {
  return pending("job_rescue_owners");
}

Result<std::vector<std::string>> PgStore::job_lease_owners() {
  return pending("job_lease_owners");
}

Result<int> PgStore::job_release(const std::string&, TimeMs) {
  return pending("job_release");
}

Result<int> PgStore::job_release_leases(const std::vector<Lease>&, TimeMs) {
  return pending("job_release_leases");
}

Result<std::optional<TimeMs>> PgStore::job_next_due() {
  return pending("job_next_due");
}

Result<int> PgStore::job_prune(std::optional<TimeMs>, std::optional<int>) {
  return pending("job_prune");
}

Status PgStore::job_log_append(const std::vector<LogLine>&) {
  return pending("job_log_append");
}

Result<std::vector<LogLine>> PgStore::job_log_read(JobId, std::int64_t, int) {
  return pending("job_log_read");
}

Result<std::vector<DeadLetter>> PgStore::dlq_list(int) {
  return pending("dlq_list");
}

Result<DeadLetter> PgStore::dlq_get(JobId) {
  return pending("dlq_get");
}

Result<std::int64_t> PgStore::dlq_count() {
  return pending("dlq_count");
}

Result<Job> PgStore::dlq_replay(JobId, TimeMs) {
  return pending("dlq_replay");
}

Result<int> PgStore::dlq_purge(std::optional<JobId>) {
  return pending("dlq_purge");
}

Status PgStore::job_progress_record(const std::vector<ProgressReport>&) {
  return pending("job_progress_record");
}

Result<std::optional<JobProgress>> PgStore::job_progress_get(JobId) {
  return pending("job_progress_get");
}

Result<std::vector<Job>> job_enqueue_many(PgStore&, const std::vector<JobSpec>&, TimeMs) {
  return pending("job_enqueue_many");
}

}  // namespace hypersdk::store::pg
