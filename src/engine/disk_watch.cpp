#include "engine/disk_watch.h"

#include <sys/statvfs.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/time_text.h"
#include "ops/log.h"

namespace hypersdk::engine {

Status DiskWatch::run_once(core::TimeMs now) {
  if (threshold_ <= 0) return Status::Ok();
  for (const auto& [kind, dir] : paths_) {
    std::filesystem::path p = dir;
    std::error_code ec;
    while (!p.empty() && !std::filesystem::exists(p, ec) && p != p.parent_path())
      p = p.parent_path();
    struct statvfs st {};
    if (p.empty() || ::statvfs(p.c_str(), &st) != 0 || st.f_blocks == 0) continue;
    const double size = static_cast<double>(st.f_blocks) * static_cast<double>(st.f_frsize);
    const double free = static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
    const double percent = 100.0 * free / size;
    bool& low = low_[kind];
    if (percent >= threshold_) {
      low = false;
      continue;
    }
    if (low) continue;  // raised already for this episode
    const char* severity = percent * 3 < threshold_ ? "critical" : "warning";
    nlohmann::json payload{{"event", "system.disk_low"},
                           {"timestamp", core::format_time(now)},
                           {"path_kind", kind},
                           {"path", p.string()},
                           {"free_bytes", static_cast<std::int64_t>(free)},
                           {"size_bytes", static_cast<std::int64_t>(size)},
                           {"free_percent", static_cast<int>(percent)},
                           {"threshold_percent", threshold_}};
    if (Status s = outbox_.event_raise("system.disk_low", severity, kind, payload.dump(), now);
        !s.ok())
      return s;
    low = true;
    ops::log::warn("disk space low",
                   {{"path_kind", kind}, {"path", p.string()}, {"free_percent", percent}});
  }
  return Status::Ok();
}

}  // namespace hypersdk::engine
