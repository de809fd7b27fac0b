#include "cli/remote_backend.h"

#include <httplib.h>

#include "engine/schedule_service.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {
std::string enc(const std::string& s) {
  return httplib::detail::encode_query_param(s);
}
}  // namespace

Result<json> RemoteBackend::submit(const json& request) {
  return client_.post("/api/v1/jobs", request);
}

Result<json> RemoteBackend::submit_batch(const json& requests) {
  return client_.post("/api/v1/jobs:batch", requests);
}

Result<json> RemoteBackend::list(const ListQuery& q) {
  std::string path = "/api/v1/jobs?limit=" + std::to_string(q.limit);
  if (!q.status.empty()) path += "&status=" + enc(q.status);
  if (!q.type.empty()) path += "&type=" + enc(q.type);
  if (!q.cursor.empty()) path += "&cursor=" + enc(q.cursor);
  return client_.get(path);
}

Result<json> RemoteBackend::get(const std::string& id) {
  return client_.get("/api/v1/jobs/" + enc(id));
}

Result<json> RemoteBackend::logs(const std::string& id, std::int64_t after, int limit) {
  return client_.get("/api/v1/jobs/" + enc(id) + "/logs?after=" + std::to_string(after) +
                     "&limit=" + std::to_string(limit));
}

Result<json> RemoteBackend::follow(const std::string& id,
                                   const std::function<void(const json&)>& on_line) {
  Status s = client_.stream_sse("/api/v1/jobs/" + enc(id) + "/logs?follow=1",
                                [&](const std::string& event, const std::string& data) {
                                  if (event == "log") {
                                    auto line = json::parse(data, nullptr, false);
                                    if (!line.is_discarded()) on_line(line);
                                  } else if (event == "progress") {
                                    auto p = json::parse(data, nullptr, false);
                                    if (p.is_object()) on_line(json{{"progress", p}});
                                  }
                                  return event != "end";
                                });
  if (!s.ok()) return s.error();
  return get(id);
}

Result<json> RemoteBackend::cancel(const std::string& id) {
  return client_.post("/api/v1/jobs/" + enc(id) + "/cancel", json::object());
}

Result<json> RemoteBackend::retry(const std::string& id) {
  return client_.post("/api/v1/jobs/" + enc(id) + "/retry", json::object());
}

Result<json> RemoteBackend::dlq_list(int limit) {
  return client_.get("/api/v1/dlq?limit=" + std::to_string(limit));
}

Result<json> RemoteBackend::dlq_get(const std::string& id) {
  return client_.get("/api/v1/dlq/" + enc(id));
}

Result<json> RemoteBackend::dlq_replay(const std::string& id) {
  return client_.post("/api/v1/dlq/" + enc(id) + "/replay", json::object());
}

Result<json> RemoteBackend::dlq_purge(const std::optional<std::string>& id) {
  return client_.del(id ? "/api/v1/dlq/" + enc(*id) : "/api/v1/dlq");
}

Result<json> RemoteBackend::schedule_create(const json& request) {
  return client_.post("/api/v1/schedules", request);
}

Result<json> RemoteBackend::schedule_update(const std::string& name, const json& patch) {
  return client_.post("/api/v1/schedules/" + enc(name), patch);
}

Result<json> RemoteBackend::schedule_list(const ScheduleQuery& q) {
  std::string path = "/api/v1/schedules?limit=" + std::to_string(q.limit);
  if (!q.name.empty()) path += "&name=" + enc(q.name);
  if (!q.paused.empty()) path += "&paused=" + enc(q.paused);
  if (!q.provider.empty()) path += "&provider=" + enc(q.provider);
  if (!q.cursor.empty()) path += "&cursor=" + enc(q.cursor);
  return client_.get(path);
}

Result<json> RemoteBackend::schedule_get(const std::string& name, int occurrences) {
  return client_.get("/api/v1/schedules/" + enc(name) +
                     "?occurrences=" + std::to_string(occurrences));
}

Result<json> RemoteBackend::schedule_delete(const std::string& name) {
  return client_.del("/api/v1/schedules/" + enc(name));
}

Result<json> RemoteBackend::schedule_pause(const std::string& name, bool paused) {
  return client_.post("/api/v1/schedules/" + enc(name) + (paused ? "/pause" : "/resume"),
                      json::object());
}

Result<json> RemoteBackend::schedule_run(const std::string& name, const json& request) {
  // The audit of an emergency run names who asked, not only the token (api/schedule_routes).
  json body = request;
  if (body.value("emergency", false)) body["requested_by"] = engine::local_actor();
  return client_.post("/api/v1/schedules/" + enc(name) + "/run", body);
}

Result<json> RemoteBackend::audit_list(int limit) {
  return client_.get("/api/v1/audit?action=schedule.emergency_run&limit=" + std::to_string(limit));
}

Result<json> RemoteBackend::audit_query(const AuditFilter& f) {
  std::string q = "/api/v1/audit?limit=" + std::to_string(f.limit);
  if (!f.since.empty()) q += "&since=" + enc(f.since);
  if (!f.actor.empty()) q += "&actor=" + enc(f.actor);
  if (!f.action.empty()) q += "&action=" + enc(f.action);
  return client_.get(q);
}

// The --param values travel in the definition's "params" (they override its own).
Result<json> RemoteBackend::workflow_submit(const json& definition,
                                            const std::map<std::string, std::string>& params) {
  json body = definition;
  if (!params.empty() && body.is_object()) {
    if (!body.contains("params") || !body["params"].is_object()) body["params"] = json::object();
    for (const auto& [k, v] : params) body["params"][k] = v;
  }
  return client_.post("/api/v1/workflows", body);
}

Result<json> RemoteBackend::workflow_list(int limit) {
  return client_.get("/api/v1/workflows?limit=" + std::to_string(limit));
}

Result<json> RemoteBackend::workflow_get(const std::string& id) {
  return client_.get("/api/v1/workflows/" + enc(id));
}

Result<json> RemoteBackend::workflow_retry(const std::string& id) {
  return client_.post("/api/v1/workflows/" + enc(id) + "/retry", json::object());
}

Result<json> RemoteBackend::workflow_cancel(const std::string& id) {
  return client_.post("/api/v1/workflows/" + enc(id) + "/cancel", json::object());
}

Result<json> RemoteBackend::workflow_template_put(const std::string& name, const json& definition,
                                                  bool replace) {
  return client_.put("/api/v1/workflow-templates/" + enc(name) + (replace ? "" : "?replace=false"),
                     definition);
}

Result<json> RemoteBackend::workflow_template_list() {
  return client_.get("/api/v1/workflow-templates");
}

Result<json> RemoteBackend::workflow_template_get(const std::string& name) {
  return client_.get("/api/v1/workflow-templates/" + enc(name));
}

Result<json> RemoteBackend::workflow_template_delete(const std::string& name) {
  return client_.del("/api/v1/workflow-templates/" + enc(name));
}

}  // namespace hypersdk::cli
