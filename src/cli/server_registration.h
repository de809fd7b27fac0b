// What `serve` writes into the server registry (store/server_registry.h) so the CLI finds it:
// registered once the API listens, a heartbeat every kServerHeartbeat, removed when serve
// stops cleanly. A CLI trusts an entry whose heartbeat is younger than kServerFresh and
// whose address answers GET /api/v1/health (cli/live_server.h).
//
// Thread safety: start()/stop() from the owning (main) thread; the heartbeat runs on a
// PeriodicService thread of its own.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "api/server.h"
#include "engine/periodic.h"
#include "store/server_registry.h"

namespace hypersdk::cli {

inline constexpr std::chrono::milliseconds kServerHeartbeat{5'000};
// Three missed heartbeats: a server stopped with SIGKILL is ignored after this long.
inline constexpr std::chrono::milliseconds kServerFresh{15'000};

// The URL a client on this host uses for a server listening on `listen` at `port`:
// wildcard binds (0.0.0.0, ::) become the loopback address; https when TLS is on.
std::string server_address(const api::ApiConfig& api, int port);

class ServerRegistration {
 public:
  // The registry of the database serve runs on (StoreBackend::servers).
  explicit ServerRegistration(std::shared_ptr<store::ServerRegistry> registry);
  ~ServerRegistration();

  // Registers `address`, with `owner` the worker pool's lease owner id (jobs.lease_owner, for
  // `cluster status`). A failure is logged and returned; serve runs on without it (the CLI
  // then works on the database directly, as before the registry existed).
  Status start(const std::string& address, const std::string& owner = "");
  // Marks this node draining in the registry (drain: engine side in Runtime::drain). Error
  // when not registered.
  Status set_draining();
  // Deregisters (logged on failure) and stops the heartbeat. Idempotent.
  void stop();

 private:
  Status beat();

  std::shared_ptr<store::ServerRegistry> registry_;
  std::mutex mu_;  // entry_ and id_: the heartbeat thread and set_draining
  store::ServerEntry entry_;
  std::int64_t id_ = 0;  // 0: not registered
  std::unique_ptr<engine::PeriodicService> heartbeat_;
};

}  // namespace hypersdk::cli
