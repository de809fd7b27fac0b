#include "engine/lease_owner.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "engine/job_events_log.h"

namespace hypersdk::engine {
namespace {

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

// Field 22 of /proc/PID/stat: the process start time in clock ticks since boot. Together with
// the pid it names one process even after the pid is reused.
std::string process_start_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return field;
  }
  return "";
}

}  // namespace

std::string make_owner_id() {
  const pid_t pid = getpid();
  return host_name() + ":" + std::to_string(pid) + ":" + process_start_time(pid);
}

Result<int> rescue_dead_owners(store::Store& store, const Clock& clock, int max_expiries) {
  auto owners = store.job_lease_owners();
  if (!owners) return owners.error();
  const std::string host = host_name();
  std::vector<std::string> dead;
  for (const auto& owner : *owners) {
    auto first = owner.find(':');
    auto second = owner.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    if (owner.substr(0, first) != host) continue;  // another machine's lease: let it expire
    const pid_t pid =
        static_cast<pid_t>(std::atol(owner.substr(first + 1, second - first - 1).c_str()));
    const std::string start = owner.substr(second + 1);
    if (pid <= 0) continue;
    if (process_start_time(pid) != start) dead.push_back(owner);
  }
  if (dead.empty()) return 0;
  auto r = store.job_rescue_owners(dead, clock.now_ms(), max_expiries);
  if (!r) return r.error();
  log_jobs_rescued(*r, "the process holding its lease died");
  return static_cast<int>(r->requeued.size() + r->dead_lettered.size() + r->cancelled.size());
}

}  // namespace hypersdk::engine
