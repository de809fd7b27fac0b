// Workflow templates of the PostgreSQL store (as sqlite_workflow_templates.cpp): named
// definitions kept as opaque JSON text, listed by name (bytewise, like SQLite's).
#include "store/pg/pg_store.h"

namespace hypersdk::store::pg {

namespace {

constexpr const char* kTemplateByName =
    "SELECT name, definition, created_at, updated_at FROM workflow_templates WHERE name = $1";
constexpr const char* kTemplates =
    "SELECT name, definition, created_at, updated_at FROM workflow_templates"
    " ORDER BY name COLLATE \"C\"";
constexpr const char* kInsertTemplate =
    "INSERT INTO workflow_templates (name, definition, created_at, updated_at)"
    " VALUES ($1, $2, $3::bigint, $3::bigint)";
constexpr const char* kReplaceTemplate =
    "UPDATE workflow_templates SET definition = $2, updated_at = $3::bigint WHERE name = $1";
constexpr const char* kDeleteTemplate = "DELETE FROM workflow_templates WHERE name = $1";

Error no_such_template(const std::string& name) {
  return make_error(ErrorClass::not_found, "no workflow template \"" + name + "\"");
}

WorkflowTemplate read_template(const Rows& r, int row) {
  WorkflowTemplate t;
  t.name = r.text(row, 0);
  t.definition = r.text(row, 1);
  t.created_at = r.i64(row, 2);
  t.updated_at = r.i64(row, 3);
  return t;
}

std::optional<WorkflowTemplate> template_in(Tx& tx, const std::string& name) {
  Rows r = tx.exec(kTemplateByName, {p(name)});
  if (r.empty()) return std::nullopt;
  return read_template(r, 0);
}

}  // namespace

Result<WorkflowTemplate> PgStore::workflow_template_put(const WorkflowTemplate& t, bool replace,
                                                        TimeMs now) {
  Result<WorkflowTemplate> out = no_such_template(t.name);
  Status s = db_->write([&](Tx& tx) {
    const bool exists = template_in(tx, t.name).has_value();
    if (exists && !replace)
      return Status(make_error(ErrorClass::conflict, "a workflow template named \"" + t.name +
                                                         "\" already exists (use --replace)"));
    tx.exec(exists ? kReplaceTemplate : kInsertTemplate,
            {p(t.name), p(t.definition), p(static_cast<std::int64_t>(now))});
    out = *template_in(tx, t.name);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<WorkflowTemplate> PgStore::workflow_template_get(const std::string& name) {
  Result<WorkflowTemplate> out = no_such_template(name);
  Status s = db_->read([&](Tx& tx) {
    if (auto t = template_in(tx, name)) out = std::move(*t);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<WorkflowTemplate>> PgStore::workflow_template_list() {
  return db_->read_value([](Tx& tx) {
    std::vector<WorkflowTemplate> out;
    Rows r = tx.exec(kTemplates);
    for (int i = 0; i < r.size(); ++i) out.push_back(read_template(r, i));
    return out;
  });
}

Status PgStore::workflow_template_delete(const std::string& name) {
  return db_->write([&](Tx& tx) {
    if (tx.exec(kDeleteTemplate, {p(name)}).affected() == 0) return Status(no_such_template(name));
    return Status::Ok();
  });
}

}  // namespace hypersdk::store::pg
