// Configuration: the effective value of every schema key (config_schema.h) with where it
// came from, and its loading: discovery of the file, YAML parsing, HYPERSDK_SECTION__KEY
// environment overrides, validation that reports every problem with file:line:column, and
// secret references ("env:NAME", "file:/path").
//
// Precedence: defaults < file < environment < flags (set_override).
// Discovery: LoadOptions::path (--config), else $HYPERSDK_CONFIG (both must exist), else the
// first existing of ./hypersdk.yaml, ${XDG_CONFIG_HOME:-~/.config}/hypersdk/config.yaml,
// /etc/hypersdk/config.yaml; no file at all means all defaults.
//
// Thread safety: a Config is built on one thread (load_config, then set_override for flags)
// and then frozen: share it as std::shared_ptr<const Config>; const methods are safe from
// any number of threads. Hot reload builds a new Config and swaps the pointer.
#pragma once

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "ops/config_schema.h"
#include "ops/paths.h"

namespace hypersdk::ops {

enum class SourceKind { default_value, file, env, flag };

struct ValueSource {
  SourceKind kind = SourceKind::default_value;
  std::string name;  // file path, environment variable or flag; empty for defaults
  int line = 0;      // 1-based line in the file; 0 otherwise

  // "default", "/etc/hypersdk/config.yaml:12", "env HYPERSDK_WORKERS__COUNT", "flag --listen"
  std::string to_string() const;
};

enum class Severity { error, warning };

struct Diagnostic {
  Severity severity = Severity::error;
  std::string where;  // file path or "env HYPERSDK_X"; may be empty
  int line = 0;       // 1-based; 0 when unknown
  int column = 0;     // 1-based; 0 when unknown
  std::string message;

  // "path:line:col: error: message" (parts that are unknown are left out)
  std::string to_string() const;
};

class Config {
 public:
  // One line of `config show`.
  struct Entry {
    std::string key;
    std::string value;  // display text (config_schema.h format_value), "***" when redacted
    ValueSource source;
    bool secret = false;
  };

  Config();  // every key at its default

  // REQUIRES (for all getters): `key` is a schema key of the getter's type (get_string also
  // serves enums, get_node maps). A violation is a bug and throws std::logic_error.
  const std::string& get_string(std::string_view key) const;
  std::int64_t get_int(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  std::chrono::milliseconds get_duration(std::string_view key) const;
  const std::vector<std::string>& get_list(std::string_view key) const;
  YAML::Node get_node(std::string_view key) const;  // a fresh copy; Null when empty
  const ValueSource& source(std::string_view key) const;

  // The file the values came from; nullopt when none was found.
  const std::optional<std::filesystem::path>& file() const { return file_; }

  // Sets `key` (or a deprecated alias of it) from command-line text, e.g.
  // set_override("api.listen", "0.0.0.0:9000", "--listen"). Error class invalid for an
  // unknown key or a bad value; the Config is then unchanged.
  Status set_override(std::string_view key, std::string_view value, std::string_view flag);

  // Every key in schema order. Secrets show "***" when `redact` (env:/file: references
  // are shown, since they reveal nothing).
  std::vector<Entry> entries(bool redact = true) const;
  // Nested object {"db": {"path": ...}, ...}; durations as text ("30s").
  nlohmann::json to_json(bool redact) const;

 private:
  friend class ConfigLoader;
  struct Slot {
    ConfigValue value;
    ValueSource source;
  };
  const Slot& slot(std::string_view key) const;
  void set(const KeySpec& spec, ConfigValue value, ValueSource source);
  YAML::Node display_node(const KeySpec& spec, const Slot& slot, bool redact) const;

  std::vector<Slot> slots_;  // index = position in config_schema()
  std::optional<std::filesystem::path> file_;
};

struct LoadOptions {
  std::optional<std::filesystem::path> path;  // --config; an error when it does not exist
  EnvMap env;  // the process environment (HYPERSDK_*, HOME, XDG_CONFIG_HOME)
  std::filesystem::path working_dir = ".";             // for ./hypersdk.yaml
  std::filesystem::path system_dir = "/etc/hypersdk";  // for config.yaml
};

struct LoadedConfig {
  Config config;
  std::vector<Diagnostic> warnings;  // deprecated keys, loose secrets... for the caller to print
};

// The files discovery would consider, in order (one when a path is given explicitly).
std::vector<std::filesystem::path> config_search_path(const LoadOptions& options);

// Loads, validates and merges. On any error-severity diagnostic: Error class invalid whose
// message is every diagnostic (warnings included), one "path:line:col: error: ..." per line.
Result<LoadedConfig> load_config(const LoadOptions& options);

// HYPERSDK_SECTION__KEY for a dotted key: "jobs.exec.enabled" -> HYPERSDK_JOBS__EXEC__ENABLED.
std::string env_var_for(std::string_view key);

// The value of a secret: "env:NAME" reads NAME from `env`, "file:/path" reads the file
// (one trailing newline removed), anything else is the secret itself. A file readable by
// group or others adds a warning. Error class invalid when the reference does not resolve.
Result<std::string> resolve_secret(std::string_view ref, const EnvMap& env,
                                   std::vector<Diagnostic>* warnings = nullptr);

}  // namespace hypersdk::ops
