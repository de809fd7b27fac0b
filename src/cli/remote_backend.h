// The Backend that talks to a running server's HTTP API (--server URL).
#pragma once

#include "cli/api_client.h"
#include "cli/backend.h"

namespace hypersdk::cli {

class RemoteBackend final : public Backend {
 public:
  RemoteBackend(std::string base_url, std::string token, ClientTls tls = {})
      : client_(std::move(base_url), std::move(token), std::move(tls)) {}

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
  Result<nlohmann::json> audit_query(const AuditFilter& f) override;

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

 private:
  ApiClient client_;
};

}  // namespace hypersdk::cli
