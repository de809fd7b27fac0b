// Expand/contract across nodes on PostgreSQL (store/node_versions.h): PgDatabase::open does not
// migrate while a live node of an older version uses the database. Built into
// hypersdk_pg_unit (ctest's "unit-pg: store conformance").
#include <doctest/doctest.h>

#include <chrono>

#include "store/node_versions.h"
#include "store/pg/pg_migrations.h"
#include "store_conformance.h"

using namespace hypersdk;

namespace {
core::TimeMs real_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The schema as the previous release left it (every migration but the last) with one node of
// `version` heartbeating at `heartbeat`.
void previous_release_with_node(const test::PgTestSchema& schema, const std::string& version,
                                core::TimeMs heartbeat) {
  const auto& migrations = store::pg::embedded_pg_migrations();
  std::string sql =
      "CREATE TABLE schema_version (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
      "applied_at TIMESTAMPTZ NOT NULL DEFAULT now()); CREATE SEQUENCE data_version_seq;";
  for (std::size_t i = 0; i + 1 < migrations.size(); ++i) {
    sql += migrations[i].sql + ";";
    sql += "INSERT INTO schema_version (version, name) VALUES (" +
           std::to_string(migrations[i].version) + ", '" + migrations[i].name + "');";
  }
  sql +=
      "INSERT INTO servers (address, pid, host, version, started_at, heartbeat) VALUES "
      "('http://10.0.0.8:8080', 77, 'other-host', '" +
      version + "', 0, " + std::to_string(heartbeat) + ")";
  REQUIRE(store::pg::exec_once(schema.url(), sql).ok());
}
}  // namespace

TEST_CASE("PostgreSQL: no migration while a live node of an older version uses the database") {
  test::PgTestSchema schema;
  previous_release_with_node(schema, "0.0.1", real_now());
  auto db = store::pg::PgDatabase::open(schema.url());
  REQUIRE_FALSE(db.ok());
  INFO(db.error().message);
  CHECK(db.error().cls == ErrorClass::conflict);
  CHECK(db.error().message.find("http://10.0.0.8:8080 (version 0.0.1, other-host:77") !=
        std::string::npos);
  // Once that node's heartbeat is stale (it was drained, stopped and upgraded), it migrates.
  REQUIRE(
      store::pg::exec_once(schema.url(), "UPDATE servers SET heartbeat = " +
                                             std::to_string(real_now() - 2 * store::kNodeFreshMs))
          .ok());
  db = store::pg::PgDatabase::open(schema.url());
  REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  CHECK((*db)->schema_version().value() == store::pg::embedded_pg_migrations().back().version);
}

TEST_CASE("PostgreSQL: a live node of the same version blocks nothing") {
  test::PgTestSchema schema;
  previous_release_with_node(schema, HYPERSDK_VERSION, real_now());
  auto db = store::pg::PgDatabase::open(schema.url());
  REQUIRE_MESSAGE(db.ok(), (db.ok() ? "" : db.error().message));
  CHECK((*db)->schema_version().value() == store::pg::embedded_pg_migrations().back().version);
}
