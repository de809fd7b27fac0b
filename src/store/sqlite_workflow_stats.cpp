#include "store/workflow_stats.h"

namespace hypersdk::store {

namespace {
// The covering index workflows_by_status: one pass over the workflows, not over their steps.
constexpr const char* kCountWorkflows = "SELECT status, count(*) FROM workflows GROUP BY status";
}  // namespace

Result<std::map<std::string, std::int64_t>> workflow_count_by_status(Database& db) {
  std::map<std::string, std::int64_t> out;
  Status s = db.read([&](Connection& c) {
    auto& st = c.stmt(kCountWorkflows);
    while (st.executeStep()) out[st.getColumn(0).getString()] = st.getColumn(1).getInt64();
    st.reset();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store
