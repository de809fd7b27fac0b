#include "wire/provider_json.h"

#include "core/time_text.h"

namespace hypersdk::wire {

using nlohmann::json;

json vm_to_json(const providers::Vm& vm) {
  json disks = json::array();
  for (const auto& d : vm.disks)
    disks.push_back({{"path", d.path},
                     {"format", d.format},
                     {"capacity_bytes", d.capacity},
                     {"file_size_bytes", d.file_size}});
  return {{"name", vm.name},
          {"state", vm.state},
          {"cpus", vm.cpus},
          {"memory_mib", vm.memory_mib},
          {"disks", disks}};
}

json provider_report_to_json(const providers::Provider& p, const providers::TestReport& r) {
  json out{{"name", p.name()},
           {"kind", p.kind()},
           {"healthy", r.ok},
           {"vm_count", r.ok ? json(r.vm_count) : json(nullptr)},
           {"diagnosis", r.diagnosis}};
  if (!r.ok) out["error_class"] = std::string(to_string(r.cls));
  if (!r.ok && !r.failed_check.empty()) out["failed_check"] = r.failed_check;
  return out;
}

json backup_to_json(const store::Backup& b) {
  auto opt_time = [](const std::optional<core::TimeMs>& t) {
    return t ? json(core::format_time(*t)) : json(nullptr);
  };
  return {{"id", b.id},
          {"vm", b.vm},
          {"provider", b.provider},
          {"type", b.kind},
          {"chain_id", b.chain_id},
          {"parent_id", b.parent_id ? json(*b.parent_id) : json(nullptr)},
          {"path", b.path},
          {"format", b.format},
          {"size_bytes", b.size_bytes},
          {"sha256", b.sha256},
          {"job_id", b.job_id ? json(core::format_job_id(*b.job_id)) : json(nullptr)},
          {"schedule_id", b.schedule_id ? json(*b.schedule_id) : json(nullptr)},
          {"created_at", core::format_time(b.created_at)},
          {"verified_at", opt_time(b.verified_at)},
          {"deleted_at", opt_time(b.deleted_at)}};
}

}  // namespace hypersdk::wire
