// The raw SQLite ceiling for a queue on this disk (issue 14 item 1): N enqueues, then N claims
// and N completions, each its own single-row transaction, with the pragmas hypersdk's store
// uses (WAL, mmap, 16 MiB cache, synchronous as given) and no logic of ours: plain sqlite3
// C API, one connection, prepared statements. hypersdk's figures are read against these.
//
// Usage: raw_sqlite_bench JOBS FULL|NORMAL DIR
// Prints one JSON object: {"sync", "jobs", "insert_per_s", "claim_complete_per_s"}.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

void must(int rc, sqlite3* db, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return;
  std::fprintf(stderr, "raw_sqlite_bench: %s: %s\n", what, sqlite3_errmsg(db));
  std::exit(1);
}

void exec(sqlite3* db, const char* sql) {
  must(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql);
}

sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  must(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), db, sql);
  return st;
}

void step_once(sqlite3* db, sqlite3_stmt* st) {
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
  }
  must(rc, db, sqlite3_sql(st));
  sqlite3_reset(st);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: raw_sqlite_bench JOBS FULL|NORMAL DIR\n");
    return 2;
  }
  const int jobs = std::atoi(argv[1]);
  const std::string sync = argv[2];
  const std::string path = std::string(argv[3]) + "/raw.db";
  std::remove(path.c_str());
  sqlite3* db = nullptr;
  must(sqlite3_open(path.c_str(), &db), db, "open");
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, ("PRAGMA synchronous=" + sync).c_str());
  exec(db, "PRAGMA mmap_size=0");  // the store's writer connection (store/database.cpp)
  exec(db, "PRAGMA cache_size=-4096");
  exec(db,
       "CREATE TABLE q(id INTEGER PRIMARY KEY, status TEXT NOT NULL, payload TEXT NOT NULL,"
       " lease INTEGER)");
  exec(db, "CREATE INDEX q_queued ON q(id) WHERE status = 'queued'");

  sqlite3_stmt* begin = prepare(db, "BEGIN IMMEDIATE");
  sqlite3_stmt* commit = prepare(db, "COMMIT");
  sqlite3_stmt* insert = prepare(db, "INSERT INTO q(status, payload) VALUES ('queued', '{}')");
  sqlite3_stmt* claim =
      prepare(db,
              "UPDATE q SET status = 'running', lease = 1 WHERE id = (SELECT id"
              " FROM q WHERE status = 'queued' ORDER BY id LIMIT 1) RETURNING id");
  sqlite3_stmt* complete = prepare(db, "UPDATE q SET status = 'succeeded' WHERE id = ?");

  auto t0 = Clock::now();
  for (int i = 0; i < jobs; ++i) {
    step_once(db, begin);
    step_once(db, insert);
    step_once(db, commit);
  }
  const double insert_s = seconds_since(t0);

  t0 = Clock::now();
  for (int i = 0; i < jobs; ++i) {
    step_once(db, begin);
    must(sqlite3_step(claim), db, "claim");
    const sqlite3_int64 id = sqlite3_column_int64(claim, 0);
    sqlite3_reset(claim);
    step_once(db, commit);
    step_once(db, begin);
    sqlite3_bind_int64(complete, 1, id);
    step_once(db, complete);
    step_once(db, commit);
  }
  const double claim_s = seconds_since(t0);

  for (sqlite3_stmt* st : {begin, commit, insert, claim, complete}) sqlite3_finalize(st);
  sqlite3_close(db);
  std::printf(
      "{\"sync\": \"%s\", \"jobs\": %d, \"insert_per_s\": %.0f, \"claim_complete_per_s\": %.0f}\n",
      sync.c_str(), jobs, jobs / insert_s, jobs / claim_s);
  return 0;
}
