// The workflow advancer of the SQLite store: in the transaction that finishes a step, its
// dependents are decided by their trigger rules (queued with their inputs, or marked
// upstream_failed, transitively) and the workflow ends when every step has finished. No
// polling loop: a step becomes claimable in the commit that completes its last upstream.
#include <deque>

#include <nlohmann/json.hpp>

#include "store/job_row.h"
#include "store/sqlite_workflow_rows.h"
#include "store/workflow_step_rules.h"

namespace hypersdk::store::detail {

using nlohmann::json;

namespace {

constexpr const char* kStepWorkflow =
    "SELECT workflow_id, status, step_skipped FROM jobs WHERE id = ? AND workflow_id IS NOT NULL";
// One upstream of each waiting dependent has just finished. NOT INDEXED: the dependents are
// looked up by rowid from the edges; SQLite otherwise walked jobs_waiting, every waiting step
// (a long chain's whole tail) testing each against the edges, per finished step.
constexpr const char* kCountDown =
    "UPDATE jobs NOT INDEXED SET upstream_unfinished = upstream_unfinished - 1"
    " WHERE id IN (SELECT downstream_id FROM workflow_edges WHERE upstream_id = ?)"
    " AND status = 'waiting' AND waiting_for = 'upstream' AND upstream_unfinished IS NOT NULL";
constexpr const char* kWaitingDownstream =
    "SELECT j.id, j.trigger_rule, j.type, j.payload, j.upstream_unfinished FROM workflow_edges e"
    " JOIN jobs j ON j.id = e.downstream_id"
    " WHERE e.upstream_id = ? AND j.status = 'waiting' AND j.waiting_for = 'upstream'";
constexpr const char* kUpstreams =
    "SELECT j.status, j.step_skipped, j.step_name, j.result, j.payload FROM workflow_edges e"
    " JOIN jobs j ON j.id = e.upstream_id WHERE e.downstream_id = ?";
// A windowed step is due now: the next claim judges its window afresh (the opening computed
// at submit may be long past) and sends it to wait for the next opening when it is closed.
constexpr const char* kMakeReady =
    "UPDATE jobs SET status = 'queued', waiting_for = NULL,"
    " run_at = CASE WHEN window_policy IS NOT NULL THEN ?1 ELSE max(run_at, ?1) END,"
    " payload = ?2 WHERE id = ?3";
constexpr const char* kMarkUpstreamFailed =
    "UPDATE jobs SET status = 'upstream_failed', waiting_for = NULL, finished_at = ?1,"
    " step_skipped = ?2, error_class = ?3, error_message = ?4 WHERE id = ?5";
constexpr const char* kUnfinishedSteps =
    "SELECT count(*) FROM jobs WHERE workflow_id = ?"
    " AND status IN ('waiting', 'queued', 'running', 'retrying')";
constexpr const char* kFailedSteps =
    "SELECT count(*) FROM jobs WHERE workflow_id = ? AND status IN ('failed', 'cancelled')";
constexpr const char* kWorkflowState =
    "SELECT status, cancel_requested, name FROM workflows WHERE id = ?";
constexpr const char* kEndWorkflow =
    "UPDATE workflows SET status = ?1, finished_at = ?2, updated_at = ?2 WHERE id = ?3";

struct Upstream {
  core::StepState state;
  std::string name;
  std::string result;
  std::string payload;
};

std::vector<Upstream> upstreams_of(Connection& c, core::JobId id) {
  std::vector<Upstream> out;
  auto& st = c.stmt(kUpstreams);
  st.bind(1, static_cast<std::int64_t>(id));
  while (st.executeStep())
    out.push_back({step_state(st.getColumn(0).getString(), st.getColumn(1).getInt() != 0),
                   st.getColumn(2).getString(), st.getColumn(3).getString(),
                   st.getColumn(4).getString()});
  return out;
}

}  // namespace

StepVerdict decide_waiting_step(Connection& c, core::JobId id, const std::string& rule_text,
                                const std::string& type, const std::string& payload,
                                core::TimeMs now) {
  const auto ups = upstreams_of(c, id);
  std::vector<core::StepState> states;
  for (const auto& u : ups) states.push_back(u.state);
  const auto rule = core::parse_trigger_rule(rule_text).value_or(core::TriggerRule::all_success);
  const auto decision = core::decide_step(rule, states);
  if (decision == core::StepDecision::wait) return StepVerdict::waiting;
  if (decision == core::StepDecision::ready) {
    json inputs = json::object();
    json direct = json::array();
    for (const auto& u : ups) {
      json p = json::parse(u.payload, nullptr, false);
      if (p.is_object() && p.contains("inputs") && p["inputs"].is_object())
        for (const auto& [k, v] : p["inputs"].items()) inputs[k] = v;
      if (u.state == core::StepState::succeeded) {
        json r = json::parse(u.result.empty() ? "null" : u.result, nullptr, false);
        inputs[u.name] = r.is_discarded() ? json(u.result) : r;
        direct.push_back(u.name);
      }
    }
    auto& st = c.stmt(kMakeReady);
    st.bind(1, static_cast<std::int64_t>(now));
    st.bind(2, payload_with_inputs(type, payload, inputs, direct));
    st.bind(3, static_cast<std::int64_t>(id));
    st.exec();
    return StepVerdict::queued;
  }
  const bool skipped = decision == core::StepDecision::skipped;
  std::string why;
  for (const auto& u : ups)
    if (u.state != core::StepState::succeeded && u.state != core::StepState::pending)
      why += (why.empty() ? "" : ", ") + u.name;
  auto& st = c.stmt(kMarkUpstreamFailed);
  st.bind(1, static_cast<std::int64_t>(now));
  st.bind(2, skipped ? 1 : 0);
  st.bind(3, skipped ? "conflict" : "cancelled");
  st.bind(4, skipped ? "not run: trigger rule " + rule_text + " not met (upstream: " +
                           (why.empty() ? "all succeeded" : why + " did not succeed") + ")"
                     : "not run: upstream step(s) " + why + " did not succeed (trigger rule " +
                           rule_text + ")");
  st.bind(5, static_cast<std::int64_t>(id));
  st.exec();
  return skipped ? StepVerdict::skipped : StepVerdict::finished;
}

Status workflow_maybe_end(Connection& c, WorkflowId wf, core::TimeMs now) {
  auto& q = c.stmt(kUnfinishedSteps);
  q.bind(1, static_cast<std::int64_t>(wf));
  q.executeStep();
  const auto unfinished = q.getColumn(0).getInt64();
  q.reset();
  if (unfinished > 0) return Status::Ok();
  auto& ws = c.stmt(kWorkflowState);
  ws.bind(1, static_cast<std::int64_t>(wf));
  if (!ws.executeStep()) return Status::Ok();
  const std::string status = ws.getColumn(0).getString();
  const bool cancel = ws.getColumn(1).getInt() != 0;
  const std::string name = ws.getColumn(2).getString();
  ws.reset();
  if (status != "running") return Status::Ok();
  auto& f = c.stmt(kFailedSteps);
  f.bind(1, static_cast<std::int64_t>(wf));
  f.executeStep();
  const auto failed = f.getColumn(0).getInt64();
  f.reset();
  const std::string end = cancel ? "cancelled" : failed > 0 ? "failed" : "succeeded";
  auto& st = c.stmt(kEndWorkflow);
  st.bind(1, end);
  st.bind(2, static_cast<std::int64_t>(now));
  st.bind(3, static_cast<std::int64_t>(wf));
  st.exec();
  const std::string kind = end == "succeeded" ? "workflow.completed" : "workflow." + end;
  workflow_event(c, kind, end == "failed" ? "error" : "info", wf, name,
                 json{{"status", end}, {"failed_steps", failed}}, now);
  return Status::Ok();
}

Status workflow_step_finished(Connection& c, core::JobId id, core::TimeMs now) {
  auto& q = c.stmt(kStepWorkflow);
  q.bind(1, static_cast<std::int64_t>(id));
  if (!q.executeStep()) return Status::Ok();
  const WorkflowId wf = q.getColumn(0).getInt64();
  const auto state = step_state(q.getColumn(1).getString(), q.getColumn(2).getInt() != 0);
  q.reset();
  struct Finished {
    core::JobId id;
    core::StepState state;
  };
  std::deque<Finished> finished{{id, state}};
  // A dependent left waiting or made ready here means the workflow cannot have ended, and
  // no step count is needed: a chain's step then costs its own dependents only, not a count
  // of every step of the workflow (which made a long chain quadratic).
  bool dependent_unfinished = false;
  while (!finished.empty()) {
    const Finished up = finished.front();
    finished.pop_front();
    auto& count = c.stmt(kCountDown);
    count.bind(1, static_cast<std::int64_t>(up.id));
    count.exec();
    struct Down {
      core::JobId id;
      std::string rule, type, payload;
    };
    std::vector<Down> downs;
    auto& d = c.stmt(kWaitingDownstream);
    d.bind(1, static_cast<std::int64_t>(up.id));
    while (d.executeStep()) {
      // NULL: a step written before the count existed; it is decided every time.
      const bool all_finished = d.getColumn(4).isNull() || d.getColumn(4).getInt64() <= 0;
      std::string rule = d.getColumn(1).getString();
      if (!all_finished && !decides_early(up.state, rule)) {
        dependent_unfinished = true;  // still waiting for another upstream
        continue;
      }
      downs.push_back({d.getColumn(0).getInt64(), std::move(rule), d.getColumn(2).getString(),
                       d.getColumn(3).getString()});
    }
    d.reset();
    for (const auto& x : downs) {
      const auto verdict = decide_waiting_step(c, x.id, x.rule, x.type, x.payload, now);
      if (verdict == StepVerdict::queued || verdict == StepVerdict::waiting)
        dependent_unfinished = true;
      else if (verdict == StepVerdict::finished)
        finished.push_back({x.id, core::StepState::upstream_failed});
      else if (verdict == StepVerdict::skipped)
        finished.push_back({x.id, core::StepState::skipped});
    }
  }
  if (dependent_unfinished) return Status::Ok();
  return workflow_maybe_end(c, wf, now);
}

}  // namespace hypersdk::store::detail
