#include "wire/workflow_template.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "core/time_text.h"
#include "core/workflow_dag.h"
#include "wire/workflow_json.h"

namespace hypersdk::wire {
using nlohmann::json;

namespace {

// Every "{{key}}" in the strings under `v` (keys trimmed as substitution trims them).
void collect_placeholders(const json& v, std::set<std::string>& out) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    std::size_t pos = 0;
    while (true) {
      auto open = s.find("{{", pos);
      if (open == std::string::npos) return;
      auto close = s.find("}}", open + 2);
      if (close == std::string::npos) return;
      std::string key = s.substr(open + 2, close - open - 2);
      while (!key.empty() && key.front() == ' ') key.erase(0, 1);
      while (!key.empty() && key.back() == ' ') key.pop_back();
      out.insert(key);
      pos = close + 2;
    }
  } else if (v.is_object() || v.is_array()) {
    for (const auto& x : v) collect_placeholders(x, out);
  }
}

std::string param_text(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string names_of(const std::vector<TemplateParam>& ps) {
  std::string out;
  for (const auto& p : ps) out += (out.empty() ? "" : ", ") + p.name;
  return out.empty() ? "none" : out;
}

}  // namespace

Status check_template_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
  if (!ok)
    return invalid_error("template name '" + name +
                         "' is not valid: use 1-64 letters, digits, '_', '-' or '.'");
  return Status::Ok();
}

std::vector<TemplateParam> template_params(const json& def) {
  std::map<std::string, std::optional<std::string>> params;
  if (def.is_object()) {
    std::set<std::string> used;
    for (const char* key : {"steps", "defaults"})
      if (def.contains(key)) collect_placeholders(def[key], used);
    for (const auto& k : used) params[k] = std::nullopt;
    if (def.contains("params") && def["params"].is_object())
      for (const auto& [k, v] : def["params"].items())
        params[k] = v.is_null() ? std::nullopt : std::optional<std::string>(param_text(v));
  }
  std::vector<TemplateParam> out;
  for (auto& [k, v] : params) out.push_back({k, std::move(v)});
  return out;
}

Status check_template_definition(const json& def, const core::RetryPolicy& retry_defaults) {
  if (!def.is_object()) return invalid_error("a workflow template must be a JSON object");
  if (def.contains("template"))
    return invalid_error("a template cannot name another template (\"template\" key)");
  // Any value will do to check the shape: placeholders only ever stand in strings.
  std::map<std::string, std::string> values;
  for (const auto& p : template_params(def)) values[p.name] = p.default_value.value_or("x");
  auto spec = parse_workflow_request(def, values, retry_defaults);
  if (!spec) return spec.error();
  return core::validate_workflow(*spec, {});
}

Result<json> instantiate_template(const store::WorkflowTemplate& t,
                                  const std::map<std::string, std::string>& params) {
  json def = json::parse(t.definition, nullptr, false);
  if (!def.is_object())
    return make_error(ErrorClass::internal,
                      "workflow template \"" + t.name + "\" is stored damaged (not JSON)");
  const auto declared = template_params(def);
  std::map<std::string, std::string> values;
  for (const auto& p : declared)
    if (p.default_value) values[p.name] = *p.default_value;
  for (const auto& [k, v] : params) {
    // Captured by name: clang 14 (make fuzz) cannot capture a structured binding.
    if (!values.count(k) &&
        std::none_of(declared.begin(), declared.end(),
                     [&name = k](const TemplateParam& p) { return p.name == name; }))
      return invalid_error("template \"" + t.name + "\" has no parameter '" + k +
                           "' (it takes: " + names_of(declared) + ")");
    values[k] = v;
  }
  for (const auto& p : declared)
    if (!values.count(p.name))
      return invalid_error("template \"" + t.name + "\" needs parameter '" + p.name +
                           "' (give it with --param " + p.name + "=VALUE)");
  def["params"] = values;
  if (!def.contains("name")) def["name"] = t.name;
  return def;
}

Result<json> resolve_workflow_request(const json& body,
                                      const std::map<std::string, std::string>& params,
                                      const TemplateLookup& lookup) {
  if (!body.is_object() || !body.contains("template")) return body;
  static const std::set<std::string> kKeys{"template", "params"};
  for (const auto& [k, v] : body.items())
    if (!kKeys.count(k))
      return invalid_error("unknown key \"" + k + "\" beside \"template\" (template, params)");
  if (!body["template"].is_string()) return invalid_error("\"template\" must be a string");
  std::map<std::string, std::string> values;
  if (body.contains("params")) {
    if (!body["params"].is_object()) return invalid_error("\"params\" must be an object");
    for (const auto& [k, v] : body["params"].items()) values[k] = param_text(v);
  }
  for (const auto& [k, v] : params) values[k] = v;
  auto t = lookup(body["template"].get<std::string>());
  if (!t) return t.error();
  return instantiate_template(*t, values);
}

json template_to_json(const store::WorkflowTemplate& t) {
  json def = json::parse(t.definition, nullptr, false);
  json params = json::array();
  for (const auto& p : template_params(def))
    params.push_back(
        {{"name", p.name}, {"default", p.default_value ? json(*p.default_value) : json(nullptr)}});
  json out{{"name", t.name},
           {"builtin", t.builtin},
           {"params", params},
           {"definition", def.is_discarded() ? json(t.definition) : def}};
  if (!t.builtin) {
    out["created_at"] = core::format_time(t.created_at);
    out["updated_at"] = core::format_time(t.updated_at);
  }
  return out;
}

}  // namespace hypersdk::wire
