// The database backend with the audit trail: every mutating command a CLI runs straight on
// the database (no server, or --local) is recorded with the local user ("$USER (uid N)") as
// actor and source "cli", after it succeeded. Through a server the API records it instead.
// Thread safety: as LocalBackend (one thread).
#pragma once

#include "cli/local_backend.h"
#include "engine/audit_trail.h"

namespace hypersdk::cli {

class AuditedLocalBackend final : public LocalBackend {
 public:
  AuditedLocalBackend(std::shared_ptr<store::StoreBackend> backend, engine::AdmissionPolicy policy);

  Result<nlohmann::json> submit(const nlohmann::json& request) override;
  Result<nlohmann::json> submit_batch(const nlohmann::json& requests) override;
  Result<nlohmann::json> cancel(const std::string& id) override;
  Result<nlohmann::json> retry(const std::string& id) override;
  Result<nlohmann::json> dlq_replay(const std::string& id) override;
  Result<nlohmann::json> dlq_purge(const std::optional<std::string>& id) override;
  Result<nlohmann::json> schedule_create(const nlohmann::json& request) override;
  Result<nlohmann::json> schedule_update(const std::string& name,
                                         const nlohmann::json& patch) override;
  Result<nlohmann::json> schedule_delete(const std::string& name) override;
  Result<nlohmann::json> schedule_pause(const std::string& name, bool paused) override;
  Result<nlohmann::json> schedule_run(const std::string& name,
                                      const nlohmann::json& request) override;
  Result<nlohmann::json> workflow_submit(const nlohmann::json& definition,
                                         const std::map<std::string, std::string>& params) override;
  Result<nlohmann::json> workflow_retry(const std::string& id) override;
  Result<nlohmann::json> workflow_cancel(const std::string& id) override;
  Result<nlohmann::json> workflow_template_put(const std::string& name,
                                               const nlohmann::json& definition,
                                               bool replace) override;
  Result<nlohmann::json> workflow_template_delete(const std::string& name) override;

 private:
  // Records `action` on `subject` (or the answer's id/name when empty) when `r` succeeded.
  Result<nlohmann::json> audited(Result<nlohmann::json> r, const std::string& action,
                                 std::string subject, nlohmann::json details = {});
  engine::AuditTrail trail_;
};

}  // namespace hypersdk::cli
