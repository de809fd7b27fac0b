#include "core/workflow_dag.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace hypersdk::core {

std::string_view to_string(TriggerRule r) {
  switch (r) {
    case TriggerRule::all_success:
      return "all_success";
    case TriggerRule::all_done:
      return "all_done";
    case TriggerRule::one_failed:
      return "one_failed";
    case TriggerRule::none_failed_min_one_success:
      return "none_failed_min_one_success";
  }
  return "all_success";
}

std::optional<TriggerRule> parse_trigger_rule(std::string_view s) {
  for (auto r : {TriggerRule::all_success, TriggerRule::all_done, TriggerRule::one_failed,
                 TriggerRule::none_failed_min_one_success})
    if (to_string(r) == s) return r;
  return std::nullopt;
}

std::string_view to_string(StepDecision d) {
  switch (d) {
    case StepDecision::wait:
      return "wait";
    case StepDecision::ready:
      return "ready";
    case StepDecision::upstream_failed:
      return "upstream_failed";
    case StepDecision::skipped:
      return "skipped";
  }
  return "wait";
}

namespace {

bool valid_step_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// Index of every step by name. REQUIRES: names unique.
std::map<std::string, std::size_t> index_by_name(const std::vector<WorkflowStep>& steps) {
  std::map<std::string, std::size_t> idx;
  for (std::size_t i = 0; i < steps.size(); ++i) idx.emplace(steps[i].name, i);
  return idx;
}

Status check_dependencies(const std::vector<WorkflowStep>& steps,
                          const std::map<std::string, std::size_t>& idx) {
  for (const auto& s : steps)
    for (const auto& d : s.depends_on) {
      if (d == s.name) return invalid_error("step '" + s.name + "' depends on itself");
      if (!idx.count(d))
        return invalid_error("step '" + s.name + "' depends on unknown step '" + d + "'");
    }
  return Status::Ok();
}

// Depth-first search along upstream -> downstream edges; a grey node met again closes a
// cycle, which is reported along the path. Iterative, so a 10,000-step chain cannot overflow
// the stack.
std::optional<std::string> find_cycle(const std::vector<WorkflowStep>& steps,
                                      const std::map<std::string, std::size_t>& idx) {
  const std::size_t n = steps.size();
  std::vector<std::vector<std::size_t>> down(n);
  for (std::size_t i = 0; i < n; ++i)
    for (const auto& d : steps[i].depends_on) down[idx.at(d)].push_back(i);
  enum Color { white, grey, black };
  std::vector<Color> color(n, white);
  for (std::size_t root = 0; root < n; ++root) {
    if (color[root] != white) continue;
    std::vector<std::pair<std::size_t, std::size_t>> stack{{root, 0}};  // node, next edge
    color[root] = grey;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next == down[node].size()) {
        color[node] = black;
        stack.pop_back();
        continue;
      }
      const std::size_t to = down[node][next++];
      if (color[to] == grey) {
        std::string path;
        bool on = false;
        for (const auto& [v, e] : stack) {
          (void)e;
          if (v == to) on = true;
          if (on) path += steps[v].name + " -> ";
        }
        return path + steps[to].name;
      }
      if (color[to] == white) {
        color[to] = grey;
        stack.emplace_back(to, 0);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Status validate_workflow(const WorkflowSpec& wf, const std::set<std::string>& known_types) {
  if (wf.steps.empty()) return invalid_error("workflow has no steps");
  if (wf.steps.size() > kMaxWorkflowSteps)
    return invalid_error("workflow has " + std::to_string(wf.steps.size()) + " steps; at most " +
                         std::to_string(kMaxWorkflowSteps) + " are allowed");
  std::set<std::string> seen;
  for (const auto& s : wf.steps) {
    if (!valid_step_name(s.name))
      return invalid_error("step name '" + s.name +
                           "' is not valid: use 1-64 letters, digits, '_' or '-'");
    if (!seen.insert(s.name).second) return invalid_error("duplicate step name '" + s.name + "'");
    if (!parse_trigger_rule(s.trigger_rule))
      return invalid_error("step '" + s.name + "': unknown trigger_rule '" + s.trigger_rule +
                           "' (all_success, all_done, one_failed, none_failed_min_one_success)");
    if (!known_types.empty() && !known_types.count(s.spec.type)) {
      std::string known;
      for (const auto& t : known_types) known += (known.empty() ? "" : ", ") + t;
      return invalid_error("step '" + s.name + "': unknown job type '" + s.spec.type +
                           "' (known types: " + known + ")");
    }
    if (Status st = validate_spec(s.spec); !st.ok())
      return invalid_error("step '" + s.name + "': " + st.error().message);
  }
  const auto idx = index_by_name(wf.steps);
  if (Status st = check_dependencies(wf.steps, idx); !st.ok()) return st;
  if (auto cycle = find_cycle(wf.steps, idx)) return invalid_error("cycle: " + *cycle);
  return Status::Ok();
}

Result<std::vector<std::size_t>> topological_order(const std::vector<WorkflowStep>& steps) {
  const auto idx = index_by_name(steps);
  if (Status st = check_dependencies(steps, idx); !st.ok()) return st.error();
  const std::size_t n = steps.size();
  std::vector<std::vector<std::size_t>> down(n);
  std::vector<std::size_t> pending(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::set<std::string> uniq(steps[i].depends_on.begin(), steps[i].depends_on.end());
    for (const auto& d : uniq) down[idx.at(d)].push_back(i);
    pending[i] = uniq.size();
  }
  // Kahn's algorithm with the free steps kept in declaration order.
  std::set<std::size_t> free;
  for (std::size_t i = 0; i < n; ++i)
    if (pending[i] == 0) free.insert(i);
  std::vector<std::size_t> order;
  order.reserve(n);
  while (!free.empty()) {
    const std::size_t i = *free.begin();
    free.erase(free.begin());
    order.push_back(i);
    for (std::size_t d : down[i])
      if (--pending[d] == 0) free.insert(d);
  }
  if (order.size() != n) {
    auto cycle = find_cycle(steps, idx);
    return invalid_error("cycle: " + cycle.value_or("?"));
  }
  return order;
}

StepDecision decide_step(TriggerRule rule, const std::vector<StepState>& upstream) {
  int pending = 0, succeeded = 0, failed = 0, skipped = 0;
  for (auto s : upstream) switch (s) {
      case StepState::pending:
        ++pending;
        break;
      case StepState::succeeded:
        ++succeeded;
        break;
      case StepState::failed:
      case StepState::cancelled:
      case StepState::upstream_failed:
        ++failed;
        break;
      case StepState::skipped:
        ++skipped;
        break;
    }
  switch (rule) {
    case TriggerRule::all_success:
      // Decided as soon as one upstream cannot succeed any more (Airflow fails early too).
      if (failed > 0) return StepDecision::upstream_failed;
      if (pending > 0) return StepDecision::wait;
      return skipped > 0 ? StepDecision::skipped : StepDecision::ready;
    case TriggerRule::all_done:
      return pending > 0 ? StepDecision::wait : StepDecision::ready;
    case TriggerRule::one_failed:
      if (upstream.empty()) return StepDecision::ready;
      if (failed > 0) return StepDecision::ready;
      return pending > 0 ? StepDecision::wait : StepDecision::skipped;
    case TriggerRule::none_failed_min_one_success:
      if (upstream.empty()) return StepDecision::ready;
      if (failed > 0) return StepDecision::upstream_failed;
      if (pending > 0) return StepDecision::wait;
      return succeeded > 0 ? StepDecision::ready : StepDecision::skipped;
  }
  return StepDecision::wait;
}

std::string step_input_env_name(std::string_view step) {
  std::string out = "HYPERSDK_INPUT_";
  for (char c : step)
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace hypersdk::core
