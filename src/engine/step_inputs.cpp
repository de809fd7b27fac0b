#include "engine/step_inputs.h"

#include <set>

namespace hypersdk::engine {

using nlohmann::json;

Result<std::optional<json>> step_input_with(const json& payload, const std::string& key) {
  if (!payload.is_object() || !payload.contains("inputs") || !payload["inputs"].is_object())
    return std::optional<json>();
  const json& inputs = payload["inputs"];
  if (payload.contains("from") && payload["from"].is_string()) {
    const std::string from = payload["from"].get<std::string>();
    if (!inputs.contains(from))
      return invalid_error("from: no upstream step '" + from + "' among this step's inputs");
    return std::optional<json>(inputs[from]);
  }
  // The step's own upstreams first: in a chain export -> convert -> upload, upload takes
  // convert's file, not export's. Only when none of them has the key do the ancestors count
  // (a cleanup step finds the snapshot id of the chain's first step).
  std::set<std::string> direct;
  if (payload.contains("upstreams") && payload["upstreams"].is_array())
    for (const auto& n : payload["upstreams"])
      if (n.is_string()) direct.insert(n.get<std::string>());
  for (const bool nearest : {true, false}) {
    std::optional<json> found;
    std::string found_name;
    for (const auto& [name, result] : inputs.items()) {
      if (nearest && !direct.count(name)) continue;
      if (!result.is_object() || !result.contains(key)) continue;
      // Inputs that agree are no ambiguity (a snapshot step and the export of that snapshot
      // both name the same provider, VM and snapshot).
      if (found && (*found)[key] == result[key]) continue;
      if (found)
        return invalid_error("inputs " + found_name + " and " + name + " both have a '" + key +
                             "': name one with from: STEP");
      found = result;
      found_name = name;
    }
    if (found) return found;
  }
  return std::optional<json>();
}

Result<std::string> step_path(const json& payload) {
  if (payload.contains("path")) {
    if (!payload["path"].is_string() || payload["path"].get<std::string>().empty())
      return invalid_error("path: expected a file path");
    return payload["path"].get<std::string>();
  }
  auto in = step_input_with(payload, "path");
  if (!in) return in.error();
  if (!*in || !(**in)["path"].is_string())
    return invalid_error("path: none given, and no upstream step's result has a path");
  return (**in)["path"].get<std::string>();
}

std::string step_string(const json& payload, const std::string& key) {
  if (payload.contains(key) && payload[key].is_string()) return payload[key].get<std::string>();
  auto in = step_input_with(payload, key);
  if (in && *in && (**in)[key].is_string()) return (**in)[key].get<std::string>();
  return "";
}

}  // namespace hypersdk::engine
