// Reading request files that may be JSON or YAML (YAML is a superset for our purposes).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace hypersdk::cli {

// Parses the file as JSON when it starts with '{' or '[', else as YAML. Errors name the file
// and the line.
Result<nlohmann::json> read_json_or_yaml_file(const std::string& path);

}  // namespace hypersdk::cli
