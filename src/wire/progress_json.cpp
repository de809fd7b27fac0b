#include "wire/progress_json.h"

#include <cmath>
#include <cstdio>

#include "core/time_text.h"

namespace hypersdk::wire {

using nlohmann::json;

json progress_to_json(const store::JobProgress& p) {
  json out{{"done_bytes", p.done},
           {"total_bytes", p.total},
           {"attempt", p.attempt},
           {"percent", nullptr},
           {"rate_bytes_per_second", 0},
           {"eta_seconds", nullptr},
           {"updated_at", core::format_time(p.updated_at)}};
  if (p.total > 0)
    out["percent"] =
        std::round(1000.0 * static_cast<double>(p.done) / static_cast<double>(p.total)) / 10.0;
  const double secs = static_cast<double>(p.updated_at - p.started_at) / 1000.0;
  if (secs > 0) {
    const double rate = static_cast<double>(p.done) / secs;
    out["rate_bytes_per_second"] = static_cast<std::int64_t>(rate);
    if (p.total > 0 && rate > 0)
      out["eta_seconds"] =
          static_cast<std::int64_t>(std::ceil(static_cast<double>(p.total - p.done) / rate));
  }
  return out;
}

std::string human_bytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (bytes >= 1024 && u < 5) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[u]);
  return buf;
}

std::string progress_text(const json& p) {
  const double done = p.value("done_bytes", 0.0);
  const double total = p.value("total_bytes", 0.0);
  std::string s = human_bytes(done);
  if (total > 0) s += " / " + human_bytes(total);
  if (p.contains("percent") && p["percent"].is_number()) {
    char buf[16];
    std::snprintf(buf, sizeof buf, " (%.1f%%)", p["percent"].get<double>());
    s += buf;
  }
  s += ", " + human_bytes(p.value("rate_bytes_per_second", 0.0)) + "/s";
  if (p.contains("eta_seconds") && p["eta_seconds"].is_number())
    s += ", ETA " + std::to_string(p["eta_seconds"].get<std::int64_t>()) + "s";
  return s;
}

}  // namespace hypersdk::wire
