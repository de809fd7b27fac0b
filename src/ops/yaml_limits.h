// Bounds on a parsed YAML tree from a local input (the config file, a value from the
// environment). yaml-cpp keeps an alias as a shared node, so a few hundred bytes of nested
// aliases (a "billion laughs") are a small tree that every walk, copy or dump expands
// exponentially; and nesting is bounded by yaml-cpp's parser only at 2000 levels. Checking
// the expanded size and the depth once, right after parsing, keeps every later walk cheap.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

namespace hypersdk::ops {

inline constexpr std::size_t kMaxConfigYamlNodes = 100'000;
inline constexpr int kMaxConfigYamlDepth = 32;

// nullopt when `node`, with aliases expanded, has at most max_nodes nodes and max_depth
// levels; else why not ("nested deeper than 32 levels", "expands to more than 100000 values
// (aliases?)"). Stops walking as soon as a bound is passed.
std::optional<std::string> yaml_over_limits(const YAML::Node& node,
                                            std::size_t max_nodes = kMaxConfigYamlNodes,
                                            int max_depth = kMaxConfigYamlDepth);

}  // namespace hypersdk::ops
