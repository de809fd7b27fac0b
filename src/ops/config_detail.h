// Helpers shared by the Config class (config.cpp) and its loader (config_load.cpp). Internal.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <string_view>

#include "ops/config.h"
#include "ops/config_suggest.h"

namespace hypersdk::ops::config_detail {

inline bool is_reference(std::string_view v) {
  return v.starts_with("env:") || v.starts_with("file:");
}

// True when `name` is one of the '|'-separated names in `fields` ("secret|url").
inline bool is_secret_field(std::string_view fields, std::string_view name) {
  while (!fields.empty()) {
    const auto bar = fields.find('|');
    if (fields.substr(0, bar) == name) return true;
    if (bar == std::string_view::npos) break;
    fields.remove_prefix(bar + 1);
  }
  return false;
}

// Calls fn on every secret scalar of a subtree: all scalars when `field` is empty, else the
// scalars under a mapping key named in `field` (several as "a|b"). fn may assign to the node it
// gets. The tree has passed yaml_over_limits (yaml_limits.h), so the recursion is shallow.
inline void visit_secrets(YAML::Node node, std::string_view field, bool under,
                          const std::function<void(YAML::Node)>& fn) {
  if (node.IsScalar()) {
    if (field.empty() || under) fn(node);
  } else if (node.IsSequence()) {
    for (auto child : node) visit_secrets(child, field, under, fn);
  } else if (node.IsMap()) {
    for (auto kv : node)
      visit_secrets(kv.second, field, under || is_secret_field(field, kv.first.Scalar()), fn);
  }
}

// "; did you mean 'workers.count'?" or "".
inline std::string did_you_mean(std::string_view unknown) {
  auto s = suggest_key(unknown);
  return s ? "; did you mean '" + *s + "'?" : "";
}

}  // namespace hypersdk::ops::config_detail
