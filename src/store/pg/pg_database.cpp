#include "store/pg/pg_database.h"

#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "store/node_versions.h"
#include "store/pg/pg_migrations.h"

namespace hypersdk::store::pg {

namespace {

// Idle connections kept open; more may be open at once while many threads are in a
// transaction (the pool never makes a caller wait for another's connection).
constexpr std::size_t kMaxIdle = 8;
// Runs of a write's fn before a serialization failure or deadlock is reported (unavailable).
constexpr int kWriteAttempts = 10;
// Any fixed number: held (pg_advisory_xact_lock) while migrating, so nodes starting together
// migrate one after another instead of racing on CREATE TABLE.
constexpr std::int64_t kMigrationLockKey = 0x6879706572736b;  // "hypersk"

// libpq prints NOTICEs (e.g. "relation ... already exists, skipping") to stderr by default.
void ignore_notice(void*, const char*) {}

std::string state_of(const PGresult* r) {
  const char* s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  return s ? s : "";
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Throws PgError unless `r` is a success; takes ownership of `r`.
Rows checked(PGconn* c, PGresult* r) {
  const auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Rows(r);
  std::string msg = trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(c));
  std::string state = state_of(r);
  // A lost connection often comes without a SQLSTATE: call it one (class 08).
  if (state.empty() && PQstatus(c) != CONNECTION_OK) state = "08006";
  if (r) PQclear(r);
  throw PgError(msg.empty() ? "PostgreSQL statement failed" : msg, state);
}

// A multi-statement script (migrations, BEGIN/COMMIT): simple-query protocol, no parameters.
Rows run_script(PGconn* c, const std::string& sql) {
  return checked(c, PQexec(c, sql.c_str()));
}

bool retryable(const PgError& e) {
  return e.sqlstate == "40001" || e.sqlstate == "40P01";
}

void backoff(int attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  const int cap_ms = std::min(100, 2 << attempt);
  std::uniform_int_distribution<int> d(cap_ms / 2, cap_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(d(rng)));
}

// A failure of the server rather than of the statement: connection (08), insufficient
// resources such as a full disk (53), operator intervention (57P: shut down, starting up),
// system errors (58) and a read-only server (25006, a standby).
bool storage_failure(const PgError& e) {
  const std::string& s = e.sqlstate;
  return s.rfind("08", 0) == 0 || s.rfind("53", 0) == 0 || s.rfind("57P", 0) == 0 ||
         s.rfind("58", 0) == 0 || s == "25006";
}

// Connection defaults a URL may override: a connect timeout (libpq waits forever without
// one, also for a server that accepts the TCP connection and never answers) and TCP
// keepalives, so a connection to a host that vanished fails within about a minute instead of
// waiting on the kernel's two hours. The keywords come before dbname: with expand_dbname, the
// URL's own settings replace earlier keywords.
PGconn* connect_with_defaults(const std::string& url) {
  const char* keys[] = {
      "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
      "dbname",          nullptr};
  const char* values[] = {"5", "1", "30", "10", "3", url.c_str(), nullptr};
  return PQconnectdbParams(keys, values, 1);
}

Error translate_any(const std::exception& e, const std::string& what) {
  if (auto* pe = dynamic_cast<const PgError*>(&e)) return translate_pg(*pe, what);
  return make_error(ErrorClass::internal, what + ": " + e.what());
}

}  // namespace

// ---- Rows ----

Rows::Rows(PGresult* r) : r_(r) {}
Rows::Rows(Rows&& o) noexcept : r_(o.r_) {
  o.r_ = nullptr;
}
Rows& Rows::operator=(Rows&& o) noexcept {
  if (this != &o) {
    if (r_) PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}
Rows::~Rows() {
  if (r_) PQclear(r_);
}
int Rows::size() const {
  return r_ ? PQntuples(r_) : 0;
}
bool Rows::null(int row, int col) const {
  return !r_ || PQgetisnull(r_, row, col);
}
std::int64_t Rows::i64(int row, int col) const {
  return null(row, col) ? 0 : std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}
double Rows::f64(int row, int col) const {
  return null(row, col) ? 0 : std::strtod(PQgetvalue(r_, row, col), nullptr);
}
std::string Rows::text(int row, int col) const {
  if (null(row, col)) return {};
  return std::string(PQgetvalue(r_, row, col), PQgetlength(r_, row, col));
}
std::optional<std::int64_t> Rows::opt_i64(int row, int col) const {
  if (null(row, col)) return std::nullopt;
  return i64(row, col);
}
std::optional<std::string> Rows::opt_text(int row, int col) const {
  if (null(row, col)) return std::nullopt;
  return text(row, col);
}
std::int64_t Rows::affected() const {
  if (!r_) return 0;
  const char* n = PQcmdTuples(r_);
  return (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
}

// ---- Tx ----

Rows Tx::exec(const std::string& sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& v : params) values.push_back(v ? v->c_str() : nullptr);
  Rows rows = checked(c_, PQexecParams(c_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                       values.data(), nullptr, nullptr, 0));
  if (rows.affected() > 0) changed_ = true;
  return rows;
}

// ---- PgDatabase ----

Error translate_pg(const PgError& e, const std::string& what) {
  const std::string msg = what + ": " + e.what();
  const std::string& s = e.sqlstate;
  if (s == "23505") return make_error(ErrorClass::conflict, msg);
  if (s == "40001" || s == "40P01")
    return make_error(ErrorClass::unavailable,
                      msg + " (concurrent transactions kept conflicting; try again)");
  if (s.rfind("08", 0) == 0 || s == "57P01" || s == "57P03")
    return make_error(ErrorClass::unavailable, msg + " (PostgreSQL unreachable; try again)");
  if (s == "57014") return make_error(ErrorClass::timeout, msg);
  return make_error(ErrorClass::internal, msg);
}

bool is_postgres_url(const std::string& s) {
  return s.rfind("postgres://", 0) == 0 || s.rfind("postgresql://", 0) == 0;
}

std::string redact_url(const std::string& url) {
  std::string out = url;
  if (is_postgres_url(out)) {
    // scheme://user:password@host -> scheme://user:***@host
    const auto start = out.find("://") + 3;
    const auto at = out.find('@', start);
    const auto colon = out.find(':', start);
    if (at != std::string::npos && colon != std::string::npos && colon < at)
      out.replace(colon + 1, at - colon - 1, "***");
  }
  // password=... as a query parameter (?password=x&...) or a conninfo keyword (password=x ...).
  for (auto pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    const auto value = pos + 9;
    auto end = out.find_first_of("& ", value);
    if (end == std::string::npos) end = out.size();
    out.replace(value, end - value, "***");
  }
  return out;
}

PgDatabase::PgDatabase(std::string url, std::string redacted)
    : url_(std::move(url)), redacted_(std::move(redacted)) {}

PgDatabase::~PgDatabase() {
  for (PGconn* c : idle_) PQfinish(c);
}

PGconn* PgDatabase::acquire(Error& err) {
  std::chrono::milliseconds timeout{0};
  {
    std::lock_guard lock(mu_);
    while (!idle_.empty()) {
      PGconn* c = idle_.back();
      idle_.pop_back();
      if (PQstatus(c) == CONNECTION_OK) return c;
      PQfinish(c);
    }
    timeout = statement_timeout_;
  }
  PGconn* c = connect_with_defaults(url_);
  if (!c || PQstatus(c) != CONNECTION_OK) {
    err =
        make_error(ErrorClass::unavailable, "cannot connect to PostgreSQL at " + redacted_ + ": " +
                                                trimmed(c ? PQerrorMessage(c) : "out of memory"));
    if (c) PQfinish(c);
    return nullptr;
  }
  PQsetNoticeProcessor(c, ignore_notice, nullptr);
  if (timeout.count() > 0) {
    try {
      run_script(c, "SET statement_timeout = " + std::to_string(timeout.count()));
    } catch (const PgError& e) {
      err = translate_pg(e, "setting statement_timeout on PostgreSQL at " + redacted_);
      PQfinish(c);
      return nullptr;
    }
  }
  return c;
}

void PgDatabase::set_statement_timeout(std::chrono::milliseconds timeout) {
  std::vector<PGconn*> stale;
  {
    std::lock_guard lock(mu_);
    statement_timeout_ = timeout;
    stale.swap(idle_);
  }
  for (PGconn* c : stale) PQfinish(c);
}

void PgDatabase::release(PGconn* c) {
  if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE) {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(c);
      return;
    }
  }
  PQfinish(c);
}

