// Small helpers shared by the key table's checks (config_keys_*.cpp) and value conversion
// (config_values.cpp), and the table's sections. Internal.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/config_schema.h"

namespace hypersdk::ops::schema_detail {

inline constexpr std::int64_t kSecond = 1000;

inline std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return "'" + n.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + std::string(item);
  return out;
}

inline std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

inline void problem(std::vector<ValueProblem>& out, const YAML::Node& at, std::string_view key,
                    const std::string& msg) {
  out.push_back({at.Mark(), std::string(key) + ": " + msg});
}

// The key table's sections, each appending its rows in config_schema()'s order.
void add_server_keys(std::vector<KeySpec>& out);       // config_keys_server.cpp
void add_job_keys(std::vector<KeySpec>& out);          // config_keys_jobs.cpp
void add_ops_keys(std::vector<KeySpec>& out);          // config_keys_ops.cpp
void add_integration_keys(std::vector<KeySpec>& out);  // config_keys_integrations.cpp

}  // namespace hypersdk::ops::schema_detail
