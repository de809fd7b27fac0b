// Two store helpers that src/wire's answer renderers (occurrence_to_json, workflow_to_json)
// call live in files that speak SQL (store/schedule_row.cpp, store/sqlite_workflows.cpp); the
// fuzz build links no SQLite. The fuzzers only parse requests and never render those shapes,
// so these stand-ins trap if they are ever reached instead of answering wrongly.
#include <string>
#include <string_view>

#include "store/schedule_types.h"
#include "store/workflow_types.h"

namespace hypersdk::store {

std::string_view to_string(OccurrenceOutcome) {
  __builtin_trap();
}
std::string format_workflow_id(WorkflowId) {
  __builtin_trap();
}

}  // namespace hypersdk::store
