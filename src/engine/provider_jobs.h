// The job types of providers and exports (issue 11): snapshot, export, convert, verify,
// backup, restore. Each is usable alone and as a workflow step (THE STEP CONTRACT,
// step_inputs.h): file-producing ones return {"path", "format", "size_bytes", "sha256"} (and
// the spec's output_size_bytes / output_format), file-consuming ones take the path from the
// payload or their upstream input. Outputs land under export.dir atomically; a cancel or
// failure leaves no partial file. Progress is reported through JobContext::progress.
#pragma once

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "core/job.h"
#include "engine/handler.h"
#include "providers/registry.h"
#include "store/backup_store.h"

namespace hypersdk::targets {
class TargetRegistry;
}  // namespace hypersdk::targets

namespace hypersdk::engine {

struct ProviderJobDeps {
  std::shared_ptr<providers::ProviderRegistry> providers;
  std::filesystem::path export_dir;
  std::shared_ptr<store::BackupStore> backups;
  // verify of an uploaded copy (a target and key, or an upload step's result); nullptr: only
  // local files are verified.
  std::shared_ptr<targets::TargetRegistry> targets;
};

inline const std::set<std::string>& provider_job_types() {
  static const std::set<std::string> kTypes{"snapshot", "export", "convert",
                                            "verify",   "backup", "restore"};
  return kTypes;
}

void add_provider_handlers(HandlerRegistry& handlers, const ProviderJobDeps& deps);

// Admission of a provider job: its payload's shape (formats, actions, backup type) checked
// with errors naming the field, and the job's provider / target (VM) filled from the
// payload's `provider` / `vm` when the spec leaves them empty (so `list` and metrics show
// them). Other job types pass through unchanged.
Result<core::JobSpec> admit_provider_job(core::JobSpec spec);

}  // namespace hypersdk::engine
