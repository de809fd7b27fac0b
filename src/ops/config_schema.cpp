// The key table (config_schema.h), assembled from its sections in a fixed order (the order
// of `config show` and of config.h's slots): config_keys_server.cpp (db, export, api),
// config_keys_jobs.cpp (workers, jobs, retries, queue), config_keys_ops.cpp (logging,
// retention, scheduler, holidays), config_keys_integrations.cpp (targets, providers,
// notifications, cluster); each with the checks of its keys. Value conversion is
// config_values.cpp.
#include "ops/config_schema_detail.h"

namespace hypersdk::ops {

std::string_view to_string(KeyType type) {
  switch (type) {
    case KeyType::string:
      return "string";
    case KeyType::integer:
      return "integer";
    case KeyType::boolean:
      return "bool";
    case KeyType::duration:
      return "duration";
    case KeyType::enumeration:
      return "enum";
    case KeyType::string_list:
      return "list";
    case KeyType::map:
      return "map";
  }
  return "string";
}

const std::vector<KeySpec>& config_schema() {
  static const std::vector<KeySpec> table = [] {
    std::vector<KeySpec> t;
    schema_detail::add_server_keys(t);
    schema_detail::add_job_keys(t);
    schema_detail::add_ops_keys(t);
    schema_detail::add_integration_keys(t);
    return t;
  }();
  return table;
}

const std::vector<KeyAlias>& config_aliases() {
  static const std::vector<KeyAlias> aliases = {
      {"workers.pool_size", "workers.count", "renamed in 0.1"},
  };
  return aliases;
}

const KeySpec* find_key(std::string_view name) {
  for (const auto& spec : config_schema())
    if (spec.name == name) return &spec;
  return nullptr;
}

const KeyAlias* find_alias(std::string_view name) {
  for (const auto& alias : config_aliases())
    if (alias.old_name == name) return &alias;
  return nullptr;
}

bool is_section(std::string_view prefix) {
  auto under = [&](std::string_view name) {
    return name.size() > prefix.size() && name.starts_with(prefix) && name[prefix.size()] == '.';
  };
  for (const auto& spec : config_schema())
    if (under(spec.name)) return true;
  for (const auto& alias : config_aliases())
    if (under(alias.old_name)) return true;
  return false;
}

}  // namespace hypersdk::ops
