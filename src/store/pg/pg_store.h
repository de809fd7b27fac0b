// The PostgreSQL implementation of the store port (store.h) for several nodes sharing one
// queue (issue 17). Same domain types, same row order, same rules as SqliteStore; every method
// is one transaction. Claims, heartbeats and lease releases run READ COMMITTED with
// FOR UPDATE SKIP LOCKED (nodes claim different rows, never the same one); every other write
// runs SERIALIZABLE, so the read-modify-write logic SQLite gets from its single writer stays
// correct with several writers (PgDatabase::write retries serialization failures).
//
// The methods are defined by subject: pg_jobs*.cpp, pg_logs_dlq.cpp, pg_progress.cpp (jobs);
// pg_schedule*.cpp, pg_workflow*.cpp, pg_templates.cpp, pg_audit_events.cpp (schedules,
// workflows, templates, audit, events). Until those exist, pg_pending.cpp answers them with
// "not implemented on PostgreSQL yet".
// Thread safety: as PgDatabase: every method may be called from any thread.
#pragma once

#include <memory>

#include "store/pg/pg_database.h"
#include "store/store.h"

namespace hypersdk::store::pg {

class PgStore final : public Store {
 public:
  explicit PgStore(std::shared_ptr<PgDatabase> db) : db_(std::move(db)) {}
  PgDatabase& database() { return *db_; }

  Result<Job> job_enqueue(const JobSpec& spec, TimeMs now) override;
  Result<std::vector<Job>> job_enqueue_many(const std::vector<JobSpec>& specs, TimeMs now) override;
  Result<std::vector<Job>> job_claim(int max, TimeMs now, std::chrono::milliseconds ttl,
                                     const std::string& owner) override;
  Result<std::vector<JobId>> job_heartbeat(const std::vector<Lease>& leases,
                                           TimeMs lease_until) override;
  Result<std::vector<CompletionResult>> job_complete(const std::vector<Completion>& batch,
                                                     TimeMs now) override;
  // One READ COMMITTED transaction when no workflow step is in the batch; else job_complete
  // (SERIALIZABLE), then job_claim, as the port's default does.
  Result<CompleteAndClaim> job_complete_and_claim(const std::vector<Completion>& batch, TimeMs now,
                                                  int claim_max, std::chrono::milliseconds ttl,
                                                  const std::string& owner) override;
  Result<Job> job_get(JobId id) override;
  Result<std::vector<Job>> job_list(const JobFilter& filter) override;
  Result<std::map<std::string, std::int64_t>> job_count_by_status() override;
  Result<Job> job_cancel(JobId id, TimeMs now) override;
  Result<Job> job_retry(JobId id, TimeMs now) override;
  Result<std::vector<JobId>> job_cancel_requests(const std::string& owner) override;
  Result<RescueResult> job_rescue_expired(TimeMs now, int max_expiries) override;
  Result<RescueResult> job_rescue_owners(const std::vector<std::string>& owners, TimeMs now,
                                         int max_expiries) override;
  Result<std::vector<std::string>> job_lease_owners() override;
  Result<int> job_release(const std::string& owner, TimeMs now) override;
  Result<int> job_release_leases(const std::vector<Lease>& leases, TimeMs now) override;
  Result<std::optional<TimeMs>> job_next_due() override;
  Result<int> job_prune(std::optional<TimeMs> before, std::optional<int> keep) override;

  Status job_log_append(const std::vector<LogLine>& lines) override;
  Result<std::vector<LogLine>> job_log_read(JobId id, std::int64_t after_seq, int limit) override;

  Result<std::vector<DeadLetter>> dlq_list(int limit) override;
  Result<DeadLetter> dlq_get(JobId id) override;
  Result<std::int64_t> dlq_count() override;
  Result<Job> dlq_replay(JobId id, TimeMs now) override;
  Result<int> dlq_purge(std::optional<JobId> id) override;

  Result<Schedule> schedule_create(const ScheduleSpec& spec, TimeMs now) override;
  Result<Schedule> schedule_update(const std::string& name, const ScheduleSpec& spec,
                                   bool reset_cursor, TimeMs now) override;
  Result<Schedule> schedule_get(const std::string& name) override;
  Result<Schedule> schedule_get_by_id(ScheduleId id) override;
  Result<std::vector<Schedule>> schedule_list() override;
  Result<std::vector<Schedule>> schedule_page(const ScheduleFilter& filter) override;
  Status schedule_delete(const std::string& name) override;
  Result<Schedule> schedule_set_paused(const std::string& name, bool paused, TimeMs now) override;
  Result<std::int64_t> schedule_generation() override;
  Result<FireResult> schedule_fire(const FireRequest& req, TimeMs now) override;
  Result<Job> schedule_run(const RunRequest& req, TimeMs now) override;
  Result<std::vector<Occurrence>> schedule_occurrences(ScheduleId id, int limit) override;
  Result<WindowSweep> job_window_sweep(TimeMs now) override;
  Result<int> schedule_prune(TimeMs before) override;
  Result<std::vector<AuditEntry>> audit_list(int limit) override;
  Result<std::vector<Event>> event_list(std::int64_t after_id, int limit) override;

  Result<Workflow> workflow_submit(const WorkflowSubmit& req, TimeMs now) override;
  Result<Workflow> workflow_get(WorkflowId id) override;
  Result<std::vector<Workflow>> workflow_list(int limit) override;
  Result<Workflow> workflow_retry(WorkflowId id, TimeMs now) override;
  Result<Workflow> workflow_cancel(WorkflowId id, TimeMs now) override;
  Result<WorkflowTemplate> workflow_template_put(const WorkflowTemplate& t, bool replace,
                                                 TimeMs now) override;
  Result<WorkflowTemplate> workflow_template_get(const std::string& name) override;
  Result<std::vector<WorkflowTemplate>> workflow_template_list() override;
  Status workflow_template_delete(const std::string& name) override;

  Status job_progress_record(const std::vector<ProgressReport>& reports) override;
  Result<std::optional<JobProgress>> job_progress_get(JobId id) override;

  Result<std::int64_t> data_version() override { return db_->data_version(); }

 private:
  std::shared_ptr<PgDatabase> db_;
};

}  // namespace hypersdk::store::pg
