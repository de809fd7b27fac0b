#include "core/workflow_dag.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <string>

namespace hypersdk::core {
namespace {

WorkflowStep step(std::string name, std::vector<std::string> deps = {},
                  std::string rule = "all_success", std::string type = "noop") {
  WorkflowStep s;
  s.name = std::move(name);
  s.spec.type = std::move(type);
  s.depends_on = std::move(deps);
  s.trigger_rule = std::move(rule);
  return s;
}

std::string error_of(const WorkflowSpec& wf, const std::set<std::string>& types = {}) {
  Status s = validate_workflow(wf, types);
  return s.ok() ? "" : s.error().message;
}

std::vector<std::string> names_in_order(const std::vector<WorkflowStep>& steps) {
  auto order = topological_order(steps);
  REQUIRE_MESSAGE(order.ok(), (order.ok() ? "" : order.error().message));
  std::vector<std::string> out;
  for (auto i : *order) out.push_back(steps[i].name);
  return out;
}

TEST_CASE("a diamond is valid and ordered upstream first, ties in declaration order") {
  WorkflowSpec wf{"d", {step("d", {"b", "c"}), step("c", {"a"}), step("b", {"a"}), step("a")}};
  CHECK(error_of(wf, {"noop"}) == "");
  CHECK(names_in_order(wf.steps) == std::vector<std::string>{"a", "c", "b", "d"});
}

TEST_CASE("a cycle is named along its path") {
  WorkflowSpec wf{"c", {step("a", {"c"}), step("b", {"a"}), step("c", {"b"}), step("x")}};
  CHECK(error_of(wf) == "cycle: a -> b -> c -> a");
  auto order = topological_order(wf.steps);
  REQUIRE_FALSE(order.ok());
  CHECK(order.error().message == "cycle: a -> b -> c -> a");
  CHECK(order.error().cls == ErrorClass::invalid);
}

TEST_CASE("a cycle behind an acyclic prefix names only the cycle") {
  WorkflowSpec wf{"c", {step("root"), step("p", {"root", "q"}), step("q", {"p"})}};
  CHECK(error_of(wf) == "cycle: p -> q -> p");
}

TEST_CASE("a self-dependency, an unknown dependency and a duplicate name are rejected") {
  CHECK(error_of({"w", {step("a", {"a"})}}) == "step 'a' depends on itself");
  CHECK(error_of({"w", {step("a"), step("b", {"zz"})}}) == "step 'b' depends on unknown step 'zz'");
  CHECK(error_of({"w", {step("a"), step("a")}}) == "duplicate step name 'a'");
}

TEST_CASE("an unknown trigger rule and an unknown job type are rejected naming the step") {
  CHECK(error_of({"w", {step("a", {}, "any_success")}})
            .find("step 'a': unknown trigger_rule 'any_success'") == 0);
  CHECK(error_of({"w", {step("a", {}, "all_success", "frobnicate")}}, {"exec", "noop"}) ==
        "step 'a': unknown job type 'frobnicate' (known types: exec, noop)");
  // An empty set of known types accepts any type.
  CHECK(error_of({"w", {step("a", {}, "all_success", "frobnicate")}}) == "");
}

TEST_CASE("step names, an empty workflow and bad job specs are rejected") {
  CHECK(error_of({"w", {}}) == "workflow has no steps");
  CHECK(error_of({"w", {step("")}}).find("step name '' is not valid") == 0);
  CHECK(error_of({"w", {step("a b")}}).find("step name 'a b' is not valid") == 0);
  CHECK(error_of({"w", {step(std::string(65, 'x'))}}).find("is not valid") != std::string::npos);
  CHECK(error_of({"w", {step(std::string(64, 'x'))}}) == "");
  auto bad = step("a");
  bad.spec.type = "";
  CHECK(error_of({"w", {bad}}).find("step 'a': ") == 0);
}

TEST_CASE("a 10,000-step chain validates and orders without deep recursion") {
  WorkflowSpec wf{"chain", {}};
  for (int i = 0; i < 10000; ++i)
    wf.steps.push_back(
        step("s" + std::to_string(i), i ? std::vector<std::string>{"s" + std::to_string(i - 1)}
                                        : std::vector<std::string>{}));
  CHECK(error_of(wf) == "");
  auto order = topological_order(wf.steps);
  REQUIRE(order.ok());
  for (std::size_t i = 0; i < order->size(); ++i) CHECK((*order)[i] == i);
  wf.steps.push_back(step("one-too-many"));
  CHECK(error_of(wf).find("at most 10000") != std::string::npos);
  // Closing the chain into a ring is a cycle through every step.
  wf.steps.pop_back();
  wf.steps[0].depends_on = {"s9999"};
  CHECK(error_of(wf).rfind("-> s9999 -> s0") != std::string::npos);
}

TEST_CASE("duplicate entries in depends_on count once") {
  std::vector<WorkflowStep> steps{step("a"), step("b", {"a", "a"})};
  CHECK(names_in_order(steps) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("trigger rule names round-trip") {
  for (auto r : {TriggerRule::all_success, TriggerRule::all_done, TriggerRule::one_failed,
                 TriggerRule::none_failed_min_one_success})
    CHECK(parse_trigger_rule(to_string(r)) == r);
  CHECK_FALSE(parse_trigger_rule("ALL_SUCCESS"));
  CHECK_FALSE(parse_trigger_rule(""));
}

// An oracle written from the rules' definitions as sets of outcomes, independent of the
// counting implementation: a decision is final only when no completion of the pending
// upstreams could change it.
StepDecision oracle(TriggerRule rule, const std::vector<StepState>& up) {
  auto is_fail = [](StepState s) {
    return s == StepState::failed || s == StepState::cancelled || s == StepState::upstream_failed;
  };
  // The outcome once every pending upstream has finished in a given way.
  std::function<StepDecision(const std::vector<StepState>&)> final_of =
      [&](const std::vector<StepState>& all) {
        bool any_fail = false, any_ok = false, all_ok = true, any_skip = false;
        for (auto s : all) {
          any_fail |= is_fail(s);
          any_ok |= s == StepState::succeeded;
          all_ok &= s == StepState::succeeded;
          any_skip |= s == StepState::skipped;
        }
        switch (rule) {
          case TriggerRule::all_success:
            return all_ok     ? StepDecision::ready
                   : any_fail ? StepDecision::upstream_failed
                              : StepDecision::skipped;
          case TriggerRule::all_done:
            return StepDecision::ready;
          case TriggerRule::one_failed:
            return all.empty() || any_fail ? StepDecision::ready : StepDecision::skipped;
          case TriggerRule::none_failed_min_one_success:
            if (all.empty()) return StepDecision::ready;
            if (any_fail) return StepDecision::upstream_failed;
            return any_ok ? StepDecision::ready : StepDecision::skipped;
        }
        (void)any_skip;
        return StepDecision::wait;
      };
  // Every way the pending upstreams could still finish.
  std::vector<std::vector<StepState>> worlds{{}};
  for (auto s : up) {
    std::vector<std::vector<StepState>> next;
    for (const auto& w : worlds) {
      std::vector<StepState> options{s};
      if (s == StepState::pending)
        options = {StepState::succeeded, StepState::failed, StepState::skipped};
      for (auto o : options) {
        auto x = w;
        x.push_back(o);
        next.push_back(x);
      }
    }
    worlds = next;
  }
  std::optional<StepDecision> agreed;
  for (const auto& w : worlds) {
    auto d = final_of(w);
    if (agreed && *agreed != d) return StepDecision::wait;
    agreed = d;
  }
  // Running is decided early only by one_failed ("as soon as one failed"); the other rules
  // speak of every upstream, so they run only once all have finished.
  const bool any_pending = std::count(up.begin(), up.end(), StepState::pending) > 0;
  if (*agreed == StepDecision::ready && any_pending && rule != TriggerRule::one_failed)
    return StepDecision::wait;
  return *agreed;
}

TEST_CASE("every trigger rule decides as its definition says, for every upstream combination") {
  const std::vector<StepState> states{StepState::pending,         StepState::succeeded,
                                      StepState::failed,          StepState::cancelled,
                                      StepState::upstream_failed, StepState::skipped};
  int checked = 0;
  for (auto rule : {TriggerRule::all_success, TriggerRule::all_done, TriggerRule::one_failed,
                    TriggerRule::none_failed_min_one_success})
    for (int n = 0; n <= 4; ++n) {
      int combos = 1;
      for (int i = 0; i < n; ++i) combos *= static_cast<int>(states.size());
      for (int c = 0; c < combos; ++c) {
        std::vector<StepState> up;
        for (int i = 0, x = c; i < n; ++i, x /= static_cast<int>(states.size()))
          up.push_back(states[static_cast<std::size_t>(x) % states.size()]);
        INFO("rule=" << to_string(rule) << " c=" << c << " n=" << n);
        CHECK(decide_step(rule, up) == oracle(rule, up));
        ++checked;
      }
    }
  CHECK(checked == 4 * (1 + 6 + 36 + 216 + 1296));
}

TEST_CASE("the trigger rules on the cases an operator reasons about") {
  using S = StepState;
  using D = StepDecision;
  CHECK(decide_step(TriggerRule::all_success, {}) == D::ready);
  CHECK(decide_step(TriggerRule::all_success, {S::succeeded, S::pending}) == D::wait);
  CHECK(decide_step(TriggerRule::all_success, {S::failed, S::pending}) == D::upstream_failed);
  CHECK(decide_step(TriggerRule::all_done, {S::failed, S::succeeded}) == D::ready);
  CHECK(decide_step(TriggerRule::all_done, {S::failed, S::pending}) == D::wait);
  CHECK(decide_step(TriggerRule::one_failed, {S::failed, S::pending}) == D::ready);
  CHECK(decide_step(TriggerRule::one_failed, {S::succeeded, S::succeeded}) == D::skipped);
  CHECK(decide_step(TriggerRule::none_failed_min_one_success, {S::skipped, S::succeeded}) ==
        D::ready);
  CHECK(decide_step(TriggerRule::none_failed_min_one_success, {S::skipped, S::skipped}) ==
        D::skipped);
}

TEST_CASE("input environment names are upper case with '-' as '_'") {
  CHECK(step_input_env_name("export-disk_1") == "HYPERSDK_INPUT_EXPORT_DISK_1");
}

}  // namespace
}  // namespace hypersdk::core
