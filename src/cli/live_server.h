// Which path a CLI command takes (README, "Which path a command takes"): a running server
// registered in the database (store/server_registry.h) when one is alive, else the database
// directly. Alive means a heartbeat younger than kServerFresh, a process that exists (for a
// server on this host) AND an answer to GET /api/v1/health, so a server killed with SIGKILL,
// or a port now used by something else, is not mistaken for one.
// Thread safety: call from one thread.
#pragma once

#include <optional>
#include <string>

#include "cli/api_client.h"
#include "store/database.h"
#include "store/server_registry.h"

namespace hypersdk::cli {

// The freshest registered server that answers; nullopt when none does. `why_not` (when given)
// receives a sentence on the entries that were skipped, for --verbose.
std::optional<store::ServerEntry> find_live_server(store::ServerRegistry& registry,
                                                   const std::string& token,
                                                   std::string* why_not = nullptr,
                                                   const ClientTls& tls = {});

}  // namespace hypersdk::cli
