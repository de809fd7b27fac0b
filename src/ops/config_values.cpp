// Conversion of raw YAML and text into typed config values, and their display (contract in
// config_schema.h).
#include <algorithm>
#include <limits>

#include "ops/config_schema_detail.h"
#include "ops/yaml_limits.h"

#include <yaml-cpp/depthguard.h>

namespace hypersdk::ops {
using namespace schema_detail;

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) return std::nullopt;
  constexpr std::int64_t kLimit = 100LL * 365 * 24 * 3600 * 1000;  // a century
  std::int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    auto n = parse_int(text.substr(start, i - start));
    if (!n || *n > kLimit) return std::nullopt;
    std::int64_t unit = 0;
    if (text.substr(i, 2) == "ms") {
      unit = 1, i += 2;
    } else if (i < text.size()) {
      switch (text[i++]) {
        case 's':
          unit = kSecond;
          break;
        case 'm':
          unit = 60 * kSecond;
          break;
        case 'h':
          unit = 3600 * kSecond;
          break;
        case 'd':
          unit = 86400 * kSecond;
          break;
        default:
          return std::nullopt;
      }
    } else {
      return std::nullopt;  // a number without a unit
    }
    if (*n > (kLimit - total) / unit) return std::nullopt;  // before multiplying: no overflow
    total += *n * unit;
  }
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  for (auto [unit, suffix] : {std::pair<std::int64_t, const char*>{86400 * kSecond, "d"},
                              {3600 * kSecond, "h"},
                              {60 * kSecond, "m"},
                              {kSecond, "s"}})
    if (ms % unit == 0) return std::to_string(ms / unit) + suffix;
  return std::to_string(ms) + "ms";
}

std::optional<ConfigValue> convert_value(const KeySpec& spec, const YAML::Node& node,
                                         std::vector<ValueProblem>& problems) {
  const size_t before = problems.size();
  auto fail = [&](const std::string& msg) -> std::optional<ConfigValue> {
    problem(problems, node, spec.name, msg);
    return std::nullopt;
  };
  auto in_bounds = [&](std::int64_t v, const std::string& shown) {
    if (v >= spec.min && v <= spec.max) return true;
    auto bound = [&](std::int64_t b) {
      return spec.type == KeyType::duration ? format_duration(std::chrono::milliseconds(b))
                                            : std::to_string(b);
    };
    // The whole allowed range, so one message says what to write instead.
    const std::string range = spec.max == std::numeric_limits<std::int64_t>::max()
                                  ? "at least " + bound(spec.min)
                                  : "in the range " + bound(spec.min) + ".." + bound(spec.max);
    fail("must be " + range + ", got " + shown);
    return false;
  };
  if (spec.type != KeyType::map && spec.type != KeyType::string_list && !node.IsScalar() &&
      !(spec.type == KeyType::string && node.IsNull()))
    return fail("expected " + std::string(spec.type == KeyType::integer ? "an " : "a ") +
                std::string(to_string(spec.type)) + ", got " + describe(node));

  std::optional<ConfigValue> value;
  switch (spec.type) {
    case KeyType::string:
      value = node.IsNull() ? std::string() : node.Scalar();
      break;
    case KeyType::integer: {
      auto v = parse_int(node.Scalar());
      if (!v) return fail("expected an integer, got '" + node.Scalar() + "'");
      if (!in_bounds(*v, std::to_string(*v))) return std::nullopt;
      value = *v;
      break;
    }
    case KeyType::boolean: {
      const std::string s = lower(node.Scalar());
      if (s == "true" || s == "yes" || s == "on") {
        value = true;
      } else if (s == "false" || s == "no" || s == "off") {
        value = false;
      } else {
        return fail("expected true or false, got '" + node.Scalar() + "'");
      }
      break;
    }
    case KeyType::duration: {
      auto d = parse_duration(node.Scalar());
      if (!d)
        return fail("expected a duration such as 250ms, 30s, 5m, 1h or 7d, got '" + node.Scalar() +
                    "'");
      if (!in_bounds(d->count(), "'" + node.Scalar() + "'")) return std::nullopt;
      value = *d;
      break;
    }
    case KeyType::enumeration: {
      for (auto allowed : spec.allowed)
        if (lower(allowed) == lower(node.Scalar())) value = std::string(allowed);
      if (!value)
        return fail("expected one of " + join(spec.allowed) + ", got '" + node.Scalar() + "'");
      break;
    }
    case KeyType::string_list: {
      if (!node.IsSequence() && !node.IsNull())
        return fail("expected a list such as [a, b], got " + describe(node));
      std::vector<std::string> items;
      for (const auto& item : node) {
        if (!item.IsScalar()) {
          problem(problems, item, spec.name,
                  "list items must be plain values, got " + describe(item));
          return std::nullopt;
        }
        items.push_back(item.Scalar());
      }
      value = std::move(items);
      break;
    }
    case KeyType::map: {
      if (node.IsScalar()) return fail("expected a mapping or a list, got " + describe(node));
      value = YamlText{node.IsNull() ? std::string() : YAML::Dump(node)};
      break;
    }
  }
  if (spec.check) spec.check(spec.name, node, problems);
  if (problems.size() != before) return std::nullopt;
  return value;
}

Result<YAML::Node> node_from_text(const KeySpec& spec, std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  const bool flow = first != std::string_view::npos && (text[first] == '[' || text[first] == '{');
  if (spec.type == KeyType::string_list && !flow) {
    YAML::Node seq(YAML::NodeType::Sequence);
    size_t start = 0;
    while (start <= text.size() && !text.empty()) {
      size_t comma = std::min(text.find(',', start), text.size());
      std::string item(text.substr(start, comma - start));
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) seq.push_back(item);
      start = comma + 1;
    }
    return seq;
  }
  if (spec.type == KeyType::string_list || spec.type == KeyType::map) {
    try {
      YAML::Node node = YAML::Load(std::string(text));
      if (auto why = yaml_over_limits(node))
        return Error{ErrorClass::invalid, std::string(spec.name) + ": the YAML " + *why};
      return node;
    } catch (const YAML::DeepRecursion&) {
      return Error{ErrorClass::invalid, std::string(spec.name) + ": the YAML nested deeper than " +
                                            std::to_string(kMaxConfigYamlDepth) + " levels"};
    } catch (const YAML::Exception& e) {
      return Error{ErrorClass::invalid, std::string(spec.name) + ": not valid YAML: " + e.msg};
    }
  }
  return YAML::Node(std::string(text));
}

std::string flow_yaml(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

std::string format_value(const ConfigValue& value) {
  struct Visitor {
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(std::chrono::milliseconds d) const { return format_duration(d); }
    std::string operator()(const std::vector<std::string>& items) const {
      std::string out = "[";
      for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
      return out + "]";
    }
    std::string operator()(const YamlText& y) const {
      return y.text.empty() ? std::string() : flow_yaml(YAML::Load(y.text));
    }
  };
  return std::visit(Visitor{}, value);
}

}  // namespace hypersdk::ops
