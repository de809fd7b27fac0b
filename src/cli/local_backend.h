// The Backend that works straight on the database (SQLite or PostgreSQL, store/backend.h), with
// or without a running server.
#pragma once

#include <memory>

#include "cli/backend.h"
#include "engine/clock.h"
#include "engine/job_service.h"
#include "engine/schedule_service.h"
#include "engine/workflow_service.h"
#include "store/backend.h"

namespace hypersdk::cli {

class LocalBackend : public Backend {
 public:
  LocalBackend(std::shared_ptr<store::StoreBackend> backend, engine::AdmissionPolicy policy);

  Result<nlohmann::json> submit(const nlohmann::json& request) override;
  Result<nlohmann::json> submit_batch(const nlohmann::json& requests) override;
  Result<nlohmann::json> list(const ListQuery& q) override;
  Result<nlohmann::json> get(const std::string& id) override;
  Result<nlohmann::json> logs(const std::string& id, std::int64_t after, int limit) override;
  Result<nlohmann::json> follow(const std::string& id,
                                const std::function<void(const nlohmann::json&)>& on_line) override;
  Result<nlohmann::json> cancel(const std::string& id) override;
  Result<nlohmann::json> retry(const std::string& id) override;
  Result<nlohmann::json> dlq_list(int limit) override;
  Result<nlohmann::json> dlq_get(const std::string& id) override;
  Result<nlohmann::json> dlq_replay(const std::string& id) override;
  Result<nlohmann::json> dlq_purge(const std::optional<std::string>& id) override;

  Result<nlohmann::json> schedule_create(const nlohmann::json& request) override;
  Result<nlohmann::json> schedule_update(const std::string& name,
                                         const nlohmann::json& patch) override;
  Result<nlohmann::json> schedule_list(const ScheduleQuery& q) override;
  Result<nlohmann::json> schedule_get(const std::string& name, int occurrences) override;
  Result<nlohmann::json> schedule_delete(const std::string& name) override;
  Result<nlohmann::json> schedule_pause(const std::string& name, bool paused) override;
  Result<nlohmann::json> schedule_run(const std::string& name,
                                      const nlohmann::json& request) override;
  Result<nlohmann::json> audit_list(int limit) override;

  Result<nlohmann::json> workflow_submit(const nlohmann::json& definition,
                                         const std::map<std::string, std::string>& params) override;
  Result<nlohmann::json> workflow_list(int limit) override;
  Result<nlohmann::json> workflow_get(const std::string& id) override;
  Result<nlohmann::json> workflow_retry(const std::string& id) override;
  Result<nlohmann::json> workflow_cancel(const std::string& id) override;
  Result<nlohmann::json> workflow_template_put(const std::string& name,
                                               const nlohmann::json& definition,
                                               bool replace) override;
  Result<nlohmann::json> workflow_template_list() override;
  Result<nlohmann::json> workflow_template_get(const std::string& name) override;
  Result<nlohmann::json> workflow_template_delete(const std::string& name) override;
  Result<nlohmann::json> audit_query(const AuditFilter& f) override;

 protected:  // for AuditedLocalBackend (audited_backend.h)
  std::shared_ptr<store::StoreBackend> backend_;
  store::Store& store_;                   // *backend_->store
  std::unique_ptr<engine::Clock> clock_;  // engine::cli_clock(): real time, or a test clock

 private:
  engine::JobService jobs_;
  engine::ScheduleRuns runs_;  // checks workflow schedules (no providers: globs fire in serve)
  engine::ScheduleService schedules_;
  engine::WorkflowService workflows_;
};

// Parses "j-42" or "42"; error class invalid otherwise.
Result<core::JobId> parse_id(const std::string& id);

}  // namespace hypersdk::cli
