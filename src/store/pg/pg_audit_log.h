// The audit trail (store/audit_log.h) on PostgreSQL: the twin of SqliteAuditLog over the same
// audit_log table (schema/pg/0002 + 0010). Each method one transaction.
// Thread safety: as PgDatabase.
#pragma once

#include <memory>

#include "store/audit_log.h"
#include "store/pg/pg_database.h"

namespace hypersdk::store::pg {

class PgAuditLog final : public AuditLog {
 public:
  explicit PgAuditLog(std::shared_ptr<PgDatabase> db) : db_(std::move(db)) {}

  Result<std::int64_t> audit_append(const AuditRecord& record) override;
  Result<std::vector<AuditRecord>> audit_query(const AuditQuery& query) override;
  Result<int> audit_prune(core::TimeMs before, int batch = 1000) override;

 private:
  std::shared_ptr<PgDatabase> db_;
};

}  // namespace hypersdk::store::pg
