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

// Calls fn on every secret scalar of a subtree: all scalars when `field` is empty, else the
// scalars under a mapping key named `field`. fn may assign to the node it gets. The tree has
// passed yaml_over_limits (yaml_limits.h), so the recursion is shallow.
// `field` may name several fields separated by '|' ("secret_key|password").
inline bool secret_field_matches(std::string_view name, std::string_view field) {
  for (std::size_t start = 0; start <= field.size();) {
    const std::size_t bar = std::min(field.find('|', start), field.size());
    if (field.substr(start, bar - start) == name) return true;
    start = bar + 1;
  }
  return false;
}

inline void visit_secrets(YAML::Node node, std::string_view field, bool under,
                          const std::function<void(YAML::Node)>& fn) {
  if (node.IsScalar()) {
    if (field.empty() || under) fn(node);
  } else if (node.IsSequence()) {
    for (auto child : node) visit_secrets(child, field, under, fn);
  } else if (node.IsMap()) {
    for (auto kv : node)
      visit_secrets(kv.second, field, under || secret_field_matches(kv.first.Scalar(), field), fn);
  }
}

// "; did you mean 'workers.count'?" or "".
inline std::string did_you_mean(std::string_view unknown) {
  auto s = suggest_key(unknown);
  return s ? "; did you mean '" + *s + "'?" : "";
}

}  // namespace hypersdk::ops::config_detail
