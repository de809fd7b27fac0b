#include "wire/workflow_json.h"

#include <doctest/doctest.h>

using namespace hypersdk;
using nlohmann::json;

namespace {
std::string error_of(const json& body, const std::map<std::string, std::string>& params = {}) {
  auto r = wire::parse_workflow_request(body, params, core::RetryPolicy{});
  return r.ok() ? "" : r.error().message;
}
}  // namespace

TEST_CASE("a workflow request: defaults under each step's own fields, rules and edges kept") {
  json body = json::parse(R"({"name": "m", "defaults": {"priority": 3, "max_retries": 1},
      "steps": [{"name": "a", "type": "noop"},
                {"name": "b", "type": "noop", "priority": 9, "depends_on": "a",
                 "trigger_rule": "all_done"}]})");
  auto wf = wire::parse_workflow_request(body, {}, core::RetryPolicy{});
  REQUIRE_MESSAGE(wf.ok(), (wf.ok() ? "" : wf.error().message));
  CHECK(wf->name == "m");
  REQUIRE(wf->steps.size() == 2);
  CHECK(wf->steps[0].spec.priority == 3);
  CHECK(wf->steps[0].spec.retry.max_retries == 1);
  CHECK(wf->steps[1].spec.priority == 9);
  CHECK(wf->steps[1].depends_on == std::vector<std::string>{"a"});
  CHECK(wf->steps[1].trigger_rule == "all_done");
}

TEST_CASE("parameters fill {{name}} placeholders, flags override the request's params") {
  json body = json::parse(R"({"params": {"vm": "a", "zone": "z1"},
      "steps": [{"name": "s", "type": "noop", "target": "{{vm}}-{{ zone }}",
                 "payload": {"argv": ["x", "{{vm}}"]}}]})");
  json used;
  auto wf = wire::parse_workflow_request(body, {{"vm", "web-1"}}, core::RetryPolicy{}, &used);
  REQUIRE(wf.ok());
  CHECK(wf->steps[0].spec.target == "web-1-z1");
  CHECK(json::parse(wf->steps[0].spec.payload)["argv"][1] == "web-1");
  CHECK(used == json{{"vm", "web-1"}, {"zone", "z1"}});
  CHECK(error_of(
            json::parse(R"({"steps": [{"name": "s", "type": "noop", "target": "{{nope}}"}]})")) ==
        "step 's': no value for parameter \"{{nope}}\" (give it with --param nope=VALUE or in "
        "\"params\")");
}

TEST_CASE("bad workflow requests name the key or step") {
  CHECK(error_of(json::array()) == "a workflow must be a JSON object");
  CHECK(error_of(json::parse(R"({"stepz": []})")).find("unknown key \"stepz\"") == 0);
  CHECK(error_of(json::parse(R"({"steps": []})")) == "\"steps\" must be a non-empty list");
  CHECK(error_of(json::parse(R"({"steps": [{"type": "noop"}]})")) ==
        "steps[0]: \"name\" is required (a string)");
  CHECK(error_of(json::parse(R"({"steps": [{"name": "a", "type": "noop", "depends_on": [1]}]})")) ==
        "step 'a': \"depends_on\" must be a list of step names");
  CHECK(error_of(json::parse(R"({"steps": [{"name": "a", "type": "noop", "colour": 1}]})"))
            .find("step 'a': unknown key \"colour\"") == 0);
  CHECK(error_of(json::parse(R"({"steps": [{"name": "a", "type": "noop", "trigger_rule": 2}]})")) ==
        "step 'a': \"trigger_rule\" must be a string");
}
