// Workflow templates of the SQLite store: named definitions with {{param}} placeholders.
// The store keeps them as opaque JSON text; parsing and instantiation are the wire's.
#include "store/sqlite_store.h"

namespace hypersdk::store {

namespace {

constexpr const char* kTemplateByName =
    "SELECT name, definition, created_at, updated_at FROM workflow_templates WHERE name = ?";
constexpr const char* kTemplates =
    "SELECT name, definition, created_at, updated_at FROM workflow_templates ORDER BY name";
constexpr const char* kInsertTemplate =
    "INSERT INTO workflow_templates (name, definition, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?3)";
constexpr const char* kReplaceTemplate =
    "UPDATE workflow_templates SET definition = ?2, updated_at = ?3 WHERE name = ?1";
constexpr const char* kDeleteTemplate = "DELETE FROM workflow_templates WHERE name = ?";

Error no_such_template(const std::string& name) {
  return make_error(ErrorClass::not_found, "no workflow template \"" + name + "\"");
}

WorkflowTemplate read_template(SQLite::Statement& st) {
  WorkflowTemplate t;
  t.name = st.getColumn(0).getString();
  t.definition = st.getColumn(1).getString();
  t.created_at = st.getColumn(2).getInt64();
  t.updated_at = st.getColumn(3).getInt64();
  return t;
}

std::optional<WorkflowTemplate> template_in(Connection& c, const std::string& name) {
  auto& st = c.stmt(kTemplateByName);
  st.bind(1, name);
  std::optional<WorkflowTemplate> out;
  if (st.executeStep()) out = read_template(st);
  st.reset();
  return out;
}

}  // namespace

Result<WorkflowTemplate> SqliteStore::workflow_template_put(const WorkflowTemplate& t, bool replace,
                                                            TimeMs now) {
  Result<WorkflowTemplate> out = no_such_template(t.name);
  Status s = db_->write([&](Connection& c) {
    const bool exists = template_in(c, t.name).has_value();
    if (exists && !replace)
      return Status(make_error(ErrorClass::conflict, "a workflow template named \"" + t.name +
                                                         "\" already exists (use --replace)"));
    auto& st = c.stmt(exists ? kReplaceTemplate : kInsertTemplate);
    st.bind(1, t.name);
    st.bind(2, t.definition);
    st.bind(3, static_cast<std::int64_t>(now));
    st.exec();
    out = *template_in(c, t.name);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<WorkflowTemplate> SqliteStore::workflow_template_get(const std::string& name) {
  Result<WorkflowTemplate> out = no_such_template(name);
  Status s = db_->read([&](Connection& c) {
    if (auto t = template_in(c, name)) out = std::move(*t);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<WorkflowTemplate>> SqliteStore::workflow_template_list() {
  std::vector<WorkflowTemplate> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kTemplates);
    while (st.executeStep()) out.push_back(read_template(st));
    st.reset();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status SqliteStore::workflow_template_delete(const std::string& name) {
  return db_->write([&](Connection& c) {
    auto& st = c.stmt(kDeleteTemplate);
    st.bind(1, name);
    if (st.exec() == 0) return Status(no_such_template(name));
    return Status::Ok();
  });
}

}  // namespace hypersdk::store
