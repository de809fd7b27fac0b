// `db backup` on PostgreSQL (cli/pg_dump.h): the password leaves the URL for PGPASSWORD and
// never reaches pg_dump's argv, whichever way the URL carries it.
#include <doctest/doctest.h>

#include "cli/pg_dump.h"

using hypersdk::cli::pg_dump_call;

namespace {
bool argv_mentions(const std::vector<std::string>& argv, const std::string& s) {
  for (const auto& a : argv)
    if (a.find(s) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("pg_dump gets the URL without its password, and the password apart") {
  auto c = pg_dump_call("postgres://app:s%40cret@db.example:5433/hyper?sslmode=require", "/b/x");
  CHECK(c.password == "s@cret");  // percent-decoded, as libpq decodes it
  CHECK(c.argv == std::vector<std::string>{"pg_dump", "--format=custom", "--no-password",
                                           "--file=/b/x",
                                           "--dbname=postgres://app@db.example:5433/"
                                           "hyper?sslmode=require"});
}

TEST_CASE("a password given as a URL parameter is taken out with its separator") {
  auto first = pg_dump_call("postgresql://app@h/db?password=pw1&sslmode=disable", "f");
  CHECK(first.password == "pw1");
  CHECK(first.argv.back() == "--dbname=postgresql://app@h/db?sslmode=disable");
  auto last = pg_dump_call("postgresql://app@h/db?sslmode=disable&password=pw2", "f");
  CHECK(last.password == "pw2");
  CHECK(last.argv.back() == "--dbname=postgresql://app@h/db?sslmode=disable");
  auto only = pg_dump_call("postgresql://app@h/db?password=pw3", "f");
  CHECK(only.password == "pw3");
  CHECK(only.argv.back() == "--dbname=postgresql://app@h/db");
  // A parameter that merely ends in "password=" is not the password.
  auto other = pg_dump_call("postgres://app@h/db?xpassword=keep", "f");
  CHECK(other.password.empty());
  CHECK(other.argv.back() == "--dbname=postgres://app@h/db?xpassword=keep");
}

TEST_CASE("a conninfo's password keyword is taken out too") {
  auto c = pg_dump_call("host=h dbname=d password=pw user=u", "f");
  CHECK(c.password == "pw");
  CHECK(c.argv.back() == "--dbname=host=h dbname=d user=u");
  CHECK_FALSE(argv_mentions(c.argv, "pw "));
}

TEST_CASE("a URL without a password passes unchanged and sets no PGPASSWORD") {
  auto at_in_query = pg_dump_call("postgres://h:5432/db?user=a@b", "f");
  CHECK(at_in_query.password.empty());
  CHECK(at_in_query.argv.back() == "--dbname=postgres://h:5432/db?user=a@b");
  auto c = pg_dump_call("postgres://postgres@127.0.0.1:5432/postgres", "f");
  CHECK(c.password.empty());
  CHECK(c.argv.back() == "--dbname=postgres://postgres@127.0.0.1:5432/postgres");
}
