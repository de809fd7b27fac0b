#include "store/hot_statements.h"

namespace hypersdk::store {

std::vector<HotStatement> hot_statements() {
  std::vector<HotStatement> out;
  detail::add_hot_job_statements(out);
  detail::add_hot_admin_statements(out);
  detail::add_hot_log_statements(out);
  detail::add_hot_schedule_statements(out);
  return out;
}

}  // namespace hypersdk::store
