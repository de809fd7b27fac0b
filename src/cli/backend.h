// What CLI commands talk to: the database directly (default; works with or without a running
// server) or a server's HTTP API (--server URL). Both speak the API's JSON shapes, so a
// command renders the same output either way.
// Thread safety: one Backend per command invocation, used from one thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace hypersdk::cli {

struct ListQuery {
  std::string status;  // empty = any
  std::string type;    // empty = any
  int limit = 50;
  std::string cursor;  // "j-42": only older jobs
};

// `audit list` (the API's GET /api/v1/audit query); empty strings do not filter.
struct AuditFilter {
  std::string since;  // RFC 3339 or milliseconds since the epoch
  std::string actor;
  std::string action;
  int limit = 100;
};

// One page of `schedule list` (the API's GET /api/v1/schedules query).
struct ScheduleQuery {
  std::string name;      // glob; empty = any
  std::string paused;    // "true" | "false" | empty = any
  std::string provider;  // empty = any
  int limit = 50;
  std::string cursor;  // a schedule name: only names after it
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Result<nlohmann::json> submit(const nlohmann::json& request) = 0;
  // Many job requests in one transaction (wire/job_batch_json.h), POST /api/v1/jobs:batch:
  // {"results": [{"job": ...} | {"error": ...}, ...], "accepted": N, "rejected": M}.
  virtual Result<nlohmann::json> submit_batch(const nlohmann::json& requests) = 0;
  // {"jobs": [...], "next_cursor": "j-12" | null}
  virtual Result<nlohmann::json> list(const ListQuery& q) = 0;
  virtual Result<nlohmann::json> get(const std::string& id) = 0;
  // {"lines": [...]}
  virtual Result<nlohmann::json> logs(const std::string& id, std::int64_t after, int limit) = 0;
  // Calls on_line for each log line until the job has finished; returns the final job.
  virtual Result<nlohmann::json> follow(
      const std::string& id, const std::function<void(const nlohmann::json&)>& on_line) = 0;
  virtual Result<nlohmann::json> cancel(const std::string& id) = 0;
  virtual Result<nlohmann::json> retry(const std::string& id) = 0;
  // {"dead_letters": [...]}
  virtual Result<nlohmann::json> dlq_list(int limit) = 0;
  virtual Result<nlohmann::json> dlq_get(const std::string& id) = 0;
  virtual Result<nlohmann::json> dlq_replay(const std::string& id) = 0;
  // {"purged": N}
  virtual Result<nlohmann::json> dlq_purge(const std::optional<std::string>& id) = 0;

  // Schedules, in the shapes of /api/v1/schedules (engine/schedule_json.h).
  virtual Result<nlohmann::json> schedule_create(const nlohmann::json& request) = 0;
  // Changes only the keys present in `patch`.
  virtual Result<nlohmann::json> schedule_update(const std::string& name,
                                                 const nlohmann::json& patch) = 0;
  // {"schedules": [...], "next_cursor": NAME or null}
  virtual Result<nlohmann::json> schedule_list(const ScheduleQuery& q) = 0;
  // The schedule with its `occurrences` most recent occurrences ("occurrences": [...]).
  virtual Result<nlohmann::json> schedule_get(const std::string& name, int occurrences) = 0;
  virtual Result<nlohmann::json> schedule_delete(const std::string& name) = 0;
  virtual Result<nlohmann::json> schedule_pause(const std::string& name, bool paused) = 0;
  // {"emergency": bool, "reason": "..."}; returns the job.
  virtual Result<nlohmann::json> schedule_run(const std::string& name,
                                              const nlohmann::json& request) = 0;
  // Emergency overrides: {"entries": [...]}, newest first.
  virtual Result<nlohmann::json> audit_list(int limit) = 0;
  // The whole audit trail, as GET /api/v1/audit: {"entries": [...]}, newest first.
  virtual Result<nlohmann::json> audit_query(const AuditFilter& f) = 0;

  // Workflows, in the shapes of /api/v1/workflows (wire/workflow_json.h). `params` are the
  // --param values, applied to the "{{name}}" placeholders of the definition.
  virtual Result<nlohmann::json> workflow_submit(
      const nlohmann::json& definition, const std::map<std::string, std::string>& params) = 0;
  // {"workflows": [...]}, newest first.
  virtual Result<nlohmann::json> workflow_list(int limit) = 0;
  virtual Result<nlohmann::json> workflow_get(const std::string& id) = 0;
  virtual Result<nlohmann::json> workflow_retry(const std::string& id) = 0;
  virtual Result<nlohmann::json> workflow_cancel(const std::string& id) = 0;
  // Templates, in the shapes of /api/v1/workflow-templates (wire/workflow_template.h).
  // put: without replace, an existing template of that name is a conflict.
  virtual Result<nlohmann::json> workflow_template_put(const std::string& name,
                                                       const nlohmann::json& definition,
                                                       bool replace) = 0;
  // {"templates": [...]}, by name.
  virtual Result<nlohmann::json> workflow_template_list() = 0;
  virtual Result<nlohmann::json> workflow_template_get(const std::string& name) = 0;
  // {"deleted": NAME}
  virtual Result<nlohmann::json> workflow_template_delete(const std::string& name) = 0;
};

}  // namespace hypersdk::cli
