// libFuzzer target: the API's JSON request bodies, the way the routes read them: the bounded
// parser (wire/json_limits.h), then the job submit, schedule create/update or workflow submit
// parser (src/wire/), then the domain validation the services run (core validate_spec,
// validate_schedule, validate_workflow with its cycle check). The first input byte picks the
// parser; a request that is accepted is also rendered back as the API would answer it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/job.h"
#include "core/schedule.h"
#include "core/workflow_dag.h"
#include "wire/job_json.h"
#include "wire/json_limits.h"
#include "wire/schedule_json.h"
#include "wire/workflow_json.h"
#include "wire/workflow_template.h"

namespace {

using namespace hypersdk;

void job(const nlohmann::json& body) {
  auto spec = wire::parse_job_request(body, core::RetryPolicy{});
  if (spec) (void)core::validate_spec(*spec);
}

void schedule(const nlohmann::json& body, bool create) {
  core::ScheduleSpec base;
  base.name = "base";
  base.cron = "0 2 * * *";
  base.timezone = "UTC";
  base.job_type = "noop";
  auto spec = wire::parse_schedule_request(body, base, create);
  if (spec) (void)core::validate_schedule(*spec);
}

void workflow(const nlohmann::json& body) {
  // Templates resolve to "not found" here: the fuzzer has no store; the lookup path still runs.
  auto request = wire::resolve_workflow_request(
      body, {}, [](const std::string& name) -> Result<store::WorkflowTemplate> {
        return make_error(ErrorClass::not_found, "no template " + name);
      });
  if (!request) return;
  nlohmann::json used;
  auto spec = wire::parse_workflow_request(*request, {{"vm", "web-1"}}, core::RetryPolicy{}, &used);
  if (!spec) return;
  (void)core::validate_workflow(*spec, {"noop", "exec", "export", "snapshot", "convert", "upload",
                                        "verify", "backup", "restore"});
  (void)used.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto body = wire::parse_json_bounded(text);
  if (!body) return 0;
  switch (data[0] % 4) {
    case 0:
      job(*body);
      break;
    case 1:
      schedule(*body, true);
      break;
    case 2:
      schedule(*body, false);
      break;
    default:
      workflow(*body);
      break;
  }
  return 0;
}
