// The server registry port (store/server_registry.h) on both drivers.
#include <doctest/doctest.h>

#include "cluster_fixture.h"

using namespace hypersdk;

namespace {
store::ServerEntry entry(const std::string& address, std::int64_t pid) {
  store::ServerEntry e;
  e.address = address;
  e.pid = pid;
  e.host = "h";
  e.version = "0.1";
  return e;
}
}  // namespace

TEST_CASE("the server registry lists only servers with a fresh heartbeat, freshest first") {
  test::ConformanceFixture f;
  auto reg = test::registry_of(f);
  auto a = entry("http://127.0.0.1:1", 11);
  a.owner = "h:11:5";
  auto b = entry("http://127.0.0.1:2", 22);
  auto ida = reg->server_register(a, 1'000, 0);
  auto idb = reg->server_register(b, 2'000, 0);
  REQUIRE(ida.ok());
  REQUIRE(idb.ok());
  CHECK(*ida != *idb);

  auto live = reg->server_list_live(1'500);
  REQUIRE(live.ok());
  REQUIRE(live->size() == 1);
  CHECK((*live)[0].address == "http://127.0.0.1:2");
  CHECK((*live)[0].pid == 22);
  CHECK((*live)[0].started_at == 2'000);
  CHECK((*live)[0].owner.empty());
  CHECK_FALSE((*live)[0].draining);

  REQUIRE(reg->server_heartbeat(*ida, 3'000).ok());
  live = reg->server_list_live(1'500);
  REQUIRE(live->size() == 2);
  CHECK((*live)[0].id == *ida);  // the freshest heartbeat first
  CHECK((*live)[0].owner == "h:11:5");
  CHECK((*live)[0].heartbeat == 3'000);
  CHECK((*live)[0].started_at == 1'000);

  REQUIRE(reg->server_deregister(*ida).ok());
  CHECK(reg->server_heartbeat(*ida, 4'000).error().cls == ErrorClass::not_found);
  CHECK(reg->server_list_live(0)->size() == 1);

  // Registering prunes rows whose heartbeat is older than prune_before.
  REQUIRE(reg->server_register(a, 10'000, 5'000).ok());
  CHECK(reg->server_list_live(0)->size() == 1);
}

TEST_CASE("a node marked draining shows so in the registry, the others not") {
  test::ConformanceFixture f;
  auto reg = test::registry_of(f);
  auto ida = reg->server_register(entry("http://127.0.0.1:1", 1), 1'000, 0);
  auto idb = reg->server_register(entry("http://127.0.0.1:2", 2), 1'000, 0);
  REQUIRE(ida.ok());
  REQUIRE(idb.ok());
  REQUIRE(reg->server_set_draining(*ida, true).ok());
  auto live = reg->server_list_live(0);
  REQUIRE(live.ok());
  REQUIRE(live->size() == 2);
  for (const auto& e : *live) CHECK(e.draining == (e.id == *ida));
  // A heartbeat keeps the flag.
  REQUIRE(reg->server_heartbeat(*ida, 2'000).ok());
  CHECK(reg->server_list_live(1'500)->at(0).draining);
  REQUIRE(reg->server_deregister(*ida).ok());
  CHECK(reg->server_set_draining(*ida, true).error().cls == ErrorClass::not_found);
}
