// Routes for what the server serves from the binary (src/web/embedded.h):
//   GET /api/v1/openapi.json   the OpenAPI 3.1 document of this API (docs/openapi.json)  open
// The document describes the API and holds no data, so it needs no token, like /health.
#include "api/errors.h"
#include "api/route.h"
#include "web/embedded.h"

namespace hypersdk::api {
namespace {

using Req = httplib::Request;
using Res = httplib::Response;

void serve_file(Res& res, std::string_view name) {
  const web::EmbeddedFile* f = web::find_embedded(name);
  if (f == nullptr)
    return write_error(res, 404, "not_found", "this build has no " + std::string(name));
  res.status = 200;
  res.set_content(std::string(f->content), std::string(web::media_type(name)));
}

}  // namespace

std::vector<Route> web_routes(ServerState&) {
  return {
      {"GET", "/api/v1/openapi.json", Access::open,
       [](const Req&, Res& res) { serve_file(res, "docs/openapi.json"); }},
  };
}

}  // namespace hypersdk::api
