// hypersdk drain [--server URL]: asks a running server to drain (POST /api/v1/cluster/drain):
// it claims no new jobs, lets its running ones finish and answers /ready with 503 "draining",
// so a load balancer and the other nodes take over its share. A restart undoes it. Without
// --server, the live server registered in the database (with several nodes: name the one).
#include <iostream>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace hypersdk::cli {

void add_drain_command(CLI::App& app, Context& ctx) {
  auto json_out = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "drain", "Drain a running server: no new jobs, running ones finish (undone by a restart)");
  cmd->add_flag("--json", *json_out, "Print JSON");
  cmd->callback([&ctx, json_out] {
    ctx.action = [&ctx, json_out]() -> int {
      auto address = ctx.server_address();
      if (!address) return ctx.fail(address.error());
      if (!*address)
        return ctx.fail(
            make_error(ErrorClass::unavailable, "no running server to drain: give --server URL"));
      ApiClient api(**address, ctx.token(), ctx.client_tls());
      auto r = api.post("/api/v1/cluster/drain");
      if (!r) return ctx.fail(r.error());
      if (*json_out) {
        print_json(std::cout, *r);
      } else {
        std::cout << "draining " << **address << ": " << r->value("running_jobs", 0)
                  << " running job(s) finish, no new ones start there\n";
      }
      return 0;
    };
  });
}

}  // namespace hypersdk::cli
