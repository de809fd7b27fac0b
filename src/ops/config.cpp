// Config values: the effective value and source of every key, overrides from flags, and the
// views of `config show`. Loading (discovery, file, environment, secrets) is config_load.cpp;
// the key table and value conversion are config_schema.cpp.
#include "ops/config.h"

#include <cctype>
#include <stdexcept>

#include "ops/config_detail.h"

namespace hypersdk::ops {
using namespace config_detail;

namespace {

nlohmann::json yaml_to_json(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsSequence()) {
    auto out = nlohmann::json::array();
    for (const auto& child : node) out.push_back(yaml_to_json(child));
    return out;
  }
  if (node.IsMap()) {
    auto out = nlohmann::json::object();
    for (const auto& kv : node) out[kv.first.Scalar()] = yaml_to_json(kv.second);
    return out;
  }
  return nullptr;
}

}  // namespace

// ---- Small values --------------------------------------------------------------------------

std::string ValueSource::to_string() const {
  switch (kind) {
    case SourceKind::default_value:
      return "default";
    case SourceKind::file:
      return line > 0 ? name + ":" + std::to_string(line) : name;
    case SourceKind::env:
      return "env " + name;
    case SourceKind::flag:
      return "flag " + name;
  }
  return "default";
}

std::string Diagnostic::to_string() const {
  std::string out = where;
  if (!where.empty() && line > 0) out += ":" + std::to_string(line);
  if (!where.empty() && line > 0 && column > 0) out += ":" + std::to_string(column);
  if (!out.empty()) out += ": ";
  return out + (severity == Severity::error ? "error: " : "warning: ") + message;
}

std::string env_var_for(std::string_view key) {
  std::string out = "HYPERSDK_";
  for (char c : key) {
    if (c == '.')
      out += "__";
    else
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// ---- Config --------------------------------------------------------------------------------

Config::Config() {
  for (const auto& spec : config_schema()) {
    const bool structured = spec.type == KeyType::string_list || spec.type == KeyType::map;
    YAML::Node node = structured ? YAML::Load(std::string(spec.default_value))
                                 : YAML::Node(std::string(spec.default_value));
    std::vector<ValueProblem> problems;
    auto value = convert_value(spec, node, problems);
    if (!value) throw std::logic_error("bad default of config key " + std::string(spec.name));
    slots_.push_back({std::move(*value), ValueSource{}});
  }
}

const Config::Slot& Config::slot(std::string_view key) const {
  const KeySpec* spec = find_key(key);
  if (!spec) throw std::logic_error("unknown config key '" + std::string(key) + "'");
  return slots_[static_cast<size_t>(spec - config_schema().data())];
}

void Config::set(const KeySpec& spec, ConfigValue value, ValueSource source) {
  slots_[static_cast<size_t>(&spec - config_schema().data())] = {std::move(value),
                                                                 std::move(source)};
}

namespace {
template <typename T>
const T& typed(const ConfigValue& v, std::string_view key, const char* type) {
  if (const T* p = std::get_if<T>(&v)) return *p;
  throw std::logic_error("config key '" + std::string(key) + "' is not of type " + type);
}
}  // namespace

const std::string& Config::get_string(std::string_view key) const {
  return typed<std::string>(slot(key).value, key, "string");
}
std::int64_t Config::get_int(std::string_view key) const {
  return typed<std::int64_t>(slot(key).value, key, "integer");
}
bool Config::get_bool(std::string_view key) const {
  return typed<bool>(slot(key).value, key, "bool");
}
std::chrono::milliseconds Config::get_duration(std::string_view key) const {
  return typed<std::chrono::milliseconds>(slot(key).value, key, "duration");
}
const std::vector<std::string>& Config::get_list(std::string_view key) const {
  return typed<std::vector<std::string>>(slot(key).value, key, "list");
}
YAML::Node Config::get_node(std::string_view key) const {
  const auto& text = typed<YamlText>(slot(key).value, key, "map").text;
  return text.empty() ? YAML::Node() : YAML::Load(text);
}
const ValueSource& Config::source(std::string_view key) const {
  return slot(key).source;
}

Status Config::set_override(std::string_view key, std::string_view value, std::string_view flag) {
  if (const KeyAlias* alias = find_alias(key)) key = alias->new_name;
  const KeySpec* spec = find_key(key);
  if (!spec)
    return Error{ErrorClass::invalid, std::string(flag) + ": unknown config key '" +
                                          shown_key(key) + "'" + did_you_mean(key)};
  auto node = node_from_text(*spec, value);
  if (!node) return Error{ErrorClass::invalid, std::string(flag) + ": " + node.error().message};
  std::vector<ValueProblem> problems;
  auto converted = convert_value(*spec, *node, problems);
  if (!converted) {
    std::string msg = std::string(flag) + ": ";
    for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i].message;
    return Error{ErrorClass::invalid, msg};
  }
  set(*spec, std::move(*converted), ValueSource{SourceKind::flag, std::string(flag), 0});
  return Status::Ok();
}

YAML::Node Config::display_node(const KeySpec& spec, const Slot& s, bool redact) const {
  const auto& text = std::get<YamlText>(s.value).text;
  YAML::Node node = text.empty() ? YAML::Node() : YAML::Load(text);
  if (redact && spec.secret) {
    visit_secrets(node, spec.secret_field, false, [](YAML::Node leaf) {
      if (!leaf.Scalar().empty() && !is_reference(leaf.Scalar())) leaf = "***";
    });
  }
  return node;
}

std::vector<Config::Entry> Config::entries(bool redact) const {
  std::vector<Entry> out;
  const auto& schema = config_schema();
  for (size_t i = 0; i < schema.size(); ++i) {
    const KeySpec& spec = schema[i];
    const Slot& s = slots_[i];
    std::string text;
    if (spec.type == KeyType::map) {
      YAML::Node node = display_node(spec, s, redact);
      text = node.IsNull() ? "" : flow_yaml(node);
    } else {
      text = format_value(s.value);
      if (redact && spec.secret && !text.empty() && !is_reference(text)) text = "***";
    }
    out.push_back({std::string(spec.name), std::move(text), s.source, spec.secret});
  }
  return out;
}

nlohmann::json Config::to_json(bool redact) const {
  nlohmann::json root = nlohmann::json::object();
  const auto& schema = config_schema();
  for (size_t i = 0; i < schema.size(); ++i) {
    const KeySpec& spec = schema[i];
    const Slot& s = slots_[i];
    nlohmann::json value;
    if (spec.type == KeyType::map) {
      value = yaml_to_json(display_node(spec, s, redact));
    } else if (const auto* str = std::get_if<std::string>(&s.value)) {
      value = redact && spec.secret && !str->empty() && !is_reference(*str) ? "***" : *str;
    } else if (const auto* n = std::get_if<std::int64_t>(&s.value)) {
      value = *n;
    } else if (const auto* b = std::get_if<bool>(&s.value)) {
      value = *b;
    } else if (const auto* d = std::get_if<std::chrono::milliseconds>(&s.value)) {
      value = format_duration(*d);
    } else {
      value = std::get<std::vector<std::string>>(s.value);
    }
    nlohmann::json* at = &root;
    std::string_view name = spec.name;
    for (auto dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.')) {
      at = &(*at)[std::string(name.substr(0, dot))];
      name.remove_prefix(dot + 1);
    }
    (*at)[std::string(name)] = std::move(value);
  }
  return root;
}

}  // namespace hypersdk::ops
