#include "ops/yaml_limits.h"

namespace hypersdk::ops {
namespace {

// False as soon as a bound is passed; `seen` counts nodes visited, aliases expanded.
bool walk(const YAML::Node& node, int depth, std::size_t max_nodes, int max_depth,
          std::size_t& seen, bool& too_deep) {
  if (++seen > max_nodes) return false;
  if (depth > max_depth) return !(too_deep = true);
  if (node.IsSequence()) {
    for (const auto& child : node)
      if (!walk(child, depth + 1, max_nodes, max_depth, seen, too_deep)) return false;
  } else if (node.IsMap()) {
    for (const auto& kv : node) {
      if (!walk(kv.first, depth + 1, max_nodes, max_depth, seen, too_deep)) return false;
      if (!walk(kv.second, depth + 1, max_nodes, max_depth, seen, too_deep)) return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> yaml_over_limits(const YAML::Node& node, std::size_t max_nodes,
                                            int max_depth) {
  std::size_t seen = 0;
  bool too_deep = false;
  if (walk(node, 0, max_nodes, max_depth, seen, too_deep)) return std::nullopt;
  if (too_deep) return "nested deeper than " + std::to_string(max_depth) + " levels";
  return "expands to more than " + std::to_string(max_nodes) + " values (aliases?)";
}

}  // namespace hypersdk::ops
