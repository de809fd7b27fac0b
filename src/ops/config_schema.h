// The one table of every configuration key (name, type, default, secrecy, help text) and of
// renamed keys, plus the conversion of raw YAML values into typed values that the file, the
// environment and command-line flags all share.
//
// Adding a key = adding a row to the table in config_schema.cpp and documenting it in
// hypersdk.yaml.example (a unit test checks that the example names every key).
//
// Thread safety: the table is immutable static data; every function here is pure.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"

namespace hypersdk::ops {

enum class KeyType {
  string,
  integer,
  boolean,
  duration,     // "250ms", "30s", "5m", "1h", "7d", compounds such as "1h30m", or "0"
  enumeration,  // one of KeySpec::allowed, matched case-insensitively
  string_list,  // a YAML sequence of scalars
  map,          // a free-form subtree (mapping or sequence), shaped by KeySpec::check
};
std::string_view to_string(KeyType type);

// A problem in a value, at the position of the YAML it came from (null mark when unknown).
struct ValueProblem {
  YAML::Mark mark;
  std::string message;
};
// Extra validation of one key's value; appends problems whose messages start with the key.
using ValueCheck = void (*)(std::string_view key, const YAML::Node& value,
                            std::vector<ValueProblem>& problems);

struct KeySpec {
  std::string_view name;  // dotted: "workers.count"
  KeyType type = KeyType::string;
  // Scalar text for scalar types; flow YAML ("[a, b]", "{75: transient}") for lists and maps.
  std::string_view default_value;
  std::string_view help;                       // one line
  std::vector<std::string_view> allowed = {};  // enumeration values, canonical spelling
  bool secret = false;
  // For a secret map: only scalars under this field name are secret (all when empty).
  std::string_view secret_field = {};
  // Bounds for integers, and for durations in milliseconds.
  std::int64_t min = 0;
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
  ValueCheck check = nullptr;
};

// A deprecated spelling of a key. Its value is migrated to new_name with a warning.
struct KeyAlias {
  std::string_view old_name;
  std::string_view new_name;
  std::string_view note;  // release note, e.g. "renamed in 0.2"
};

const std::vector<KeySpec>& config_schema();
const std::vector<KeyAlias>& config_aliases();
const KeySpec* find_key(std::string_view name);     // nullptr when unknown
const KeyAlias* find_alias(std::string_view name);  // nullptr when not deprecated
// True when `prefix` names a section ("api", "api.tls") of some key or alias.
bool is_section(std::string_view prefix);

// A map value is kept as YAML text so that a Config shares no yaml-cpp nodes between
// threads (yaml-cpp nodes mutate internal caches even on const reads).
struct YamlText {
  std::string text;
  bool operator==(const YamlText&) const = default;
};
using ConfigValue = std::variant<std::string, std::int64_t, bool, std::chrono::milliseconds,
                                 std::vector<std::string>, YamlText>;

// Converts `node` to the typed value of `spec`. On failure returns nullopt and appends
// problems such as "workers.count: expected an integer, got 'four'".
std::optional<ConfigValue> convert_value(const KeySpec& spec, const YAML::Node& node,
                                         std::vector<ValueProblem>& problems);
// The YAML node for a value given as text (environment variable, flag): scalars as is,
// lists as "[a, b]" or "a,b", maps as YAML. Error class invalid when the text is not YAML.
Result<YAML::Node> node_from_text(const KeySpec& spec, std::string_view text);
// One-line YAML flow text of a node: "{75: transient}".
std::string flow_yaml(const YAML::Node& node);
// Display text: durations as "30s", lists and maps in YAML flow style.
std::string format_value(const ConfigValue& value);

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds d);  // largest exact unit: "90m", "7d"

}  // namespace hypersdk::ops
