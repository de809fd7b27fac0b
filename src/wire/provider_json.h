// The JSON face of providers, their VMs and test reports, and of backup records; shared by
// the API (/api/v1/providers, /api/v1/backups) and the CLI.
#pragma once

#include <nlohmann/json.hpp>

#include "providers/provider.h"
#include "store/backup_store.h"

namespace hypersdk::wire {

nlohmann::json vm_to_json(const providers::Vm& vm);
// {"name","kind","healthy","vm_count","diagnosis","error_class"?}
nlohmann::json provider_report_to_json(const providers::Provider& p,
                                       const providers::TestReport& r);
nlohmann::json backup_to_json(const store::Backup& b);

}  // namespace hypersdk::wire
