// Config values and their loading. The loader (discovery, file walk, environment, secrets,
// cross-key checks) shares private helpers with the Config class, which is why both live
// here; the key table and value conversion are in config_schema.cpp.
#include "ops/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace hypersdk::ops {
namespace fs = std::filesystem;

namespace {

bool is_reference(std::string_view v) {
  return v.starts_with("env:") || v.starts_with("file:");
}

// Calls fn on every secret scalar of a subtree: all scalars when `field` is empty, else the
// scalars under a mapping key named `field`. fn may assign to the node it gets.
void visit_secrets(YAML::Node node, std::string_view field, bool under,
                   const std::function<void(YAML::Node)>& fn) {
  if (node.IsScalar()) {
    if (field.empty() || under) fn(node);
  } else if (node.IsSequence()) {
    for (auto child : node) visit_secrets(child, field, under, fn);
  } else if (node.IsMap()) {
    for (auto kv : node) visit_secrets(kv.second, field, under || kv.first.Scalar() == field, fn);
  }
}

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

// Optimal string alignment distance: edits, with a swap of neighbours counting as one.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string_view last_segment(std::string_view s) {
  auto dot = s.rfind('.');
  return dot == std::string_view::npos ? s : s.substr(dot + 1);
}

// The closest key or section to a misspelled dotted name: by distance over the whole name,
// or over the last segment (a key put in the wrong section), preferring the same section.
std::optional<std::string> suggest_key(std::string_view unknown) {
  std::vector<std::string> candidates;
  for (const auto& spec : config_schema()) {
    std::string_view name = spec.name;
    for (auto dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1))
      candidates.emplace_back(name.substr(0, dot));
    candidates.emplace_back(name);
  }
  const std::string_view seg = last_segment(unknown);
  const std::string_view section = unknown.substr(0, unknown.size() - seg.size());
  std::optional<std::string> best;
  std::pair<size_t, bool> best_score{SIZE_MAX, true};
  for (const auto& c : candidates) {
    size_t score = SIZE_MAX;
    if (size_t full = edit_distance(unknown, c); full <= std::max<size_t>(2, unknown.size() / 4))
      score = full;
    if (size_t s = edit_distance(seg, last_segment(c)); s <= (seg.size() >= 5 ? 2u : 1u))
      score = std::min(score, s + 1);
    if (score == SIZE_MAX) continue;
    const std::pair<size_t, bool> key{score, !std::string_view(c).starts_with(section)};
    if (key < best_score) best_score = key, best = c;
  }
  return best;
}

std::string did_you_mean(std::string_view unknown) {
  auto s = suggest_key(unknown);
  return s ? "; did you mean '" + *s + "'?" : "";
}

std::string where_of(const ValueSource& s) {
  return s.kind == SourceKind::env ? "env " + s.name : s.name;
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
                                          std::string(key) + "'" + did_you_mean(key)};
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

// ---- Secrets -------------------------------------------------------------------------------

Result<std::string> resolve_secret(std::string_view ref, const EnvMap& env,
                                   std::vector<Diagnostic>* warnings) {
  if (ref.starts_with("env:")) {
    const std::string_view name = ref.substr(4);
    auto it = env.find(name);
    if (name.empty() || it == env.end())
      return Error{ErrorClass::invalid,
                   "secret " + std::string(ref) + ": environment variable is not set"};
    return it->second;
  }
  if (!ref.starts_with("file:")) return std::string(ref);
  const std::string path(ref.substr(5));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{ErrorClass::invalid, "secret " + std::string(ref) + ": cannot read " + path +
                                          ": " + std::strerror(errno)};
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string secret = content.str();
  if (secret.ends_with('\n')) secret.pop_back();
  if (secret.ends_with('\r')) secret.pop_back();
  struct stat st {};
  if (warnings && ::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH))) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    warnings->push_back({Severity::warning, path, 0, 0,
                         std::string("secret file is readable by group or others (mode ") + mode +
                             "); run chmod 600 " + path});
  }
  return secret;
}

