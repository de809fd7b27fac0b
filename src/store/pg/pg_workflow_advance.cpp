// The workflow advancer of the PostgreSQL store (as sqlite_workflow_advance.cpp): in the
// transaction that finishes a step, its dependents are decided by their trigger rules (queued
// with their inputs, or marked upstream_failed, transitively) and the workflow ends when every
// step has finished. Under SERIALIZABLE, two nodes finishing two upstreams of one join at once
// cannot both miss the other's finish: one of them fails with 40001 and runs again.
#include "store/pg/pg_workflow_advance.h"

#include <deque>

#include <nlohmann/json.hpp>

#include "store/pg/pg_workflow_rows.h"
#include "store/workflow_step_rules.h"

namespace hypersdk::store::pg {
using nlohmann::json;
using store::detail::decides_early;
using store::detail::payload_with_inputs;
using store::detail::step_state;

namespace {

constexpr const char* kStepWorkflow =
    "SELECT workflow_id, status, step_skipped FROM jobs"
    " WHERE id = $1::bigint AND workflow_id IS NOT NULL";
constexpr const char* kCountDown =
    "UPDATE jobs SET upstream_unfinished = upstream_unfinished - 1"
    " WHERE id IN (SELECT downstream_id FROM workflow_edges WHERE upstream_id = $1::bigint)"
    " AND status = 'waiting' AND waiting_for = 'upstream' AND upstream_unfinished IS NOT NULL";
constexpr const char* kWaitingDownstream =
    "SELECT j.id, j.trigger_rule, j.type, j.payload, j.upstream_unfinished FROM workflow_edges e"
    " JOIN jobs j ON j.id = e.downstream_id"
    " WHERE e.upstream_id = $1::bigint AND j.status = 'waiting' AND j.waiting_for = 'upstream'"
    " ORDER BY j.id";
constexpr const char* kUpstreams =
    "SELECT j.status, j.step_skipped, j.step_name, j.result, j.payload FROM workflow_edges e"
    " JOIN jobs j ON j.id = e.upstream_id WHERE e.downstream_id = $1::bigint ORDER BY j.id";
constexpr const char* kMakeReady =
    "UPDATE jobs SET status = 'queued', waiting_for = NULL,"
    " run_at = CASE WHEN window_policy IS NOT NULL THEN $1::bigint"
    " ELSE GREATEST(run_at, $1::bigint) END,"
    " payload = $2 WHERE id = $3::bigint";
constexpr const char* kMarkUpstreamFailed =
    "UPDATE jobs SET status = 'upstream_failed', waiting_for = NULL, finished_at = $1::bigint,"
    " step_skipped = $2::bigint, error_class = $3, error_message = $4 WHERE id = $5::bigint";
constexpr const char* kUnfinishedSteps =
    "SELECT count(*) FROM jobs WHERE workflow_id = $1::bigint"
    " AND status IN ('waiting', 'queued', 'running', 'retrying')";
constexpr const char* kFailedSteps =
    "SELECT count(*) FROM jobs WHERE workflow_id = $1::bigint"
    " AND status IN ('failed', 'cancelled')";
constexpr const char* kWorkflowState =
    "SELECT status, cancel_requested, name FROM workflows WHERE id = $1::bigint";
constexpr const char* kEndWorkflow =
    "UPDATE workflows SET status = $1, finished_at = $2::bigint, updated_at = $2::bigint"
    " WHERE id = $3::bigint";

struct Upstream {
  core::StepState state;
  std::string name;
  std::string result;
  std::string payload;
};

std::vector<Upstream> upstreams_of(Tx& tx, core::JobId id) {
  std::vector<Upstream> out;
  Rows r = tx.exec(kUpstreams, {p(static_cast<std::int64_t>(id))});
  for (int i = 0; i < r.size(); ++i)
    out.push_back(
        {step_state(r.text(i, 0), r.i64(i, 1) != 0), r.text(i, 2), r.text(i, 3), r.text(i, 4)});
  return out;
}

}  // namespace

namespace detail {

StepVerdict decide_waiting_step(Tx& tx, core::JobId id, const std::string& rule_text,
                                const std::string& type, const std::string& payload,
                                core::TimeMs now) {
  const auto ups = upstreams_of(tx, id);
  std::vector<core::StepState> states;
  for (const auto& u : ups) states.push_back(u.state);
  const auto rule = core::parse_trigger_rule(rule_text).value_or(core::TriggerRule::all_success);
  const auto decision = core::decide_step(rule, states);
  if (decision == core::StepDecision::wait) return StepVerdict::waiting;
  if (decision == core::StepDecision::ready) {
    json inputs = json::object();
    json direct = json::array();
    for (const auto& u : ups) {
      json up = json::parse(u.payload, nullptr, false);
      if (up.is_object() && up.contains("inputs") && up["inputs"].is_object())
        for (const auto& [k, v] : up["inputs"].items()) inputs[k] = v;
      if (u.state == core::StepState::succeeded) {
        json r = json::parse(u.result.empty() ? "null" : u.result, nullptr, false);
        inputs[u.name] = r.is_discarded() ? json(u.result) : r;
        direct.push_back(u.name);
      }
    }
    tx.exec(kMakeReady, {p(static_cast<std::int64_t>(now)),
                         p(payload_with_inputs(type, payload, inputs, direct)),
                         p(static_cast<std::int64_t>(id))});
    return StepVerdict::queued;
  }
  const bool skipped = decision == core::StepDecision::skipped;
  std::string why;
  for (const auto& u : ups)
    if (u.state != core::StepState::succeeded && u.state != core::StepState::pending)
      why += (why.empty() ? "" : ", ") + u.name;
  tx.exec(kMarkUpstreamFailed,
          {p(static_cast<std::int64_t>(now)), p(skipped), p(skipped ? "conflict" : "cancelled"),
           p(skipped ? "not run: trigger rule " + rule_text + " not met (upstream: " +
                           (why.empty() ? "all succeeded" : why + " did not succeed") + ")"
                     : "not run: upstream step(s) " + why + " did not succeed (trigger rule " +
                           rule_text + ")"),
           p(static_cast<std::int64_t>(id))});
  return skipped ? StepVerdict::skipped : StepVerdict::finished;
}

Status workflow_maybe_end(Tx& tx, WorkflowId wf, core::TimeMs now) {
  const Param id = p(static_cast<std::int64_t>(wf));
  if (tx.exec(kUnfinishedSteps, {id}).i64(0, 0) > 0) return Status::Ok();
  Rows ws = tx.exec(kWorkflowState, {id});
  if (ws.empty() || ws.text(0, 0) != "running") return Status::Ok();
  const bool cancel = ws.i64(0, 1) != 0;
  const std::string name = ws.text(0, 2);
  const auto failed = tx.exec(kFailedSteps, {id}).i64(0, 0);
  const std::string end = cancel ? "cancelled" : failed > 0 ? "failed" : "succeeded";
  tx.exec(kEndWorkflow, {p(end), p(static_cast<std::int64_t>(now)), id});
  const std::string kind = end == "succeeded" ? "workflow.completed" : "workflow." + end;
  workflow_event(tx, kind, end == "failed" ? "error" : "info", wf, name,
                 json{{"status", end}, {"failed_steps", failed}}, now);
  return Status::Ok();
}

}  // namespace detail

Status pg_workflow_on_step_finished(Tx& tx, core::JobId id, core::TimeMs now) {
  using namespace detail;
  Rows q = tx.exec(kStepWorkflow, {p(static_cast<std::int64_t>(id))});
  if (q.empty()) return Status::Ok();
  const WorkflowId wf = q.i64(0, 0);
  struct Finished {
    core::JobId id;
    core::StepState state;
  };
  std::deque<Finished> finished{{id, step_state(q.text(0, 1), q.i64(0, 2) != 0)}};
  // A dependent left waiting or made ready here means the workflow cannot have ended, and
  // no step count is needed: a chain's step then costs its own dependents only, not a count
  // of every step of the workflow (which made a long chain quadratic).
  bool dependent_unfinished = false;
  while (!finished.empty()) {
    const Finished up = finished.front();
    finished.pop_front();
    tx.exec(kCountDown, {p(static_cast<std::int64_t>(up.id))});
    struct Down {
      core::JobId id;
      std::string rule, type, payload;
    };
    std::vector<Down> downs;
    Rows d = tx.exec(kWaitingDownstream, {p(static_cast<std::int64_t>(up.id))});
    for (int i = 0; i < d.size(); ++i) {
      // NULL: a step written before the count existed; it is decided every time.
      const bool all_finished = d.null(i, 4) || d.i64(i, 4) <= 0;
      std::string rule = d.text(i, 1);
      if (!all_finished && !decides_early(up.state, rule)) {
        dependent_unfinished = true;  // still waiting for another upstream
        continue;
      }
      downs.push_back({d.i64(i, 0), std::move(rule), d.text(i, 2), d.text(i, 3)});
    }
    for (const auto& x : downs) {
      const auto verdict = decide_waiting_step(tx, x.id, x.rule, x.type, x.payload, now);
      if (verdict == StepVerdict::queued || verdict == StepVerdict::waiting)
        dependent_unfinished = true;
      else if (verdict == StepVerdict::finished)
        finished.push_back({x.id, core::StepState::upstream_failed});
      else if (verdict == StepVerdict::skipped)
        finished.push_back({x.id, core::StepState::skipped});
    }
  }
  if (dependent_unfinished) return Status::Ok();
  return workflow_maybe_end(tx, wf, now);
}

}  // namespace hypersdk::store::pg
