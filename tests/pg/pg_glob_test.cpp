// schedule_page's name filter is SQLite's GLOB; PostgreSQL has none, so the PostgreSQL store
// translates the glob into a regular expression (pg_schedule_row.h). The oracle is SQLite
// itself: every pattern is matched against every name by SQLite's GLOB and by PostgreSQL's
// `~` on the translation, and the answers must agree. PostgreSQL only (suite "pg").
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/pg/pg_schedule_row.h"
#include "store_conformance.h"

using namespace hypersdk;
using namespace hypersdk::store;

TEST_SUITE("pg") {
  TEST_CASE("a glob translated for PostgreSQL matches exactly what SQLite's GLOB matches") {
    const std::vector<std::string> patterns = {
        "*",      "*-web",  "prod-*", "a?c",   "[ab]*",      "[^ab]*", "[a-c]-web",
        "*.db",   "x+y*",   "(a)*",   "a|b",   "*[]]*",      "[]a]*",  "*\\*",
        "back\\", "[",      "a[b",    "^a*",   "*$",         "{1,2}",  "*[.]*",
        "Prod-*", "*[[:]*", "??",     "*-*-*", "nightly-db", "a\\b*",  "[!a]*"};
    const std::vector<std::string> names = {
        "a-db", "b-web", "c-web", "d-web", "prod-web-1", "Prod-1",    "abc", "aXc",
        "x.db", "x+yz",  "(a)b",  "a|b",   "a]b",        "]x",        "a*",  "back\\",
        "[",    "a[b",   "^ab",   "z$",    "{1,2}",      "a.b",       "a:b", "[x",
        "ab",   "a-b-c", "a\\bc", "!a",    "",           "nightly-db"};
    SQLite::Database lite(":memory:");
    SQLite::Statement glob(lite, "SELECT ?2 GLOB ?1");
    test::PgTestSchema schema;
    auto db = pg::PgDatabase::open(schema.url());
    REQUIRE_MESSAGE(db.ok(), db.error().message);
    int compared = 0;
    for (const auto& pattern : patterns) {
      const std::string regex = pg::detail::glob_to_regex(pattern);
      for (const auto& name : names) {
        glob.reset();
        glob.bind(1, pattern);
        glob.bind(2, name);
        REQUIRE(glob.executeStep());
        const bool want = glob.getColumn(0).getInt() != 0;
        bool got = false;
        REQUIRE((*db)
                    ->read([&](pg::Tx& tx) {
                      got = tx.exec("SELECT $1::text ~ $2::text", {pg::p(name), pg::p(regex)})
                                .text(0, 0) == "t";
                      return Status::Ok();
                    })
                    .ok());
        INFO("pattern " << pattern << " (regex " << regex << ") name " << name);
        CHECK(got == want);
        ++compared;
      }
    }
    CHECK(compared == static_cast<int>(patterns.size() * names.size()));
  }
}