// ---- Loading -------------------------------------------------------------------------------

std::vector<fs::path> config_search_path(const LoadOptions& options) {
  if (options.path) return {*options.path};
  if (auto it = options.env.find("HYPERSDK_CONFIG"); it != options.env.end() && !it->second.empty())
    return {fs::path(it->second)};
  std::vector<fs::path> out{options.working_dir / "hypersdk.yaml"};
  // XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  fs::path xdg;
  if (auto it = options.env.find("XDG_CONFIG_HOME"); it != options.env.end()) xdg = it->second;
  if (xdg.empty() || xdg.is_relative()) {
    auto home = options.env.find("HOME");
    xdg = home == options.env.end() || home->second.empty() ? fs::path()
                                                            : fs::path(home->second) / ".config";
  }
  if (!xdg.empty()) out.push_back(xdg / "hypersdk" / "config.yaml");
  out.push_back(options.system_dir / "config.yaml");
  return out;
}

// Builds one Config from defaults, a file and the environment, collecting diagnostics.
class ConfigLoader {
 public:
  explicit ConfigLoader(const LoadOptions& options) : opts_(options) {}

  Result<LoadedConfig> run() {
    discover_and_load();
    apply_env();
    check_secrets();
    cross_check();
    std::string message;
    bool failed = false;
    for (const auto& d : diags_) {
      failed |= d.severity == Severity::error;
      message += (message.empty() ? "" : "\n") + d.to_string();
    }
    if (failed) return Error{ErrorClass::invalid, message};
    LoadedConfig loaded{std::move(config_), std::move(diags_)};
    return loaded;
  }

 private:
  void report(Severity sev, std::string where, const YAML::Mark& mark, std::string msg) {
    const bool known = !mark.is_null() && mark.line >= 0;
    diags_.push_back({sev, std::move(where), known ? mark.line + 1 : 0, known ? mark.column + 1 : 0,
                      std::move(msg)});
  }
  void error(std::string where, std::string msg, const YAML::Mark& mark = YAML::Mark::null_mark()) {
    report(Severity::error, std::move(where), mark, std::move(msg));
  }
  void warn(std::string where, std::string msg, const YAML::Mark& mark = YAML::Mark::null_mark()) {
    report(Severity::warning, std::move(where), mark, std::move(msg));
  }

  // A diagnostic about a value, placed where the value came from.
  void report_at(Severity sev, const ValueSource& src, std::string msg) {
    diags_.push_back({sev, where_of(src), src.line, 0, std::move(msg)});
  }

  void discover_and_load() {
    const auto candidates = config_search_path(opts_);
    const bool explicit_path =
        opts_.path || (candidates.size() == 1 && opts_.env.contains("HYPERSDK_CONFIG"));
    for (const auto& path : candidates) {
      std::error_code ec;
      if (fs::exists(path, ec)) return load_file(path);
      if (explicit_path) {
        const char* from = opts_.path ? "--config" : "HYPERSDK_CONFIG";
        return error(path.string(), std::string("config file does not exist (from ") + from + ")");
      }
    }
  }

