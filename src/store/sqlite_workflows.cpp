// Workflow operations of the SQLite store: submit, get, list, retry, cancel (DESIGN §7).
#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "store/event_row.h"
#include "store/job_row.h"
#include "store/sqlite_store.h"
#include "store/sqlite_workflow_rows.h"

namespace hypersdk::store {
using namespace detail;
using nlohmann::json;

namespace {

constexpr const char* kInsertWorkflow =
    "INSERT INTO workflows (name, status, definition, params, created_at, updated_at, schedule_id)"
    " VALUES (?1, 'running', ?2, ?3, ?4, ?4, ?5) RETURNING id";
// A step with upstreams (?5 > 0 of them) waits for them.
constexpr const char* kMarkStep =
    "UPDATE jobs SET workflow_id = ?1, step_name = ?2, trigger_rule = ?3,"
    " upstream_unfinished = ?5,"
    " status = CASE WHEN ?5 > 0 THEN 'waiting' ELSE status END,"
    " waiting_for = CASE WHEN ?5 > 0 THEN 'upstream' ELSE waiting_for END WHERE id = ?4";
constexpr const char* kInsertEdge =
    "INSERT OR IGNORE INTO workflow_edges (upstream_id, downstream_id) VALUES (?, ?)";
constexpr const char* kWorkflowById =
    "SELECT id, name, status, definition, params, runs, cancel_requested, created_at,"
    " updated_at, finished_at FROM workflows WHERE id = ?";
constexpr const char* kWorkflowIds = "SELECT id FROM workflows ORDER BY id DESC LIMIT ?";
constexpr const char* kSteps = "SELECT " HYPERSDK_JOB_COLUMNS
                               ", step_name, trigger_rule, step_skipped"
                               " FROM jobs WHERE workflow_id = ? ORDER BY id";
constexpr const char* kEdges =
    "SELECT u.step_name, d.step_name FROM workflow_edges e JOIN jobs d ON d.id = e.downstream_id"
    " JOIN jobs u ON u.id = e.upstream_id WHERE d.workflow_id = ? ORDER BY e.upstream_id";
constexpr const char* kResetStep =
    "UPDATE jobs SET status = 'waiting', waiting_for = 'upstream', attempt = 0, run_at = ?1,"
    " finished_at = NULL, started_at = NULL, lease_expiries = 0, cancel_requested = 0,"
    " lease_owner = NULL, lease_until = NULL, step_skipped = 0 WHERE id = ?2";
constexpr const char* kRecountUpstreams =
    "UPDATE jobs SET upstream_unfinished = (SELECT count(*) FROM workflow_edges e"
    " JOIN jobs u ON u.id = e.upstream_id WHERE e.downstream_id = jobs.id"
    " AND u.status IN ('waiting', 'queued', 'running', 'retrying')) WHERE id = ?";
constexpr const char* kStepWorkflowOf =
    "SELECT workflow_id FROM jobs WHERE id = ? AND workflow_id IS NOT NULL";
constexpr const char* kDeleteDeadLetter = "DELETE FROM dead_letters WHERE job_id = ?";
constexpr const char* kRestartWorkflow =
    "UPDATE workflows SET status = 'running', runs = runs + 1, cancel_requested = 0,"
    " finished_at = NULL, updated_at = ?1 WHERE id = ?2";
constexpr const char* kRequestWorkflowCancel =
    "UPDATE workflows SET cancel_requested = 1, updated_at = ?1 WHERE id = ?2";
constexpr const char* kCancelUnstarted =
    "UPDATE jobs SET status = 'cancelled', finished_at = ?1, waiting_for = NULL,"
    " error_class = 'cancelled', error_message = 'workflow cancelled by operator'"
    " WHERE workflow_id = ?2 AND status IN ('waiting', 'queued', 'retrying')";
constexpr const char* kCancelRunning =
    "UPDATE jobs SET cancel_requested = 1 WHERE workflow_id = ? AND status = 'running'";

Error no_such_workflow(WorkflowId id) {
  return make_error(ErrorClass::not_found, "no workflow " + format_workflow_id(id));
}

}  // namespace

namespace detail {

void workflow_event(Connection& c, const std::string& kind, const std::string& severity,
                    WorkflowId wf, const std::string& name, json payload, core::TimeMs now) {
  payload["workflow_id"] = format_workflow_id(wf);
  payload["name"] = name;
  event_insert(c, kind, severity, format_workflow_id(wf), payload.dump(), now);
}

Result<Workflow> load_workflow(Connection& c, WorkflowId id) {
  Workflow w;
  {
    auto& st = c.stmt(kWorkflowById);
    st.bind(1, static_cast<std::int64_t>(id));
    if (!st.executeStep()) return no_such_workflow(id);
    w.id = st.getColumn(0).getInt64();
    w.name = st.getColumn(1).getString();
    w.status = st.getColumn(2).getString();
    w.definition = st.getColumn(3).getString();
    w.params = st.getColumn(4).getString();
    w.runs = st.getColumn(5).getInt();
    w.cancel_requested = st.getColumn(6).getInt() != 0;
    w.created_at = st.getColumn(7).getInt64();
    w.updated_at = st.getColumn(8).getInt64();
    if (!st.getColumn(9).isNull()) w.finished_at = st.getColumn(9).getInt64();
    st.reset();
  }
  std::vector<core::WorkflowStep> specs;
  {
    auto& st = c.stmt(kSteps);
    st.bind(1, static_cast<std::int64_t>(id));
    while (st.executeStep()) {
      WorkflowStepRow row;
      row.job = read_job(st);
      const int n = st.getColumnCount();
      row.name = st.getColumn(n - 3).getString();
      row.trigger_rule = st.getColumn(n - 2).getString();
      row.skipped = st.getColumn(n - 1).getInt() != 0;
      w.steps.push_back(std::move(row));
    }
  }
  std::map<std::string, std::size_t> idx;
  for (std::size_t i = 0; i < w.steps.size(); ++i) idx[w.steps[i].name] = i;
  {
    auto& st = c.stmt(kEdges);
    st.bind(1, static_cast<std::int64_t>(id));
    while (st.executeStep()) {
      auto it = idx.find(st.getColumn(1).getString());
      if (it != idx.end()) w.steps[it->second].depends_on.push_back(st.getColumn(0).getString());
    }
  }
  for (const auto& s : w.steps) specs.push_back({s.name, {}, s.depends_on, s.trigger_rule});
  // Steps pruned from the jobs table leave edges to nothing; show the rest in id order then.
  if (auto order = core::topological_order(specs); order.ok()) {
    std::vector<WorkflowStepRow> sorted;
    for (auto i : *order) sorted.push_back(std::move(w.steps[i]));
    w.steps = std::move(sorted);
  }
  return w;
}

}  // namespace detail

std::string format_workflow_id(WorkflowId id) {
  return "w-" + std::to_string(id);
}

std::optional<WorkflowId> parse_workflow_id(const std::string& s) {
  std::string digits = s.rfind("w-", 0) == 0 ? s.substr(2) : s;
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  for (char ch : digits)
    if (ch < '0' || ch > '9') return std::nullopt;
  const auto v = std::stoll(digits);
  if (v <= 0) return std::nullopt;
  return v;
}

namespace detail {

Result<Workflow> workflow_insert(Connection& c, const WorkflowSubmit& req, TimeMs now,
                                 std::optional<std::int64_t> schedule, bool buffered) {
  if (Status s = core::validate_workflow(req.spec, {}); !s.ok()) return s.error();
  auto order = core::topological_order(req.spec.steps);
  if (!order) return order.error();
  {
    WorkflowId wf = 0;
    {
      auto& st = c.stmt(kInsertWorkflow);
      st.bind(1, req.spec.name);
      st.bind(2, req.definition);
      st.bind(3, req.params);
      st.bind(4, static_cast<std::int64_t>(now));
      if (schedule)
        st.bind(5, static_cast<std::int64_t>(*schedule));
      else
        st.bind(5);
      st.executeStep();
      wf = st.getColumn(0).getInt64();
      st.reset();
    }
    // The answer is built from what is written here rather than read back: the inserted
    // rows (RETURNING) with the status the marking gives them, in topological order.
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
      // A scheduled run's steps carry its schedule (overlap counts them); a buffered run's
      // roots wait for the schedule's previous run, the other steps for their upstreams.
      core::JobSpec spec = step.spec;
      if (schedule) spec.schedule_id = *schedule;
      // Every step says which workflow and step it is (list, the job routes and notification
      // routes read the labels "workflow" and "step").
      json labels = json::parse(spec.labels, nullptr, false);
      if (!labels.is_object()) labels = json::object();
      labels["workflow"] = format_workflow_id(wf);
      labels["step"] = step.name;
      spec.labels = labels.dump();
      auto job = insert_job(c, spec, now, buffered && step.depends_on.empty());
      if (!job) return invalid_error("step '" + step.name + "': " + job.error().message);
      const JobId jid = job->id;
      ids[step.name] = jid;
      std::set<std::string> upstreams(step.depends_on.begin(), step.depends_on.end());
      WorkflowStepRow row;
      row.name = step.name;
      row.trigger_rule = step.trigger_rule;
      row.job = std::move(*job);
      if (!upstreams.empty()) row.job.status = JobStatus::waiting;
      // As load_workflow lists them: by the upstream's job id, i.e. in topological order.
      std::vector<std::pair<JobId, std::string>> by_id;
      for (const auto& d : upstreams) by_id.emplace_back(ids.at(d), d);
      std::sort(by_id.begin(), by_id.end());
      for (auto& u : by_id) row.depends_on.push_back(std::move(u.second));
      w.steps.push_back(std::move(row));
      auto& mark = c.stmt(kMarkStep);
      mark.bind(1, static_cast<std::int64_t>(wf));
      mark.bind(2, step.name);
      mark.bind(3, step.trigger_rule);
      mark.bind(4, static_cast<std::int64_t>(jid));
      mark.bind(5, static_cast<std::int64_t>(upstreams.size()));
      mark.exec();
      // Upstream first (topological order), so every upstream already has its id.
      for (const auto& d : upstreams) {
        auto& e = c.stmt(kInsertEdge);
        e.bind(1, static_cast<std::int64_t>(ids.at(d)));
        e.bind(2, static_cast<std::int64_t>(jid));
        e.exec();
      }
    }
    json started{{"steps", req.spec.steps.size()}, {"run", 1}};
    if (schedule) started["schedule_id"] = *schedule;
    workflow_event(c, "workflow.started", "info", wf, req.spec.name, started, now);
    return w;
  }
}

}  // namespace detail

