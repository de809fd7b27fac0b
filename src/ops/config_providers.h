// The shape check of the `providers:` config key (name -> {kind, settings}), reported with
// the YAML position like every other key. The providers themselves are built from the same
// node by providers/registry.h.
#pragma once

#include "ops/config_schema.h"

namespace hypersdk::ops {

void check_providers(std::string_view key, const YAML::Node& v, std::vector<ValueProblem>& out);

}  // namespace hypersdk::ops
