// The `upload` job type (issue 12, THE STEP CONTRACT of workflows): sends a local file to a
// configured target. Payload {"target": NAME, "path"?: FILE, "key"?: OBJECT, "from"?: STEP}:
// the file is `path`, else the `path` of the result of the single upstream input that has one
// (`from` picks one when several do); the key defaults to the file's name. The result is
// {"target","url","key","size_bytes","sha256","checked_by","parts","parts_resumed"}.
//
// S3 multipart state goes to the upload ledger (store/upload_store.h) keyed by the job, so a
// later attempt of the same job resumes; an operator cancel or a timeout aborts it, a server
// shutdown keeps it. Thread safety: run() from many worker threads at once.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "engine/handler.h"
#include "store/upload_store.h"
#include "targets/target_spec.h"

namespace hypersdk::engine {

class UploadHandler final : public Handler {
 public:
  UploadHandler(std::shared_ptr<targets::TargetRegistry> targets,
                std::shared_ptr<store::UploadStore> ledger, const Clock& clock)
      : targets_(std::move(targets)), ledger_(std::move(ledger)), clock_(clock) {}
  Result<std::string> run(JobContext& ctx) override;

 private:
  std::shared_ptr<targets::TargetRegistry> targets_;
  std::shared_ptr<store::UploadStore> ledger_;
  const Clock& clock_;
};

// The file a file-consuming step works on: payload `path`, else the `path` of its single
// upstream input that has one (payload `from` names the input when several do). Error class
// invalid naming what is missing or ambiguous.
Result<std::string> input_path(const nlohmann::json& payload);

// Checks an uploaded object against what was sent (for a verify step with a target):
// payload {"target", "key", "sha256", "size_bytes"} or those fields from an upload input.
// Returns {"target","key","url","size_bytes","sha256","checked_by"}; class conflict when the
// copy differs.
Result<std::string> verify_uploaded(const targets::TargetRegistry& targets,
                                    const nlohmann::json& payload);

}  // namespace hypersdk::engine
