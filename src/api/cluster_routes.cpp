// Routes for several nodes on one database (issue 17): GET /api/v1/cluster (the nodes, the
// leader, each node's running jobs; engine/cluster_status.h) and POST /api/v1/cluster/drain
// (this node claims nothing new, its running jobs finish, /ready answers 503 "draining";
// undone by a restart). The drain is audited like every mutating request ("cluster.drain").
#include "api/errors.h"
#include "api/route.h"
#include "api/server_state.h"

namespace hypersdk::api {
namespace {

using Req = httplib::Request;
using Res = httplib::Response;

void cluster(ServerState& state, Res& res) {
  if (!state.deps().cluster)
    return write_error(res, 503, "unavailable", "cluster status is not available here");
  auto status = state.deps().cluster();
  if (!status) return write_error(res, status.error());
  write_json(res, 200, *status);
}

void drain(ServerState& state, Res& res) {
  if (!state.deps().drain) return write_error(res, 503, "unavailable", "this server cannot drain");
  auto answer = state.deps().drain();
  if (!answer) return write_error(res, answer.error());
  write_json(res, 200, *answer);
}

}  // namespace

std::vector<Route> cluster_routes(ServerState& state) {
  ServerState* s = &state;
  return {
      {"GET", "/api/v1/cluster", Access::read, [s](const Req&, Res& res) { cluster(*s, res); }},
      {"POST", "/api/v1/cluster/drain", Access::operate,
       [s](const Req&, Res& res) { drain(*s, res); }},
  };
}

}  // namespace hypersdk::api
