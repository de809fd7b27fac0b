// Workflow templates: the built-in ones and the operations of WorkflowService on templates.
#include "engine/workflow_service.h"

namespace hypersdk::engine {

namespace {

// THE STEP CONTRACT (providers, exports, uploads): each step's payload gets `inputs`, its
// upstreams' results; file consumers take `path` from their single upstream that has one, and
// snapshot remove takes the id from the snapshot step's result. keep_last (default 0: keep all)
// makes upload remove the VM's older copies on the target beyond the newest N. cleanup runs
// all_done, so the snapshot is removed when any later step failed (those below it end
// upstream_failed, which counts as done).
constexpr const char* kMigrate = R"({
  "name": "migrate",
  "params": {"format": "ova", "keep_last": "0"},
  "steps": [
    {"name": "snapshot", "type": "snapshot",
     "payload": {"provider": "{{provider}}", "vm": "{{vm}}", "action": "create"},
     "provider": "{{provider}}", "target": "{{vm}}"},
    {"name": "export", "type": "export", "depends_on": ["snapshot"],
     "payload": {"provider": "{{provider}}", "vm": "{{vm}}", "format": "{{format}}"},
     "provider": "{{provider}}", "target": "{{vm}}"},
    {"name": "convert", "type": "convert", "depends_on": ["export"],
     "payload": {"format": "{{format}}"}, "target": "{{vm}}"},
    {"name": "upload", "type": "upload", "depends_on": ["convert"],
     "payload": {"target": "{{target}}", "keep_last": "{{keep_last}}"}, "target": "{{vm}}"},
    {"name": "verify", "type": "verify", "depends_on": ["upload"], "payload": {},
     "target": "{{vm}}"},
    {"name": "cleanup", "type": "snapshot", "depends_on": ["snapshot", "verify"],
     "trigger_rule": "all_done",
     "payload": {"provider": "{{provider}}", "vm": "{{vm}}", "action": "remove"},
     "provider": "{{provider}}", "target": "{{vm}}"}
  ]
})";

const store::WorkflowTemplate* builtin(const std::string& name) {
  for (const auto& t : builtin_workflow_templates())
    if (t.name == name) return &t;
  return nullptr;
}

Error builtin_conflict(const std::string& name, const char* verb) {
  return make_error(ErrorClass::conflict,
                    "workflow template \"" + name + "\" is built in and cannot be " + verb);
}

}  // namespace

const std::vector<store::WorkflowTemplate>& builtin_workflow_templates() {
  static const std::vector<store::WorkflowTemplate> all{{"migrate", kMigrate, true, 0, 0}};
  return all;
}

Result<store::WorkflowTemplate> WorkflowService::template_get(const std::string& name) {
  if (const auto* t = builtin(name)) return *t;
  return jobs_.store().workflow_template_get(name);
}

Result<std::vector<store::WorkflowTemplate>> WorkflowService::template_list() {
  auto stored = jobs_.store().workflow_template_list();
  if (!stored) return stored.error();
  std::vector<store::WorkflowTemplate> out = builtin_workflow_templates();
  for (auto& t : *stored)
    if (!builtin(t.name)) out.push_back(std::move(t));
  return out;
}

Result<store::WorkflowTemplate> WorkflowService::template_put(const store::WorkflowTemplate& t,
                                                              bool replace) {
  if (builtin(t.name)) return builtin_conflict(t.name, "replaced");
  return jobs_.store().workflow_template_put(t, replace, jobs_.now());
}

Status WorkflowService::template_delete(const std::string& name) {
  if (builtin(name)) return Status(builtin_conflict(name, "deleted"));
  return jobs_.store().workflow_template_delete(name);
}

}  // namespace hypersdk::engine
