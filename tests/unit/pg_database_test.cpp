// The PostgreSQL migrations and URL handling (store/pg/), without a server. The tests that need
// one are in tests/pg/ (hypersdk_pg_unit, run by ctest's "unit-pg: store conformance").
#include <doctest/doctest.h>

#include "store/migrations.h"
#include "store/pg/pg_database.h"
#include "store/pg/pg_migrations.h"

using namespace hypersdk;

TEST_CASE("the PostgreSQL migrations are the SQLite ones: same versions, same names") {
  const auto& lite = store::embedded_migrations();
  const auto& pg = store::pg::embedded_pg_migrations();
  REQUIRE(lite.size() == pg.size());
  for (std::size_t i = 0; i < lite.size(); ++i) {
    CHECK(pg[i].version == lite[i].version);
    CHECK(pg[i].name == lite[i].name);
    CHECK(pg[i].version == static_cast<int>(i) + 1);  // 1..N without gaps
  }
}

TEST_CASE("a PostgreSQL URL's password never reaches a log") {
  CHECK(store::pg::redact_url("postgres://app:s3cret@db:5432/hs") ==
        "postgres://app:***@db:5432/hs");
  CHECK(store::pg::redact_url("postgres://app@db/hs?password=s3cret&sslmode=require") ==
        "postgres://app@db/hs?password=***&sslmode=require");
  CHECK(store::pg::redact_url("host=db password=s3cret dbname=hs") ==
        "host=db password=*** dbname=hs");
  CHECK(store::pg::redact_url("postgres://db/hs") == "postgres://db/hs");
  CHECK(store::pg::is_postgres_url("postgresql://db/hs"));
  CHECK_FALSE(store::pg::is_postgres_url("/var/lib/hypersdk/hypersdk.db"));
}