Status PgDatabase::write(const std::function<Status(Tx&)>& fn, Isolation iso) {
  const char* begin = iso == Isolation::serializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                                     : "BEGIN ISOLATION LEVEL READ COMMITTED";
  for (int attempt = 1;; ++attempt) {
    Error err;
    PGconn* c = acquire(err);
    if (!c) {
      note_write(&err);
      return err;
    }
    Tx tx(c);
    Status result;
    bool retry = false;
    std::optional<Error> storage_error;
    try {
      run_script(c, begin);
      Status s = fn(tx);
      if (!s.ok()) {
        run_script(c, "ROLLBACK");
        result = s;
      } else if (tx.changed()) {
        // The counter moves only after the commit, in the same round trip: a poller that
        // sees the new value then reads the committed rows. A failed COMMIT stops the script.
        // The NOTIFY (pg_listener.h) shares the counter's implicit transaction, so a node
        // woken by it reads the new data_version; PostgreSQL folds a transaction's identical
        // notifications into one and delivers them only on commit.
        run_script(c, "COMMIT; SELECT nextval('data_version_seq'); NOTIFY hypersdk");
      } else {
        run_script(c, "COMMIT");
      }
    } catch (const PgError& e) {
      if (PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
      retry = retryable(e) && attempt < kWriteAttempts;
      if (!retry) result = translate_pg(e, "PostgreSQL write");
      if (storage_failure(e)) storage_error = translate_pg(e, "PostgreSQL write");
    } catch (const std::exception& e) {
      if (PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
      result = translate_any(e, "PostgreSQL write");
    }
    release(c);
    if (storage_error || result.ok()) note_write(storage_error ? &*storage_error : nullptr);
    if (!retry) return result;
    backoff(attempt);
  }
}

Status PgDatabase::read(const std::function<Status(Tx&)>& fn) {
  Error err;
  PGconn* c = acquire(err);
  if (!c) return err;
  Tx tx(c);
  Status result;
  try {
    run_script(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    result = fn(tx);
    run_script(c, result.ok() ? "COMMIT" : "ROLLBACK");
  } catch (const std::exception& e) {
    if (PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
    result = translate_any(e, "PostgreSQL read");
  }
  release(c);
  return result;
}

Result<int> PgDatabase::schema_version() {
  int v = 0;
  auto s = read([&](Tx& tx) {
    auto r = tx.exec("SELECT max(version) FROM schema_version");
    v = static_cast<int>(r.i64(0, 0));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return v;
}

Result<int> PgDatabase::schema_version_and_queue() {
  int v = 0;
  auto s = read([&](Tx& tx) {
    // Any read of jobs waits for a lock that excludes readers (LOCK TABLE, some DDL).
    auto r = tx.exec(
        "SELECT (SELECT max(version) FROM schema_version),"
        " (SELECT count(*) FROM (SELECT 1 FROM jobs LIMIT 1) AS one)");
    v = static_cast<int>(r.i64(0, 0));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return v;
}

Result<std::int64_t> PgDatabase::data_version() {
  Error err;
  PGconn* c = acquire(err);
  if (!c) return err;
  Result<std::int64_t> out = std::int64_t{0};
  try {
    // last_value of a sequence is the latest nextval of any session (0 before the first).
    auto r = run_script(c,
                        "SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
                        " FROM data_version_seq");
    out = r.i64(0, 0);
  } catch (const std::exception& e) {
    out = translate_any(e, "reading the PostgreSQL data version");
  }
  release(c);
  return out;
}

namespace {
// The live nodes of an older version (store/node_versions.h), read inside the migration's
// transaction (under its advisory lock); nullopt when none or when there is nothing to apply.
std::optional<Error> older_nodes(PGconn* c, int current, int latest) {
  if (current >= latest || current < 4) return std::nullopt;  // 0004 made `servers`
  const core::TimeMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  Rows r = run_script(c,
                      "SELECT address, version, host, pid, heartbeat FROM servers WHERE heartbeat "
                      ">= " +
                          std::to_string(now - kNodeFreshMs));
  std::vector<ServerEntry> live;
  for (int i = 0; i < r.size(); ++i) {
    ServerEntry e;
    e.address = r.text(i, 0);
    e.version = r.text(i, 1);
    e.host = r.text(i, 2);
    e.pid = r.i64(i, 3);
    e.heartbeat = r.i64(i, 4);
    live.push_back(std::move(e));
  }
  auto blockers = migration_blockers(live, HYPERSDK_VERSION);
  if (blockers.empty()) return std::nullopt;
  return migration_blocked_error(blockers, current, latest, now);
}
}  // namespace
void PgDatabase::note_write(const Error* storage_error) {
  std::lock_guard lock(health_mu_);
  if (!storage_error) {
    health_.failing = false;
    health_.failures = 0;
    health_.reason.clear();
    return;
  }
  if (!health_.failing) ++health_.episodes;
  health_.failing = true;
  ++health_.failures;
  health_.reason = health_.last_reason = storage_error->message;
}

PgWriteHealth PgDatabase::write_health() const {
  std::lock_guard lock(health_mu_);
  return health_;
}

Status PgDatabase::probe_write(std::int64_t now_ms) {
  return write(
      [now_ms](Tx& tx) {
        tx.exec("UPDATE store_probe SET at = $1::bigint WHERE id = 1", {p(now_ms)});
        return Status::Ok();
      },
      Isolation::read_committed);
}

Status PgDatabase::migrate() {
  const auto& migrations = embedded_pg_migrations();
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  Error err;
  PGconn* c = acquire(err);
  if (!c) return err;
  Status result;
  try {
    run_script(c, "BEGIN");
    run_script(c, "SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")");
    run_script(c,
               "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, "
               "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());"
               "CREATE SEQUENCE IF NOT EXISTS data_version_seq");
    const int current = static_cast<int>(
        run_script(c, "SELECT coalesce(max(version), 0) FROM schema_version").i64(0, 0));
    if (current > latest) {
      result = make_error(ErrorClass::conflict,
                          "the PostgreSQL database " + redacted_ + " has schema version " +
                              std::to_string(current) + ", newer than this binary's " +
                              std::to_string(latest) + ": upgrade hypersdk");
      run_script(c, "ROLLBACK");
    } else if (auto blocked = older_nodes(c, current, latest)) {
      // Expand/contract: not while a live node of an older version uses this database.
      result = *blocked;
      run_script(c, "ROLLBACK");
    } else {
      // One transaction for all pending migrations: PostgreSQL DDL is transactional, so a
      // failure leaves the schema as it was.
      for (const auto& m : migrations) {
        if (m.version <= current) continue;
        run_script(c, m.sql);
        Tx tx(c);
        tx.exec("INSERT INTO schema_version (version, name) VALUES ($1::bigint, $2)",
                {p(m.version), p(m.name)});
      }
      run_script(c, "COMMIT");
    }
  } catch (const std::exception& e) {
    if (PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
    result = translate_any(e, "migrating the PostgreSQL database " + redacted_);
  }
  release(c);
  return result;
}

Status exec_once(const std::string& url, const std::string& sql) {
  PGconn* c = connect_with_defaults(url);
  Status result;
  if (!c || PQstatus(c) != CONNECTION_OK) {
    result = make_error(ErrorClass::unavailable,
                        "cannot connect to PostgreSQL at " + redact_url(url) + ": " +
                            trimmed(c ? PQerrorMessage(c) : "out of memory"));
  } else {
    PQsetNoticeProcessor(c, ignore_notice, nullptr);
    try {
      run_script(c, sql);
    } catch (const PgError& e) {
      result = translate_pg(e, "PostgreSQL " + redact_url(url));
    }
  }
  if (c) PQfinish(c);
  return result;
}

Result<std::unique_ptr<PgDatabase>> PgDatabase::open(const std::string& url) {
  if (url.empty()) return invalid_error("empty PostgreSQL URL");
  std::unique_ptr<PgDatabase> db(new PgDatabase(url, redact_url(url)));
  if (auto s = db->migrate(); !s.ok()) return s.error();
  return db;
}

Result<std::unique_ptr<PgDatabase>> PgDatabase::open_unmigrated(const std::string& url) {
  if (url.empty()) return invalid_error("empty PostgreSQL URL");
  return std::unique_ptr<PgDatabase>(new PgDatabase(url, redact_url(url)));
}

}  // namespace hypersdk::store::pg
