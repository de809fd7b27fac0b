// Loading a Config: discovery of the file, the bounded read and YAML walk with file:line
// diagnostics, HYPERSDK_SECTION__KEY environment overrides, secret references and cross-key
// checks (contract in config.h).
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "core/utf8.h"
#include "ops/bounded_file.h"
#include "ops/config.h"
#include "ops/config_detail.h"
#include "ops/yaml_limits.h"

#include <yaml-cpp/depthguard.h>

namespace hypersdk::ops {
namespace fs = std::filesystem;
using namespace config_detail;

namespace {

std::string where_of(const ValueSource& s) {
  return s.kind == SourceKind::env ? "env " + s.name : s.name;
}

}  // namespace

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
  // Bounded: a secret is a few bytes, and file:/dev/zero must not read forever.
  auto content = read_bounded_file(path, kMaxSecretFileBytes, "secret file");
  if (!content)
    return Error{ErrorClass::invalid,
                 "secret " + std::string(ref) + ": " + content.error().message};
  std::string secret = std::move(*content);
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
    auto text = read_bounded_file(path, kMaxConfigFileBytes, "config file");
    if (!text) return error(file_, text.error().message);
    // yaml-cpp passes any bytes through, and a value that is not UTF-8 would make every JSON
    // rendering of the config (`config show --json`, GET /api/v1/config) fail later.
    if (auto bad = core::first_invalid_utf8(*text)) {
      YAML::Mark at;
      const std::string_view before(text->data(), *bad);
      at.pos = static_cast<int>(*bad);
      at.line = static_cast<int>(std::count(before.begin(), before.end(), '\n'));
      const auto nl = before.rfind('\n');
      at.column = static_cast<int>(nl == std::string_view::npos ? *bad : *bad - nl - 1);
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>((*text)[*bad]));
      return error(file_, std::string("not valid UTF-8: byte ") + byte, at);
    }
    YAML::Node root;
    try {
      root = YAML::Load(*text);
    } catch (const YAML::DeepRecursion& e) {
      return error(file_,
                   "the YAML nested deeper than " + std::to_string(kMaxConfigYamlDepth) + " levels",
                   e.mark);
    } catch (const YAML::ParserException& e) {
      return error(file_, "YAML syntax error: " + e.msg, e.mark);
    } catch (const YAML::Exception& e) {
      return error(file_, "cannot parse YAML: " + e.msg, e.mark);
    }
    if (root.IsNull()) return;
    if (auto why = yaml_over_limits(root)) return error(file_, "the YAML " + *why, root.Mark());
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
    error(file_, "unknown key '" + shown_key(full) + "'" + did_you_mean(full), k.Mark());
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
      if (core::first_invalid_utf8(text)) {
        error(where, "the value is not valid UTF-8");
        continue;
      }
      if (const KeyAlias* alias = find_alias(key)) {
        warn(where, deprecation(*alias, var, env_var_for(alias->new_name)));
        key = alias->new_name;
      }
      const KeySpec* spec = find_key(key);
      if (!spec) {
        if (structured)
          error(where, "unknown key '" + shown_key(key) + "'" + env_hint(key));
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
      if (referenced_env_.contains(var) || var.size() > kMaxSuggestableKey) continue;
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
