// The engine's TemplateReader (engine/schedule_runs.h) made of the wire's template functions
// (wire/workflow_template.h, wire/workflow_json.h): the CLI wires it into serve's runtime and
// the local backend, so the engine fires workflow schedules without depending on wire.
#pragma once

#include "engine/schedule_runs.h"

namespace hypersdk::cli {

engine::TemplateReader template_reader();

}  // namespace hypersdk::cli
