// The PostgreSQL database under the PostgreSQL store: a small pool of libpq connections,
// transactions with a retry on serialization failure, and the PostgreSQL migrations
// (schema/pg/, the same numbers and names as schema/).
//
// Every statement runs through PQexecParams in text format: parameters are strings (or NULL),
// and PostgreSQL infers their types from the statement; write explicit casts ($1::bigint)
// where it cannot. Integers are BIGINT (SQLite's INTEGER), booleans 1/0 like SQLite's.
//
// Thread safety: PgDatabase is safe to call from any thread (each transaction takes its own
// connection from the pool). Tx and Rows belong to one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace hypersdk::store::pg {

// One statement parameter, in PostgreSQL's text format; nullopt is SQL NULL.
using Param = std::optional<std::string>;
inline Param p(std::int64_t v) {
  return std::to_string(v);
}
inline Param p(int v) {
  return std::to_string(v);
}
// Booleans are stored as 1/0 in BIGINT columns, as SQLite stores them.
inline Param p(bool v) {
  return std::string(v ? "1" : "0");
}
inline Param p(const std::string& v) {
  return v;
}
inline Param p(const char* v) {
  return std::string(v);
}
template <class T>
Param p(const std::optional<T>& v) {
  return v ? p(*v) : Param{};
}

// A failed statement: libpq's message and the SQLSTATE ("23505" unique violation, "40001"
// serialization failure, "08006" connection failure, ...; empty when libpq gave none).
struct PgError : std::runtime_error {
  PgError(const std::string& message, std::string state)
      : std::runtime_error(message), sqlstate(std::move(state)) {}
  std::string sqlstate;
};

// A statement's result; owns the PGresult. Cheap to move.
class Rows {
 public:
  Rows() = default;
  explicit Rows(PGresult* r);
  Rows(Rows&& o) noexcept;
  Rows& operator=(Rows&& o) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows();

  int size() const;
  bool empty() const { return size() == 0; }
  bool null(int row, int col) const;
  std::int64_t i64(int row, int col) const;  // 0 when NULL
  double f64(int row, int col) const;        // 0 when NULL
  std::string text(int row, int col) const;  // "" when NULL
  std::optional<std::int64_t> opt_i64(int row, int col) const;
  std::optional<std::string> opt_text(int row, int col) const;
  // Rows an INSERT/UPDATE/DELETE touched (PQcmdTuples); 0 for other statements.
  std::int64_t affected() const;

 private:
  PGresult* r_ = nullptr;
};

// One open transaction on one connection. Only PgDatabase creates it.
class Tx {
 public:
  // Runs one statement with $1..$n parameters. Throws PgError on failure; PgDatabase::write
  // and read translate it into an Error with a class.
  Rows exec(const std::string& sql, const std::vector<Param>& params = {});
  // Whether a statement of this transaction changed a row (data_version bumps only then).
  bool changed() const { return changed_; }

 private:
  friend class PgDatabase;
  explicit Tx(PGconn* c) : c_(c) {}
  PGconn* c_;
  bool changed_ = false;
};

enum class Isolation { read_committed, serializable };

// Whether writes reach the server, kept by PgDatabase::write (the twin of SQLite's
// WriteHealth): a write that failed for the server's sake (unreachable, shut down, out of
// disk or memory, read-only) marks it failing; the next write that commits clears it. A
// write refused for its own content (not_found, conflict) changes nothing.
struct PgWriteHealth {
  bool failing = false;
  std::string reason;         // the last failed write's error
  std::int64_t failures = 0;  // failed writes in a row
  std::int64_t episodes = 0;  // times writes began to fail since open (never reset)
  std::string last_reason;    // kept after recovery
};

class PgDatabase {
 public:
  // Connects, applies the PostgreSQL migrations (schema/pg/) under an advisory lock (several
  // nodes may start at once) and refuses a schema newer than this binary (conflict).
  // url: postgres://user@host:port/db?... or a libpq "key=value" conninfo.
  // Every connection waits at most 5 s to connect (unless the URL sets connect_timeout) and
  // has TCP keepalives on, so a black-holed server fails a call instead of hanging it.
  static Result<std::unique_ptr<PgDatabase>> open(const std::string& url);
  // The same database without migrating it (db check, upgrade check: they report the schema
  // as it is and must not change it). Connects at the first transaction.
  static Result<std::unique_ptr<PgDatabase>> open_unmigrated(const std::string& url);
  ~PgDatabase();