Result<Workflow> SqliteStore::workflow_submit(const WorkflowSubmit& req, TimeMs now) {
  Result<Workflow> out = no_such_workflow(0);
  Status s = db_->write([&](Connection& c) {
    out = workflow_insert(c, req, now, std::nullopt, false);
    return out.ok() ? Status::Ok() : Status(out.error());
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Workflow> SqliteStore::workflow_get(WorkflowId id) {
  Result<Workflow> out = no_such_workflow(id);
  Status s = db_->read([&](Connection& c) {
    out = load_workflow(c, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<Workflow>> SqliteStore::workflow_list(int limit) {
  std::vector<Workflow> out;
  Status s = db_->read([&](Connection& c) {
    std::vector<WorkflowId> ids;
    auto& st = c.stmt(kWorkflowIds);
    st.bind(1, std::max(1, std::min(limit, 1000)));
    while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
    st.reset();
    for (auto id : ids) {
      auto w = load_workflow(c, id);
      if (!w) return Status(w.error());
      out.push_back(std::move(*w));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

namespace detail {

Status workflow_retry_in(Connection& c, WorkflowId id, TimeMs now) {
  auto w = load_workflow(c, id);
  if (!w) return Status(w.error());
  if (w->status == "running" || w->status == "succeeded")
    return Status(make_error(ErrorClass::conflict,
                             "workflow " + format_workflow_id(id) + " is " + w->status +
                                 "; only a failed or cancelled workflow can be retried"));
  // Every step that did not succeed waits again; then, upstream first, those whose
  // upstreams all finished are decided at once (roots and steps below succeeded ones run,
  // reusing the kept results as inputs).
  std::vector<const WorkflowStepRow*> reset;
  for (const auto& st : w->steps) {
    const auto status = st.job.status;
    if (status != JobStatus::failed && status != JobStatus::cancelled &&
        status != JobStatus::upstream_failed)
      continue;
    auto& r = c.stmt(kResetStep);
    r.bind(1, static_cast<std::int64_t>(now));
    r.bind(2, static_cast<std::int64_t>(st.job.id));
    r.exec();
    auto& dl = c.stmt(kDeleteDeadLetter);
    dl.bind(1, static_cast<std::int64_t>(st.job.id));
    dl.exec();
    reset.push_back(&st);
  }
  // Every reset step is unfinished again: its dependents' counts are recomputed.
  for (const auto* st : reset) {
    auto& n = c.stmt(kRecountUpstreams);
    n.bind(1, static_cast<std::int64_t>(st->job.id));
    n.exec();
  }
  auto& rs = c.stmt(kRestartWorkflow);
  rs.bind(1, static_cast<std::int64_t>(now));
  rs.bind(2, static_cast<std::int64_t>(id));
  rs.exec();
  workflow_event(c, "workflow.started", "info", id, w->name,
                 json{{"steps", reset.size()}, {"run", w->runs + 1}, {"retry", true}}, now);
  for (const auto* st : reset) {
    // The payload without the previous run's inputs: they are computed afresh.
    json p = json::parse(st->job.spec.payload, nullptr, false);
    if (p.is_object()) p.erase("inputs");
    decide_waiting_step(c, st->job.id, st->trigger_rule, st->job.spec.type,
                        p.is_object() ? p.dump() : st->job.spec.payload, now);
  }
  if (Status e = workflow_maybe_end(c, id, now); !e.ok()) return e;
  return Status::Ok();
}

std::optional<WorkflowId> step_workflow(Connection& c, JobId id) {
  auto& st = c.stmt(kStepWorkflowOf);
  st.bind(1, static_cast<std::int64_t>(id));
  if (!st.executeStep()) return std::nullopt;
  const WorkflowId wf = st.getColumn(0).getInt64();
  st.reset();
  return wf;
}

}  // namespace detail

Result<Workflow> SqliteStore::workflow_retry(WorkflowId id, TimeMs now) {
  Result<Workflow> out = no_such_workflow(id);
  Status s = db_->write([&](Connection& c) {
    if (Status r = workflow_retry_in(c, id, now); !r.ok()) return r;
    out = load_workflow(c, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Workflow> SqliteStore::workflow_cancel(WorkflowId id, TimeMs now) {
  Result<Workflow> out = no_such_workflow(id);
  Status s = db_->write([&](Connection& c) {
    auto w = load_workflow(c, id);
    if (!w) return Status(w.error());
    if (w->status != "running")
      return Status(make_error(
          ErrorClass::conflict,
          "workflow " + format_workflow_id(id) + " has already finished (" + w->status + ")"));
    auto& r = c.stmt(kRequestWorkflowCancel);
    r.bind(1, static_cast<std::int64_t>(now));
    r.bind(2, static_cast<std::int64_t>(id));
    r.exec();
    auto& u = c.stmt(kCancelUnstarted);
    u.bind(1, static_cast<std::int64_t>(now));
    u.bind(2, static_cast<std::int64_t>(id));
    u.exec();
    auto& run = c.stmt(kCancelRunning);
    run.bind(1, static_cast<std::int64_t>(id));
    run.exec();
    if (Status e = workflow_maybe_end(c, id, now); !e.ok()) return e;
    out = load_workflow(c, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store
