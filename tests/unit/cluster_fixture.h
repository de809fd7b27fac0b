// The cluster bookkeeping (server registry, leader lease) of one conformance fixture's
// database: SQLite or, under tests/pg/with_pg.sh, PostgreSQL (store_conformance.h). The same
// test cases run on both drivers (tests/CMakeLists.txt: HYPERSDK_PG_CONFORMANCE).
#pragma once

#include <memory>

#include "store/leader_lease.h"
#include "store/pg/pg_leader_lease.h"
#include "store/pg/pg_server_registry.h"
#include "store/server_registry.h"
#include "store_conformance.h"

namespace hypersdk::test {

inline std::unique_ptr<store::ServerRegistry> registry_of(ConformanceFixture& f) {
  if (f.pg)
    return std::make_unique<store::pg::PgServerRegistry>(
        static_cast<store::pg::PgStore&>(*f.store).database());
  return std::make_unique<store::SqliteServerRegistry>(*f.sqlite->db);
}

inline std::shared_ptr<store::LeaderLease> lease_of(ConformanceFixture& f) {
  if (f.pg)
    return std::make_shared<store::pg::PgLeaderLease>(
        static_cast<store::pg::PgStore&>(*f.store).database());
  return std::make_shared<store::SqliteLeaderLease>(*f.sqlite->db);
}

}  // namespace hypersdk::test
