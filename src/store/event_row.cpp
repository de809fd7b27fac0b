#include "store/event_row.h"

#include <string>

namespace hypersdk::store::detail {

namespace {
constexpr const char* kInsertEvent =
    "INSERT INTO events (kind, severity, subject, payload, created_at) VALUES (?, ?, ?, ?, ?)";
}  // namespace

void event_insert(Connection& c, std::string_view kind, std::string_view severity,
                  std::string_view subject, const std::string& payload_json, core::TimeMs now) {
  auto& st = c.stmt(kInsertEvent);
  st.bind(1, std::string(kind));
  st.bind(2, std::string(severity));
  st.bind(3, std::string(subject));
  st.bind(4, payload_json);
  st.bind(5, static_cast<std::int64_t>(now));
  st.exec();
}

}  // namespace hypersdk::store::detail
