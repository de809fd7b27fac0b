// Expand/contract across nodes (issue 17 item 4): a node must not apply schema migrations
// while another live node runs an older hypersdk, which may not understand the new schema.
// Both migrate() paths (SQLite Database, PostgreSQL PgDatabase) ask migration_blockers() on
// the registry rows they read inside their migration transaction, and refuse (class
// conflict) naming the nodes, so an operator drains and upgrades those first.
// Thread safety: free functions, no shared state.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "store/server_registry.h"

namespace hypersdk::store {

// A registry heartbeat younger than this is a live node (cli/server_registration.h's
// kServerFresh: three missed heartbeats).
inline constexpr std::int64_t kNodeFreshMs = 15'000;

// <0, 0, >0 as `a` is older than, the same as or newer than `b`: dotted numbers compared
// number by number ("0.10.0" > "0.9.1"), a missing part counting 0; anything after the first
// character that is neither digit nor dot (a "-rc1" suffix) is ignored.
int compare_versions(const std::string& a, const std::string& b);

// The entries of `live` (already filtered to fresh heartbeats) that run a version older than
// `mine`, leaving out this process and processes on this host that no longer exist (a node
// killed moments ago whose heartbeat is still fresh).
std::vector<ServerEntry> migration_blockers(const std::vector<ServerEntry>& live,
                                            const std::string& mine);

// "not applying schema migrations from=>to: live node(s) run an older hypersdk: ADDRESS
// (version V, host:pid, heartbeat Ns ago); drain and upgrade them first".
Error migration_blocked_error(const std::vector<ServerEntry>& blockers, int from, int to,
                              core::TimeMs now);

}  // namespace hypersdk::store
