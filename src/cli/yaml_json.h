// Reading request files that may be JSON or YAML (YAML is a superset for our purposes).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace hypersdk::cli {

// Parses the file as JSON when it starts with '{' or '[', else as YAML. Errors name the file
// and the line. Bounded: at most 4 MiB read, nesting as wire::kMaxJsonDepth, at most 100,000
// values once YAML aliases are expanded, no NUL anywhere (class invalid otherwise).
Result<nlohmann::json> read_json_or_yaml_file(const std::string& path);

}  // namespace hypersdk::cli