  // statement_timeout for the connections opened from now on (0 = none, the default; open
  // and its migrations run without one). Idle pooled connections are closed so that every
  // later transaction runs under it. A statement that runs out fails with class timeout.
  void set_statement_timeout(std::chrono::milliseconds timeout);

  // BEGIN ISOLATION LEVEL <iso>; fn; COMMIT. Rolls back on a non-ok Status or an exception.
  // Runs the whole fn again on serialization failure (40001) and deadlock (40P01), a few times
  // with a short jittered backoff: fn must be safe to run again (no side effects outside tx).
  Status write(const std::function<Status(Tx&)>& fn, Isolation iso = Isolation::serializable);
  // REPEATABLE READ READ ONLY: one snapshot.
  Status read(const std::function<Status(Tx&)>& fn);

  // read (or write) around a statement whose answer is the result: fn(tx) returns the value
  // (not a Status), and an error of the transaction is the Result's. fn runs again when a
  // write is retried; the last run's value is returned.
  template <class F>
  auto read_value(F&& fn) -> Result<std::invoke_result_t<F&, Tx&>> {
    std::optional<std::invoke_result_t<F&, Tx&>> out;
    Status s = read([&](Tx& tx) {
      out = fn(tx);
      return Status::Ok();
    });
    if (!s.ok()) return s.error();
    return std::move(*out);
  }
  template <class F>
  auto write_value(F&& fn, Isolation iso = Isolation::serializable)
      -> Result<std::invoke_result_t<F&, Tx&>> {
    std::optional<std::invoke_result_t<F&, Tx&>> out;
    Status s = write(
        [&](Tx& tx) {
          out = fn(tx);
          return Status::Ok();
        },
        iso);
    if (!s.ok()) return s.error();
    return std::move(*out);
  }

  // The URL with its password removed: for logs and errors.
  const std::string& url_redacted() const { return redacted_; }
  // The schema version recorded in schema_version (the last migration applied).
  Result<int> schema_version();
  // schema_version, also reading the jobs table in the same snapshot: readiness's probe, so
  // that a lock held on the queue (or a statement timeout) shows as not ready.
  Result<int> schema_version_and_queue();
  // A counter bumped after every write transaction that changed a row commits (a sequence,
  // so writers never wait on each other for it); reading it is one cheap query.
  Result<std::int64_t> data_version();
  PgWriteHealth write_health() const;
  // A one-row write (store_probe) that tells whether writes succeed again: readiness's
  // recovery probe, and a check that the database is writable at all.
  Status probe_write(std::int64_t now_ms);

 private:
  PgDatabase(std::string url, std::string redacted);
  // A connection from the pool (or a new one); nullptr and `err` when connecting fails.
  PGconn* acquire(Error& err);
  // Back into the pool when still healthy and idle, else closed.
  void release(PGconn* c);
  Status migrate();
  void note_write(const Error* storage_error);

  mutable std::mutex health_mu_;
  PgWriteHealth health_;  // GUARDED_BY(health_mu_)

  std::string url_;
  std::string redacted_;
  std::mutex mu_;
  std::vector<PGconn*> idle_;                       // GUARDED_BY(mu_)
  std::chrono::milliseconds statement_timeout_{0};  // GUARDED_BY(mu_)
};

// The password of a postgres:// URL or a conninfo's password= replaced by "***".
std::string redact_url(const std::string& url);
// Whether `s` names a PostgreSQL database rather than a SQLite file.
bool is_postgres_url(const std::string& s);

// Connects to `url`, runs `sql` (one or more statements, no parameters) outside any
// transaction block and disconnects: for administration (CREATE DATABASE / SCHEMA in tests).
Status exec_once(const std::string& url, const std::string& sql);

// A PgError as an Error with a class: 23505 conflict, 40001/40P01 and 08xxx unavailable,
// 57014 timeout, everything else internal.
Error translate_pg(const PgError& e, const std::string& what);

}  // namespace hypersdk::store::pg
