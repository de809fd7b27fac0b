#include "engine/provider_jobs.h"

#include <nlohmann/json.hpp>

namespace hypersdk::engine {

std::shared_ptr<Handler> make_export_handler(const ProviderJobDeps& deps);
std::shared_ptr<Handler> make_convert_handler(const ProviderJobDeps& deps);
std::shared_ptr<Handler> make_snapshot_handler(const ProviderJobDeps& deps);
std::shared_ptr<Handler> make_verify_handler(const ProviderJobDeps& deps);
std::shared_ptr<Handler> make_backup_handler(const ProviderJobDeps& deps);
std::shared_ptr<Handler> make_restore_handler(const ProviderJobDeps& deps);

void add_provider_handlers(HandlerRegistry& handlers, const ProviderJobDeps& deps) {
  handlers.add("snapshot", make_snapshot_handler(deps));
  handlers.add("export", make_export_handler(deps));
  handlers.add("convert", make_convert_handler(deps));
  handlers.add("verify", make_verify_handler(deps));
  handlers.add("backup", make_backup_handler(deps));
  handlers.add("restore", make_restore_handler(deps));
}

namespace {
Status one_of(const nlohmann::json& p, const char* key,
              std::initializer_list<const char*> allowed) {
  if (!p.contains(key)) return Status::Ok();
  std::string list;
  for (const char* a : allowed) {
    if (p[key].is_string() && p[key].get<std::string>() == a) return Status::Ok();
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return invalid_error(std::string("payload.") + key + ": " + p[key].dump() + " is not one of " +
                       list);
}

Status non_negative(const nlohmann::json& p, const char* key) {
  if (!p.contains(key)) return Status::Ok();
  if (!p[key].is_number_integer() || p[key].get<std::int64_t>() < 1)
    return invalid_error(std::string("payload.") + key + ": expected a whole number >= 1, got " +
                         p[key].dump());
  return Status::Ok();
}
}  // namespace

Result<core::JobSpec> admit_provider_job(core::JobSpec spec) {
  if (!provider_job_types().count(spec.type)) return spec;
  auto p = nlohmann::json::parse(spec.payload, nullptr, false);
  if (!p.is_object()) return invalid_error("payload: expected a JSON object");
  for (const char* key : {"provider", "vm", "snapshot", "path", "to", "from"})
    if (p.contains(key) && !p[key].is_string())
      return invalid_error(std::string("payload.") + key + ": expected a string, got " +
                           p[key].dump());
  Status checks[] = {
      spec.type == "export"    ? one_of(p, "format", {"ova", "ovf", "vmdk", "qcow2", "raw"})
      : spec.type == "convert" ? one_of(p, "format", {"vmdk", "qcow2", "raw", "ova", "ovf"})
      : spec.type == "restore" ? one_of(p, "format", {"raw", "qcow2"})
                               : Status::Ok(),
      spec.type == "backup" ? one_of(p, "type", {"full", "incremental"}) : Status::Ok(),
      spec.type == "snapshot" ? one_of(p, "action", {"create", "remove"}) : Status::Ok(),
      non_negative(p, "keep_last"),
      non_negative(p, "keep_days"),
      non_negative(p, "backup_id"),
  };
  for (auto& s : checks)
    if (!s.ok()) return s.error();
  if (spec.type == "convert" && !p.contains("format"))
    return invalid_error(
        "payload.format: convert needs the format to write (vmdk, qcow2, raw; ova or ovf pass an "
        "exported package on)");
  if (spec.type == "restore" && (!p.contains("backup_id") || p.contains("to") == p.contains("vm")))
    return invalid_error(
        "payload: restore needs backup_id and one of to (an absolute file path) or vm (restore "
        "onto the VM's disk)");
  if (spec.provider.empty() && p.contains("provider")) spec.provider = p["provider"];
  if (spec.target.empty() && p.contains("vm")) spec.target = p["vm"];
  return spec;
}

}  // namespace hypersdk::engine
