// Workflow operations of the PostgreSQL store: submit, get, list, retry, cancel (DESIGN §7),
// the same statements and answers as sqlite_workflows.cpp.
#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "store/job_row.h"
#include "store/pg/pg_event_row.h"
#include "store/pg/pg_job_row.h"
#include "store/pg/pg_store.h"
#include "store/pg/pg_workflow_advance.h"
#include "store/pg/pg_workflow_rows.h"

namespace hypersdk::store::pg {
using namespace detail;
using nlohmann::json;

namespace {

constexpr const char* kInsertWorkflow =
    "INSERT INTO workflows (name, status, definition, params, created_at, updated_at, schedule_id)"
    " VALUES ($1, 'running', $2, $3, $4::bigint, $4::bigint, $5::bigint) RETURNING id";
// A step with upstreams ($5 > 0 of them) waits for them.
constexpr const char* kMarkStep =
    "UPDATE jobs SET workflow_id = $1::bigint, step_name = $2, trigger_rule = $3,"
    " upstream_unfinished = $5::bigint,"
    " status = CASE WHEN $5::bigint > 0 THEN 'waiting' ELSE status END,"
    " waiting_for = CASE WHEN $5::bigint > 0 THEN 'upstream' ELSE waiting_for END"
    " WHERE id = $4::bigint";
constexpr const char* kInsertEdge =
    "INSERT INTO workflow_edges (upstream_id, downstream_id) VALUES ($1::bigint, $2::bigint)"
    " ON CONFLICT DO NOTHING";
constexpr const char* kWorkflowById =
    "SELECT id, name, status, definition, params, runs, cancel_requested, created_at,"
    " updated_at, finished_at FROM workflows WHERE id = $1::bigint";
constexpr const char* kWorkflowIds = "SELECT id FROM workflows ORDER BY id DESC LIMIT $1::bigint";
constexpr const char* kSteps = "SELECT " HYPERSDK_JOB_COLUMNS
                               ", step_name, trigger_rule, step_skipped"
                               " FROM jobs WHERE workflow_id = $1::bigint ORDER BY id";
constexpr const char* kEdges =
    "SELECT u.step_name, d.step_name FROM workflow_edges e JOIN jobs d ON d.id = e.downstream_id"
    " JOIN jobs u ON u.id = e.upstream_id WHERE d.workflow_id = $1::bigint"
    " ORDER BY e.upstream_id, e.downstream_id";
constexpr const char* kResetStep =
    "UPDATE jobs SET status = 'waiting', waiting_for = 'upstream', attempt = 0,"
    " run_at = $1::bigint, finished_at = NULL, started_at = NULL, lease_expiries = 0,"
    " cancel_requested = 0, lease_owner = NULL, lease_until = NULL, step_skipped = 0"
    " WHERE id = $2::bigint";
constexpr const char* kRecountUpstreams =
    "UPDATE jobs SET upstream_unfinished = (SELECT count(*) FROM workflow_edges e"
    " JOIN jobs u ON u.id = e.upstream_id WHERE e.downstream_id = jobs.id"
    " AND u.status IN ('waiting', 'queued', 'running', 'retrying')) WHERE id = $1::bigint";
constexpr const char* kStepWorkflowOf =
    "SELECT workflow_id FROM jobs WHERE id = $1::bigint AND workflow_id IS NOT NULL";
constexpr const char* kDeleteDeadLetter = "DELETE FROM dead_letters WHERE job_id = $1::bigint";
constexpr const char* kRestartWorkflow =
    "UPDATE workflows SET status = 'running', runs = runs + 1, cancel_requested = 0,"
    " finished_at = NULL, updated_at = $1::bigint WHERE id = $2::bigint";
constexpr const char* kRequestWorkflowCancel =
    "UPDATE workflows SET cancel_requested = 1, updated_at = $1::bigint WHERE id = $2::bigint";
constexpr const char* kCancelUnstarted =
    "UPDATE jobs SET status = 'cancelled', finished_at = $1::bigint, waiting_for = NULL,"
    " error_class = 'cancelled', error_message = 'workflow cancelled by operator'"
    " WHERE workflow_id = $2::bigint AND status IN ('waiting', 'queued', 'retrying')";
constexpr const char* kCancelRunning =
    "UPDATE jobs SET cancel_requested = 1 WHERE workflow_id = $1::bigint AND status = 'running'";

Error no_such_workflow(WorkflowId id) {
  return make_error(ErrorClass::not_found, "no workflow " + format_workflow_id(id));
}

Param id_param(std::int64_t id) {
  return p(id);
}

// The columns of HYPERSDK_JOB_COLUMNS, which kSteps reads first (read_job); its own follow.
constexpr int count_columns(const char* list) {
  int n = 1;
  for (; *list; ++list) n += *list == ',';
  return n;
}
constexpr int kJobColumns = count_columns(HYPERSDK_JOB_COLUMNS);

}  // namespace

namespace detail {

void workflow_event(Tx& tx, const std::string& kind, const std::string& severity, WorkflowId wf,
                    const std::string& name, json payload, core::TimeMs now) {
  payload["workflow_id"] = format_workflow_id(wf);
  payload["name"] = name;
  pg_event_insert(tx, kind, severity, format_workflow_id(wf), payload.dump(), now);
}

Result<Workflow> load_workflow(Tx& tx, WorkflowId id) {
  Workflow w;
  {
    Rows r = tx.exec(kWorkflowById, {id_param(id)});
    if (r.empty()) return no_such_workflow(id);
    w.id = r.i64(0, 0);
    w.name = r.text(0, 1);
    w.status = r.text(0, 2);
    w.definition = r.text(0, 3);
    w.params = r.text(0, 4);
    w.runs = static_cast<int>(r.i64(0, 5));
    w.cancel_requested = r.i64(0, 6) != 0;
    w.created_at = r.i64(0, 7);
    w.updated_at = r.i64(0, 8);
    w.finished_at = r.opt_i64(0, 9);
  }
  {
    Rows r = tx.exec(kSteps, {id_param(id)});
    for (int i = 0; i < r.size(); ++i) {
      WorkflowStepRow row;
      row.job = read_job(r, i);
      row.name = r.text(i, kJobColumns);
      row.trigger_rule = r.text(i, kJobColumns + 1);
      row.skipped = r.i64(i, kJobColumns + 2) != 0;
      w.steps.push_back(std::move(row));
    }
  }
  std::map<std::string, std::size_t> idx;
  for (std::size_t i = 0; i < w.steps.size(); ++i) idx[w.steps[i].name] = i;
  {
    Rows r = tx.exec(kEdges, {id_param(id)});
    for (int i = 0; i < r.size(); ++i) {
      auto it = idx.find(r.text(i, 1));
      if (it != idx.end()) w.steps[it->second].depends_on.push_back(r.text(i, 0));
    }
  }
  std::vector<core::WorkflowStep> specs;
  for (const auto& s : w.steps) specs.push_back({s.name, {}, s.depends_on, s.trigger_rule});
  // Steps pruned from the jobs table leave edges to nothing; show the rest in id order then.
  if (auto order = core::topological_order(specs); order.ok()) {
    std::vector<WorkflowStepRow> sorted;
    for (auto i : *order) sorted.push_back(std::move(w.steps[i]));
    w.steps = std::move(sorted);
  }
  return w;
}

Result<Workflow> workflow_insert(Tx& tx, const WorkflowSubmit& req, TimeMs now,
                                 std::optional<std::int64_t> schedule, bool buffered) {
  if (Status s = core::validate_workflow(req.spec, {}); !s.ok()) return s.error();
  auto order = core::topological_order(req.spec.steps);
  if (!order) return order.error();
  const WorkflowId wf =
      tx.exec(kInsertWorkflow, {p(req.spec.name), p(req.definition), p(req.params),
                                p(static_cast<std::int64_t>(now)), p(schedule)})
          .i64(0, 0);
  // The answer is built from what is written here rather than read back (as the SQLite store).
  Workflow w;
  w.id = wf;
  w.name = req.spec.name;
  w.status = "running";
  w.definition = req.definition;
  w.params = req.params;
  w.created_at = w.updated_at = now;
  w.steps.reserve(order->size());
  std::map<std::string, JobId> ids;
  for (auto i : *order) {
    const auto& step = req.spec.steps[i];
    core::JobSpec spec = step.spec;
    if (schedule) spec.schedule_id = *schedule;
    json labels = json::parse(spec.labels, nullptr, false);
    if (!labels.is_object()) labels = json::object();
    labels["workflow"] = format_workflow_id(wf);
    labels["step"] = step.name;
    spec.labels = labels.dump();
    auto job = insert_job(tx, spec, now, buffered && step.depends_on.empty());
    if (!job) return invalid_error("step '" + step.name + "': " + job.error().message);
    const JobId jid = job->id;
    ids[step.name] = jid;
    std::set<std::string> upstreams(step.depends_on.begin(), step.depends_on.end());
    WorkflowStepRow row;
    row.name = step.name;
    row.trigger_rule = step.trigger_rule;
    row.job = std::move(*job);
    if (!upstreams.empty()) row.job.status = JobStatus::waiting;
    std::vector<std::pair<JobId, std::string>> by_id;
    for (const auto& d : upstreams) by_id.emplace_back(ids.at(d), d);
    std::sort(by_id.begin(), by_id.end());
    for (auto& u : by_id) row.depends_on.push_back(std::move(u.second));
    w.steps.push_back(std::move(row));
    tx.exec(kMarkStep, {id_param(wf), p(step.name), p(step.trigger_rule), id_param(jid),
                        p(static_cast<std::int64_t>(upstreams.size()))});
    for (const auto& d : upstreams) tx.exec(kInsertEdge, {id_param(ids.at(d)), id_param(jid)});
  }
  json started{{"steps", req.spec.steps.size()}, {"run", 1}};
  if (schedule) started["schedule_id"] = *schedule;
  workflow_event(tx, "workflow.started", "info", wf, req.spec.name, started, now);
  return w;
}

std::optional<WorkflowId> step_workflow(Tx& tx, JobId id) {
  Rows r = tx.exec(kStepWorkflowOf, {id_param(id)});
  if (r.empty()) return std::nullopt;
  return r.i64(0, 0);
}

}  // namespace detail

Status pg_workflow_retry_in(Tx& tx, std::int64_t id, TimeMs now) {
  auto w = load_workflow(tx, id);
  if (!w) return Status(w.error());
  if (w->status == "running" || w->status == "succeeded")
    return Status(make_error(ErrorClass::conflict,
                             "workflow " + format_workflow_id(id) + " is " + w->status +
                                 "; only a failed or cancelled workflow can be retried"));
  // As the SQLite store: every step that did not succeed waits again, then, upstream first,
  // those whose upstreams all finished are decided at once.
  std::vector<const WorkflowStepRow*> reset;
  for (const auto& st : w->steps) {
    const auto status = st.job.status;
    if (status != JobStatus::failed && status != JobStatus::cancelled &&
        status != JobStatus::upstream_failed)
      continue;
    tx.exec(kResetStep, {p(static_cast<std::int64_t>(now)), id_param(st.job.id)});
    tx.exec(kDeleteDeadLetter, {id_param(st.job.id)});
    reset.push_back(&st);
  }
  for (const auto* st : reset) tx.exec(kRecountUpstreams, {id_param(st->job.id)});
  tx.exec(kRestartWorkflow, {p(static_cast<std::int64_t>(now)), id_param(id)});
  workflow_event(tx, "workflow.started", "info", id, w->name,
                 json{{"steps", reset.size()}, {"run", w->runs + 1}, {"retry", true}}, now);
  for (const auto* st : reset) {
    json payload = json::parse(st->job.spec.payload, nullptr, false);
    if (payload.is_object()) payload.erase("inputs");
    decide_waiting_step(tx, st->job.id, st->trigger_rule, st->job.spec.type,
                        payload.is_object() ? payload.dump() : st->job.spec.payload, now);
  }
  return workflow_maybe_end(tx, id, now);
}

Result<Workflow> PgStore::workflow_submit(const WorkflowSubmit& req, TimeMs now) {
  Result<Workflow> out = no_such_workflow(0);
  Status s = db_->write([&](Tx& tx) {
    out = workflow_insert(tx, req, now, std::nullopt, false);
    return out.ok() ? Status::Ok() : Status(out.error());
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Workflow> PgStore::workflow_get(WorkflowId id) {
  Result<Workflow> out = no_such_workflow(id);
  Status s = db_->read([&](Tx& tx) {
    out = load_workflow(tx, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Workflow>> PgStore::workflow_list(int limit) {
  std::vector<Workflow> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    Rows ids = tx.exec(kWorkflowIds, {p(std::clamp(limit, 1, 1000))});
    for (int i = 0; i < ids.size(); ++i) {
      auto w = load_workflow(tx, ids.i64(i, 0));
      if (!w) return Status(w.error());
      out.push_back(std::move(*w));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Workflow> PgStore::workflow_retry(WorkflowId id, TimeMs now) {
  Result<Workflow> out = no_such_workflow(id);
  Status s = db_->write([&](Tx& tx) {
    if (Status r = pg_workflow_retry_in(tx, id, now); !r.ok()) return r;
    out = load_workflow(tx, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Workflow> PgStore::workflow_cancel(WorkflowId id, TimeMs now) {
  Result<Workflow> out = no_such_workflow(id);
  Status s = db_->write([&](Tx& tx) {
    auto w = load_workflow(tx, id);
    if (!w) return Status(w.error());
    if (w->status != "running")
      return Status(make_error(
          ErrorClass::conflict,
          "workflow " + format_workflow_id(id) + " has already finished (" + w->status + ")"));
    tx.exec(kRequestWorkflowCancel, {p(static_cast<std::int64_t>(now)), id_param(id)});
    tx.exec(kCancelUnstarted, {p(static_cast<std::int64_t>(now)), id_param(id)});
    tx.exec(kCancelRunning, {id_param(id)});
    if (Status e = workflow_maybe_end(tx, id, now); !e.ok()) return e;
    out = load_workflow(tx, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store::pg
