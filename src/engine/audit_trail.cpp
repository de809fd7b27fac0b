#include "engine/audit_trail.h"

#include "ops/log.h"

namespace hypersdk::engine {

Status AuditTrail::record(const AuditAction& a) {
  store::AuditRecord r;
  r.entry.at = clock_.now_ms();
  r.entry.actor = a.actor;
  r.entry.action = a.action;
  r.entry.subject = a.subject;
  r.entry.reason = a.reason;
  r.entry.details = a.details;
  r.request_id = a.request_id;
  r.source = a.source;
  auto id = log_->audit_append(r);
  if (id) return Status::Ok();
  ops::log::error(
      "could not write the audit trail",
      {{"audit.action", a.action}, {"user.name", a.actor}, {"error", id.error().message}});
  return id.error();
}

}  // namespace hypersdk::engine
