#include "store/node_versions.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace hypersdk::store {
namespace {

std::vector<long> parts(const std::string& v) {
  std::vector<long> out;
  long cur = 0;
  bool any = false;
  for (char c : v) {
    if (c >= '0' && c <= '9') {
      cur = cur * 10 + (c - '0');
      any = true;
    } else if (c == '.') {
      out.push_back(cur);
      cur = 0;
      any = false;
    } else {
      break;
    }
  }
  if (any || !out.empty()) out.push_back(cur);
  return out;
}

std::string this_host() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

// A process on this host that is gone: its row is a leftover, not a live node.
bool gone_here(const ServerEntry& e, const std::string& host) {
  if (host.empty() || e.host != host || e.pid <= 0) return false;
  return ::kill(static_cast<pid_t>(e.pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

int compare_versions(const std::string& a, const std::string& b) {
  const auto pa = parts(a), pb = parts(b);
  for (std::size_t i = 0; i < std::max(pa.size(), pb.size()); ++i) {
    const long x = i < pa.size() ? pa[i] : 0, y = i < pb.size() ? pb[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::vector<ServerEntry> migration_blockers(const std::vector<ServerEntry>& live,
                                            const std::string& mine) {
  const std::string host = this_host();
  std::vector<ServerEntry> out;
  for (const auto& e : live) {
    if (e.host == host && e.pid == ::getpid()) continue;
    if (gone_here(e, host)) continue;
    if (compare_versions(e.version, mine) < 0) out.push_back(e);
  }
  return out;
}

Error migration_blocked_error(const std::vector<ServerEntry>& blockers, int from, int to,
                              core::TimeMs now) {
  std::string list;
  for (const auto& e : blockers)
    list += (list.empty() ? "" : ", ") + e.address + " (version " + e.version + ", " + e.host +
            ":" + std::to_string(e.pid) + ", heartbeat " +
            std::to_string((now - e.heartbeat) / 1000) + "s ago)";
  return make_error(ErrorClass::conflict, "not applying schema migrations " + std::to_string(from) +
                                              "=>" + std::to_string(to) +
                                              ": live node(s) run an older hypersdk: " + list +
                                              "; drain and upgrade them first (expand/contract)");
}

}  // namespace hypersdk::store