  void load_file(const fs::path& path) {
    file_ = path.string();
    config_.file_ = path;
    std::ifstream in(path, std::ios::binary);
    if (!in) return error(file_, std::string("cannot read config file: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    YAML::Node root;
    try {
      root = YAML::Load(text.str());
    } catch (const YAML::ParserException& e) {
      return error(file_, "YAML syntax error: " + e.msg, e.mark);
    } catch (const YAML::Exception& e) {
      return error(file_, "cannot parse YAML: " + e.msg, e.mark);
    }
    if (root.IsNull()) return;
    if (!root.IsMap())
      return error(file_, "expected a mapping of settings at the top level", root.Mark());
    walk(root, "");
  }

  // yaml-cpp 0.7 keeps the first of duplicate keys silently, but its map iteration still
  // yields every pair, so duplicates are found here.
  void walk(const YAML::Node& map, const std::string& prefix) {
    std::map<std::string, int> seen;  // key -> line
    for (const auto& pair : map) {
      const YAML::Node& k = pair.first;
      if (!k.IsScalar()) {
        error(file_, "keys must be plain names", k.Mark());
        continue;
      }
      const std::string full = prefix.empty() ? k.Scalar() : prefix + "." + k.Scalar();
      if (auto [it, fresh] = seen.emplace(k.Scalar(), k.Mark().line + 1); !fresh) {
        error(file_,
              "duplicate key '" + full + "' (first on line " + std::to_string(it->second) + ")",
              k.Mark());
        continue;
      }
      visit(full, k, pair.second);
    }
  }

  void visit(const std::string& full, const YAML::Node& k, const YAML::Node& v) {
    if (const KeyAlias* alias = find_alias(full)) {
      warn(file_, deprecation(*alias, alias->old_name, alias->new_name), k.Mark());
      return assign(*find_key(alias->new_name), full, k, v);
    }
    if (const KeySpec* spec = find_key(full)) return assign(*spec, full, k, v);
    if (is_section(full)) {
      if (v.IsMap()) return walk(v, full);
      if (!v.IsNull())
        error(file_, full + ": expected a section of settings, got a value", v.Mark());
      return;
    }
    error(file_, "unknown key '" + full + "'" + did_you_mean(full), k.Mark());
  }

  static std::string deprecation(const KeyAlias& alias, std::string_view old_spelling,
                                 std::string_view new_spelling) {
    return "'" + std::string(alias.old_name) + "' is deprecated (" + std::string(alias.note) +
           "); rename " + std::string(old_spelling) + " to " + std::string(new_spelling);
  }

  void assign(const KeySpec& spec, const std::string& spelled, const YAML::Node& k,
              const YAML::Node& v) {
    const int line = k.Mark().line + 1;
    auto [it, fresh] = assigned_.emplace(spec.name, std::pair{spelled, line});
    if (!fresh) {
      const auto& [first, first_line] = it->second;
      return error(
          file_,
          first == spelled
              ? "duplicate key '" + spelled + "' (first on line " + std::to_string(first_line) + ")"
              : "'" + spelled + "' and '" + first + "' (line " + std::to_string(first_line) +
                    ") both set " + std::string(spec.name) + "; keep only " +
                    std::string(spec.name),
          k.Mark());
    }
    std::vector<ValueProblem> problems;
    auto value = convert_value(spec, v, problems);
    for (const auto& p : problems) error(file_, p.message, p.mark.is_null() ? v.Mark() : p.mark);
    if (value) config_.set(spec, std::move(*value), ValueSource{SourceKind::file, file_, line});
  }

  void apply_env() {
    std::map<std::string, std::string> assigned;  // key -> variable
    for (const auto& [var, text] : opts_.env) {
      if (!var.starts_with("HYPERSDK_") || var == "HYPERSDK_CONFIG") continue;
      const std::string rest = var.substr(9);
      const bool structured = rest.find("__") != std::string::npos;
      std::string key;
      for (size_t i = 0; i < rest.size(); ++i) {
        if (rest.compare(i, 2, "__") == 0)
          key += '.', ++i;
        else
          key += static_cast<char>(std::tolower(static_cast<unsigned char>(rest[i])));
      }
      const std::string where = "env " + var;
      if (const KeyAlias* alias = find_alias(key)) {
        warn(where, deprecation(*alias, var, env_var_for(alias->new_name)));
        key = alias->new_name;
      }
      const KeySpec* spec = find_key(key);
      if (!spec) {
        if (structured)
          error(where, "unknown key '" + key + "'" + env_hint(key));
        else
          loose_.push_back(var);
        continue;
      }
      if (auto [it, fresh] = assigned.emplace(spec->name, var); !fresh) {
        error(where, var + " and " + it->second + " both set " + key);
        continue;
      }
      auto node = node_from_text(*spec, text);
      if (!node) {
        error(where, node.error().message);
        continue;
      }
      std::vector<ValueProblem> problems;
      auto value = convert_value(*spec, *node, problems);
      for (const auto& p : problems) error(where, p.message);
      if (value) config_.set(*spec, std::move(*value), ValueSource{SourceKind::env, var, 0});
    }
  }

  static std::string env_hint(const std::string& key) {
    auto s = suggest_key(key);
    return s ? "; did you mean " + env_var_for(*s) + " ('" + *s + "')?" : "";
  }

  // Resolves every secret reference now, so `config validate` reports a missing variable
  // or file; these are warnings because a CLI user may legitimately lack the daemon's secrets.
  void check_secrets() {
    bool literal_in_file = false;
    for (const auto& spec : config_schema()) {
      if (!spec.secret) continue;
      const Config::Slot& s = config_.slot(spec.name);
      std::vector<std::string> values;
      if (spec.type == KeyType::map) {
        visit_secrets(config_.get_node(spec.name), spec.secret_field, false,
                      [&](YAML::Node leaf) { values.push_back(leaf.Scalar()); });
      } else {
        values.push_back(format_value(s.value));
      }
      for (const auto& v : values) {
        if (v.starts_with("env:")) referenced_env_.insert(v.substr(4));
        if (is_reference(v)) {
          auto resolved = resolve_secret(v, opts_.env, &diags_);
          if (!resolved)
            report_at(Severity::warning, s.source,
                      std::string(spec.name) + ": " + resolved.error().message);
        } else if (!v.empty() && s.source.kind == SourceKind::file) {
          literal_in_file = true;
        }
      }
    }
    struct stat st {};
    if (literal_in_file && ::stat(file_.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
      warn(file_, "holds literal secrets and is readable by group or others; run chmod 600 " +
                      file_ + " or use env:NAME / file:/path references");
    // A HYPERSDK_ variable without "__" may belong to something else (HYPERSDK_BIN of the
    // test harness); it is reported only when it looks like a misspelled override.
    for (const auto& var : loose_) {
      if (referenced_env_.contains(var)) continue;
      for (const auto& spec : config_schema()) {
        if (edit_distance(var, env_var_for(spec.name)) <= 2) {
          warn("env " + var, var + " is not a config key (overrides are named " +
                                 "HYPERSDK_SECTION__KEY); did you mean " + env_var_for(spec.name) +
                                 "?");
          break;
        }
      }
    }
  }

  void cross_check() {
    const bool cert = !config_.get_string("api.tls.cert").empty();
    const bool key = !config_.get_string("api.tls.key").empty();
    if (cert != key)
      report_at(Severity::error, config_.source(cert ? "api.tls.cert" : "api.tls.key"),
                "api.tls.cert and api.tls.key must be set together");
    const auto base = config_.get_duration("retry.base"), cap = config_.get_duration("retry.cap");
    if (cap < base)
      report_at(Severity::error, config_.source("retry.cap"),
                "retry.cap (" + format_duration(cap) + ") is shorter than retry.base (" +
                    format_duration(base) + ")");
  }

  const LoadOptions& opts_;
  Config config_;
  std::vector<Diagnostic> diags_;
  std::string file_;
  std::map<std::string, std::pair<std::string, int>, std::less<>>
      assigned_;                    // key -> (spelling, line)
  std::vector<std::string> loose_;  // HYPERSDK_ variables without "__" that name no key
  std::set<std::string> referenced_env_;
};

Result<LoadedConfig> load_config(const LoadOptions& options) {
  return ConfigLoader(options).run();
}

}  // namespace hypersdk::ops
