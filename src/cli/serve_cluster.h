// serve's part in a cluster of nodes on one database (issue 17 items 2 and 4): the API's
// GET /api/v1/cluster and POST /api/v1/cluster/drain, wired to the runtime and to this
// node's registration.
// Thread safety: the installed functions run on HTTP threads; they use thread-safe parts only.
#pragma once

#include "api/server.h"
#include "cli/server_registration.h"
#include "engine/runtime.h"

namespace hypersdk::cli {

// REQUIRES: rt and registration outlive the API server that holds `deps`.
void add_cluster_parts(api::ApiDeps& deps, engine::Runtime& rt, ServerRegistration& registration);

}  // namespace hypersdk::cli
