// The OpenAPI document (docs/openapi.json, embedded) against the routes a real ApiServer
// registers: every /api/v1 route is described with the role it needs, nothing else is.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "api_test_support.h"
#include "web/embedded.h"

namespace hypersdk {
namespace {

using nlohmann::json;

json embedded_document() {
  const web::EmbeddedFile* f = web::find_embedded("docs/openapi.json");
  REQUIRE(f != nullptr);
  return json::parse(f->content);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

// What differs between the server's routes and the document, one line per route, named in
// full so a route added by another change is easy to describe at merge.
struct RouteDiff {
  std::string missing, extra, roles;
};

static RouteDiff route_diff(const std::vector<api::ApiServer::RouteInfo>& table, const json& doc) {
  std::map<std::string, std::string> registered;  // "get /api/v1/jobs" -> role
  for (const auto& r : table)
    if (r.path.rfind("/api/v1/", 0) == 0) registered[lower(r.method) + " " + r.path] = r.access;
  std::map<std::string, std::string> documented;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items())
      documented[method + " " + path] = op.value("x-hypersdk-role", "?");
  RouteDiff d;
  for (const auto& [route, role] : registered) {
    auto it = documented.find(route);
    if (it == documented.end())
      d.missing += "\n  " + route + " (" + role + ")";
    else if (it->second != role)
      d.roles += "\n  " + route + ": document says " + it->second + ", server needs " + role;
  }
  for (const auto& [route, role] : documented)
    if (!registered.count(route)) d.extra += "\n  " + route;
  return d;
}

TEST_CASE("openapi: every registered /api/v1 route is in the document and vice versa") {
  test::ApiFixture f;
  const json doc = embedded_document();
  CHECK(doc["openapi"].get<std::string>().rfind("3.1", 0) == 0);
  const auto table = f.server->route_table();
  CHECK(table.size() >= 30);  // the table is really the server's, not an empty one
  const RouteDiff d = route_diff(table, doc);
  CHECK_MESSAGE(d.missing.empty(), "registered but not in docs/openapi.json:" << d.missing);
  CHECK_MESSAGE(d.extra.empty(), "in docs/openapi.json but not registered:" << d.extra);
  CHECK_MESSAGE(d.roles.empty(), "x-hypersdk-role differs:" << d.roles);
}

TEST_CASE("openapi: the route check names what is missing, extra or needs another role") {
  test::ApiFixture f;
  json doc = embedded_document();
  doc["paths"].erase("/api/v1/dlq/{id}/replay");
  doc["paths"]["/api/v1/jobs/{id}"]["get"]["x-hypersdk-role"] = "admin";
  doc["paths"]["/api/v1/widgets"]["get"] = {{"x-hypersdk-role", "read"}};
  const RouteDiff d = route_diff(f.server->route_table(), doc);
  CHECK(d.missing == "\n  post /api/v1/dlq/{id}/replay (operate)");
  CHECK(d.extra == "\n  get /api/v1/widgets");
  CHECK(d.roles == "\n  get /api/v1/jobs/{id}: document says admin, server needs read");
}

TEST_CASE("openapi: every operation has an id, answers and an error shape") {
  const json doc = embedded_document();
  std::set<std::string> ids;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items()) {
      CAPTURE(method + " " + path);
      REQUIRE(op.contains("operationId"));
      CHECK(ids.insert(op["operationId"].get<std::string>()).second);
      REQUIRE(op.contains("responses"));
      // Path templates name their parameters, so each {x} must be declared.
      for (std::size_t i = path.find('{'); i != std::string::npos; i = path.find('{', i + 1)) {
        const std::string name = path.substr(i + 1, path.find('}', i) - i - 1);
        bool declared = false;
        for (const auto& p : op.value("parameters", json::array())) {
          const json* param = &p;
          json resolved;
          if (p.contains("$ref")) {
            const std::string ref = p["$ref"];
            resolved = doc["components"]["parameters"][ref.substr(ref.rfind('/') + 1)];
            param = &resolved;
          }
          if (param->value("in", "") == "path" && param->value("name", "") == name) declared = true;
        }
        CHECK_MESSAGE(declared, "path parameter {" << name << "} is not declared");
      }
      if (op["x-hypersdk-role"] != "open") {
        CHECK(op["responses"].contains("401"));
        CHECK(op["responses"].contains("429"));
      }
    }
  CHECK(doc["components"]["schemas"]["Error"]["properties"]["error"]["required"] ==
        json({"code", "message", "request_id"}));
}

TEST_CASE("openapi: served at /api/v1/openapi.json without a token") {
  api::ApiConfig cfg;
  cfg.tokens = {{"reader", "read-secret-0123456789", api::Role::read}};
  test::ApiFixture f(cfg);
  auto c = f.client();
  auto r = c->Get("/api/v1/openapi.json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  CHECK(json::parse(r->body) == embedded_document());
  CHECK(c->Get("/api/v1/jobs")->status == 401);  // while the rest still needs one
}

}  // namespace hypersdk
