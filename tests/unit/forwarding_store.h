// A Store that forwards every call to another: tests derive from it to put a seam between the
// code under test and a real store (fault injection: override one method to fail, else call
// through).
#pragma once

#include "store/store.h"

namespace hypersdk::test {

class ForwardingStore : public store::Store {
 public:
  using Job = store::Job;
  using JobId = store::JobId;
  using JobSpec = store::JobSpec;
  using TimeMs = store::TimeMs;
  using JobFilter = store::JobFilter;
  using Lease = store::Lease;
  using Completion = store::Completion;
  using CompletionResult = store::CompletionResult;
  using RescueResult = store::RescueResult;
  using LogLine = store::LogLine;
  using DeadLetter = store::DeadLetter;
  using Schedule = store::Schedule;
  using ScheduleSpec = store::ScheduleSpec;
  using ScheduleId = store::ScheduleId;
  using FireRequest = store::FireRequest;
  using FireResult = store::FireResult;
  using RunRequest = store::RunRequest;
  using Occurrence = store::Occurrence;
  using WindowSweep = store::WindowSweep;
  using AuditEntry = store::AuditEntry;
  using Event = store::Event;

  explicit ForwardingStore(store::Store& inner) : inner_(inner) {}

  Result<Job> job_enqueue(const JobSpec& spec, TimeMs now) override {
    return inner_.job_enqueue(spec, now);
  }
  Result<std::vector<Job>> job_enqueue_many(const std::vector<JobSpec>& specs,
                                            TimeMs now) override {
    return inner_.job_enqueue_many(specs, now);
  }
  Result<std::vector<Job>> job_claim(int max, TimeMs now, std::chrono::milliseconds ttl,
                                     const std::string& owner) override {
    return inner_.job_claim(max, now, ttl, owner);
  }
  Result<std::vector<JobId>> job_heartbeat(const std::vector<Lease>& leases,
                                           TimeMs lease_until) override {
    return inner_.job_heartbeat(leases, lease_until);
  }
  Result<std::vector<CompletionResult>> job_complete(const std::vector<Completion>& batch,
                                                     TimeMs now) override {
    return inner_.job_complete(batch, now);
  }
  Result<Job> job_get(JobId id) override { return inner_.job_get(id); }
  Result<std::vector<Job>> job_list(const JobFilter& filter) override {
    return inner_.job_list(filter);
  }
  Result<std::map<std::string, std::int64_t>> job_count_by_status() override {
    return inner_.job_count_by_status();
  }
  Result<Job> job_cancel(JobId id, TimeMs now) override { return inner_.job_cancel(id, now); }
  Result<Job> job_retry(JobId id, TimeMs now) override { return inner_.job_retry(id, now); }
  Result<std::vector<JobId>> job_cancel_requests(const std::string& owner) override {
    return inner_.job_cancel_requests(owner);
  }
  Result<RescueResult> job_rescue_expired(TimeMs now, int max_expiries) override {
    return inner_.job_rescue_expired(now, max_expiries);
  }
  Result<RescueResult> job_rescue_owners(const std::vector<std::string>& owners, TimeMs now,
                                         int max_expiries) override {
    return inner_.job_rescue_owners(owners, now, max_expiries);
  }
  Result<std::vector<std::string>> job_lease_owners() override { return inner_.job_lease_owners(); }
  Result<int> job_release(const std::string& owner, TimeMs now) override {
    return inner_.job_release(owner, now);
  }
  Result<int> job_release_leases(const std::vector<Lease>& leases, TimeMs now) override {
    return inner_.job_release_leases(leases, now);
  }
  Result<std::optional<TimeMs>> job_next_due() override { return inner_.job_next_due(); }
  Result<int> job_prune(std::optional<TimeMs> before, std::optional<int> keep) override {
    return inner_.job_prune(before, keep);
  }
  Status job_log_append(const std::vector<LogLine>& lines) override {
    return inner_.job_log_append(lines);
  }
  Result<std::vector<LogLine>> job_log_read(JobId id, std::int64_t after_seq, int limit) override {
    return inner_.job_log_read(id, after_seq, limit);
  }
  Result<std::vector<DeadLetter>> dlq_list(int limit) override { return inner_.dlq_list(limit); }
  Result<DeadLetter> dlq_get(JobId id) override { return inner_.dlq_get(id); }
  Result<std::int64_t> dlq_count() override { return inner_.dlq_count(); }
  Result<Job> dlq_replay(JobId id, TimeMs now) override { return inner_.dlq_replay(id, now); }
  Result<int> dlq_purge(std::optional<JobId> id) override { return inner_.dlq_purge(id); }
  Result<Schedule> schedule_create(const ScheduleSpec& spec, TimeMs now) override {
    return inner_.schedule_create(spec, now);
  }
  Result<Schedule> schedule_update(const std::string& name, const ScheduleSpec& spec,
                                   bool reset_cursor, TimeMs now) override {
    return inner_.schedule_update(name, spec, reset_cursor, now);
  }
  Result<Schedule> schedule_get(const std::string& name) override {
    return inner_.schedule_get(name);
  }
  Result<Schedule> schedule_get_by_id(ScheduleId id) override {
    return inner_.schedule_get_by_id(id);
  }
  Result<std::vector<Schedule>> schedule_list() override { return inner_.schedule_list(); }
  Result<std::vector<Schedule>> schedule_page(const store::ScheduleFilter& filter) override {
    return inner_.schedule_page(filter);
  }
  Status schedule_delete(const std::string& name) override { return inner_.schedule_delete(name); }
  Result<Schedule> schedule_set_paused(const std::string& name, bool paused, TimeMs now) override {
    return inner_.schedule_set_paused(name, paused, now);
  }
  Result<std::int64_t> schedule_generation() override { return inner_.schedule_generation(); }
  Result<FireResult> schedule_fire(const FireRequest& req, TimeMs now) override {
    return inner_.schedule_fire(req, now);
  }
  Result<Job> schedule_run(const RunRequest& req, TimeMs now) override {
    return inner_.schedule_run(req, now);
  }
  Result<std::vector<Occurrence>> schedule_occurrences(ScheduleId id, int limit) override {
    return inner_.schedule_occurrences(id, limit);
  }
  Result<WindowSweep> job_window_sweep(TimeMs now) override { return inner_.job_window_sweep(now); }
  Result<int> schedule_prune(TimeMs before) override { return inner_.schedule_prune(before); }
  Result<std::vector<AuditEntry>> audit_list(int limit) override {
    return inner_.audit_list(limit);
  }
  Result<std::vector<Event>> event_list(std::int64_t after_id, int limit) override {
    return inner_.event_list(after_id, limit);
  }
  Result<store::Workflow> workflow_submit(const store::WorkflowSubmit& req, TimeMs now) override {
    return inner_.workflow_submit(req, now);
  }
  Result<store::Workflow> workflow_get(store::WorkflowId id) override {
    return inner_.workflow_get(id);
  }
  Result<std::vector<store::Workflow>> workflow_list(int limit) override {
    return inner_.workflow_list(limit);
  }
  Result<store::Workflow> workflow_retry(store::WorkflowId id, TimeMs now) override {
    return inner_.workflow_retry(id, now);
  }
  Result<store::Workflow> workflow_cancel(store::WorkflowId id, TimeMs now) override {
    return inner_.workflow_cancel(id, now);
  }
  Result<store::WorkflowTemplate> workflow_template_put(const store::WorkflowTemplate& t,
                                                        bool replace, TimeMs now) override {
    return inner_.workflow_template_put(t, replace, now);
  }
  Result<store::WorkflowTemplate> workflow_template_get(const std::string& name) override {
    return inner_.workflow_template_get(name);
  }
  Result<std::vector<store::WorkflowTemplate>> workflow_template_list() override {
    return inner_.workflow_template_list();
  }
  Status workflow_template_delete(const std::string& name) override {
    return inner_.workflow_template_delete(name);
  }
  Status job_progress_record(const std::vector<store::ProgressReport>& reports) override {
    return inner_.job_progress_record(reports);
  }
  Result<std::optional<store::JobProgress>> job_progress_get(JobId id) override {
    return inner_.job_progress_get(id);
  }
  Result<std::int64_t> data_version() override { return inner_.data_version(); }

 protected:
  store::Store& inner_;
};

}  // namespace hypersdk::test
