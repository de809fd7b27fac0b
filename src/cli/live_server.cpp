#include "cli/live_server.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "cli/api_client.h"
#include "cli/server_registration.h"
#include "engine/clock.h"

namespace hypersdk::cli {
namespace {

// Our liveness answer, or our error shape (a 429 or 401 still means the server is there: the
// command itself then waits out the limit or reports the missing token).
bool is_hypersdk_answer(const ApiClient::Answer& a) {
  if (!a.body.is_object()) return false;
  if (a.status == 200) return a.body.value("serviceId", "") == "hypersdk";
  return a.status >= 400 && a.status < 500 && a.body.contains("error");
}

}  // namespace

std::optional<store::ServerEntry> find_live_server(store::ServerRegistry& registry,
                                                   const std::string& token, std::string* why_not,
                                                   const ClientTls& tls) {
  const core::TimeMs now = engine::SystemClock().now_ms();
  auto live = registry.server_list_live(now - kServerFresh.count());
  if (!live) {
    if (why_not) *why_not = "cannot read the server registry: " + live.error().message;
    return std::nullopt;
  }
  if (live->empty()) {
    if (why_not) *why_not = "no server registered with a fresh heartbeat";
    return std::nullopt;
  }
  std::string skipped;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  for (const auto& e : *live) {
    // On this host the process must exist: a port that answers may already belong to another
    // server (of another database) started after this one died.
    if (e.host == host && e.pid > 0 && ::kill(static_cast<pid_t>(e.pid), 0) != 0 &&
        errno == ESRCH) {
      skipped += (skipped.empty() ? "" : "; ") + e.address + " (pid " + std::to_string(e.pid) +
                 ") is gone";
      continue;
    }
    ApiClient client(e.address, token, tls);
    // Short: a command must not hang on a server that stopped answering.
    client.set_timeouts(std::chrono::seconds(1), std::chrono::seconds(3));
    client.set_rate_limit_budget(std::chrono::seconds(0));
    auto health = client.get_answer("/api/v1/health");
    if (health && is_hypersdk_answer(*health)) return e;
    skipped += (skipped.empty() ? "" : "; ") + e.address + " (pid " + std::to_string(e.pid) +
               ") does not answer" +
               (health ? " as hypersdk (HTTP " + std::to_string(health->status) + ")"
                       : ": " + health.error().message);
  }
  if (why_not) *why_not = skipped;
  return std::nullopt;
}

}  // namespace hypersdk::cli
