// Records operator actions in the audit trail (store/audit_log.h) with the time from the
// injected clock, and reads them back. Used by the API (every mutating request), the CLI when
// it works on the database directly, and serve itself (config reloads).
//
// An action has already committed when it is recorded: a failure to record is logged as an
// error and returned, never undoes the action.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/clock.h"
#include "store/audit_log.h"

namespace hypersdk::engine {

struct AuditAction {
  std::string actor;           // token name, "$USER (uid N)", "signal:SIGHUP", ...
  std::string action;          // "jobs.create", "jobs.cancel", "config.reload", ...
  std::string subject;         // the object acted on: "j-42", a schedule's name; may be empty
  std::string request_id;      // API requests only
  std::string source;          // "api" | "cli" | "serve"
  std::string details = "{}";  // JSON object
  std::string reason;
};

class AuditTrail {
 public:
  // REQUIRES: clock outlives the trail.
  AuditTrail(std::shared_ptr<store::AuditLog> log, const Clock& clock)
      : log_(std::move(log)), clock_(clock) {}

  Status record(const AuditAction& a);
  Result<std::vector<store::AuditRecord>> list(const store::AuditQuery& q) {
    return log_->audit_query(q);
  }

 private:
  std::shared_ptr<store::AuditLog> log_;
  const Clock& clock_;
};

}  // namespace hypersdk::engine
