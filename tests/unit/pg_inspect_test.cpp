// `db check` / `upgrade check` on PostgreSQL (store/pg/pg_inspect.h): what is wrong with a
// recorded migration list against this binary's. The live database is checked in
// tests/integration/test_pg_db_ops.py.
#include <doctest/doctest.h>

#include "store/pg/pg_inspect.h"
#include "store/pg/pg_migrations.h"

using namespace hypersdk::store::pg;

namespace {
std::vector<AppliedMigration> all_applied() {
  std::vector<AppliedMigration> out;
  for (const auto& m : embedded_pg_migrations())
    out.push_back({m.version, m.name, "2026-01-01T00:00:00Z"});
  return out;
}
bool any_contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v)
    if (x.find(s) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("every migration of this binary recorded in order is no problem") {
  CHECK(migration_problems(all_applied()).empty());
  CHECK(binary_schema_version() == embedded_pg_migrations().back().version);
}

TEST_CASE("a schema behind the binary says to migrate") {
  auto a = all_applied();
  a.pop_back();
  auto p = migration_problems(a);
  REQUIRE(p.size() == 1);
  CHECK(any_contains(p, "is behind"));
  CHECK(any_contains(p, "hypersdk db migrate"));
}

TEST_CASE("a version missing below the highest is named") {
  auto a = all_applied();
  a.erase(a.begin() + 2);  // 0003
  auto p = migration_problems(a);
  REQUIRE(p.size() == 1);
  CHECK(any_contains(p, "migration " + embedded_pg_migrations()[2].name + " is not recorded"));
}

TEST_CASE("a foreign name, a newer schema and an out-of-order time are each named") {
  auto a = all_applied();
  a[0].name = "something_else";
  a[1].applied_at = "2025-12-31T23:59:59Z";
  a.push_back({binary_schema_version() + 1, "future", "2026-02-01T00:00:00Z"});
  auto p = migration_problems(a);
  CHECK(p.size() == 3);
  CHECK(any_contains(p, "0001 is recorded as 'something_else'"));
  CHECK(any_contains(p, "0002 was applied at 2025-12-31T23:59:59Z, before 0001"));
  CHECK(any_contains(p, "newer than this binary's"));
}
