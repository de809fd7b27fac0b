#include "cli/audited_backend.h"

#include "wire/audit_json.h"

namespace hypersdk::cli {

using json = nlohmann::json;

// Beside the subclass that needs it: the trail is read through the same database.
Result<json> LocalBackend::audit_query(const AuditFilter& f) {
  store::AuditQuery q;
  q.limit = f.limit;
  if (!f.since.empty()) {
    auto since = wire::parse_audit_since(f.since);
    if (!since) return since.error();
    q.since = *since;
  }
  if (!f.actor.empty()) q.actor = f.actor;
  if (!f.action.empty()) q.action = f.action;
  auto rows = backend_->audit->audit_query(q);
  if (!rows) return rows.error();
  json out{{"entries", json::array()}};
  for (const auto& r : *rows) out["entries"].push_back(wire::audit_record_to_json(r));
  return out;
}

AuditedLocalBackend::AuditedLocalBackend(std::shared_ptr<store::StoreBackend> backend,
                                         engine::AdmissionPolicy policy)
    : LocalBackend(backend, std::move(policy)), trail_(backend->audit, *clock_) {}

Result<json> AuditedLocalBackend::audited(Result<json> r, const std::string& action,
                                          std::string subject, json details) {
  if (!r) return r;
  if (subject.empty() && r->is_object())
    for (const char* key : {"id", "name"})
      if (r->contains(key) && (*r)[key].is_string()) {
        subject = (*r)[key].get<std::string>();
        break;
      }
  (void)trail_.record({.actor = engine::local_actor(),
                       .action = action,
                       .subject = subject,
                       .source = "cli",
                       .details = details.is_null() ? "{}" : details.dump()});
  return r;
}

Result<json> AuditedLocalBackend::submit(const json& request) {
  return audited(LocalBackend::submit(request), "jobs.create", "");
}
Result<json> AuditedLocalBackend::submit_batch(const json& requests) {
  auto r = LocalBackend::submit_batch(requests);
  if (!r) return r;
  json details{{"accepted", (*r)["accepted"]}, {"rejected", (*r)["rejected"]}};
  return audited(std::move(r), "jobs:batch.create", "", std::move(details));
}
Result<json> AuditedLocalBackend::cancel(const std::string& id) {
  return audited(LocalBackend::cancel(id), "jobs.cancel", id);
}
Result<json> AuditedLocalBackend::retry(const std::string& id) {
  return audited(LocalBackend::retry(id), "jobs.retry", id);
}
Result<json> AuditedLocalBackend::dlq_replay(const std::string& id) {
  return audited(LocalBackend::dlq_replay(id), "dlq.replay", id);
}
Result<json> AuditedLocalBackend::dlq_purge(const std::optional<std::string>& id) {
  auto r = LocalBackend::dlq_purge(id);
  json details = r ? json{{"purged", r->value("purged", 0)}} : json();
  return audited(std::move(r), "dlq.delete", id.value_or("*"), details);
}
Result<json> AuditedLocalBackend::schedule_create(const json& request) {
  return audited(LocalBackend::schedule_create(request), "schedules.create", "");
}
Result<json> AuditedLocalBackend::schedule_update(const std::string& name, const json& patch) {
  return audited(LocalBackend::schedule_update(name, patch), "schedules.update", name);
}
Result<json> AuditedLocalBackend::schedule_delete(const std::string& name) {
  return audited(LocalBackend::schedule_delete(name), "schedules.delete", name);
}
Result<json> AuditedLocalBackend::schedule_pause(const std::string& name, bool paused) {
  return audited(LocalBackend::schedule_pause(name, paused),
                 paused ? "schedules.pause" : "schedules.resume", name);
}
Result<json> AuditedLocalBackend::schedule_run(const std::string& name, const json& request) {
  return audited(LocalBackend::schedule_run(name, request), "schedules.run", name,
                 json{{"emergency", request.value("emergency", false)}});
}
Result<json> AuditedLocalBackend::workflow_submit(
    const json& definition, const std::map<std::string, std::string>& params) {
  return audited(LocalBackend::workflow_submit(definition, params), "workflows.create", "");
}
Result<json> AuditedLocalBackend::workflow_retry(const std::string& id) {
  return audited(LocalBackend::workflow_retry(id), "workflows.retry", id);
}
Result<json> AuditedLocalBackend::workflow_cancel(const std::string& id) {
  return audited(LocalBackend::workflow_cancel(id), "workflows.cancel", id);
}
Result<json> AuditedLocalBackend::workflow_template_put(const std::string& name,
                                                        const json& definition, bool replace) {
  return audited(LocalBackend::workflow_template_put(name, definition, replace),
                 "workflow-templates.update", name);
}
Result<json> AuditedLocalBackend::workflow_template_delete(const std::string& name) {
  return audited(LocalBackend::workflow_template_delete(name), "workflow-templates.delete", name);
}

}  // namespace hypersdk::cli
