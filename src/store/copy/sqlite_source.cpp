#include "store/copy/sqlite_source.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/database.h"
#include "store/migrations.h"

namespace hypersdk::store::copy {

namespace {

constexpr const char* kTables =
    "SELECT m.name, t.wr FROM sqlite_master m"
    " JOIN pragma_table_list t ON t.name = m.name AND t.schema = 'main'"
    " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.rowid";
constexpr const char* kColumns = "SELECT name FROM pragma_table_info(?) ORDER BY cid";
constexpr const char* kReferences = "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)";
constexpr const char* kHasTable =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?";
constexpr const char* kSequences = "SELECT name, seq FROM sqlite_sequence";
constexpr const char* kLiveServers =
    "SELECT address, pid, host FROM servers WHERE heartbeat >= ? ORDER BY heartbeat DESC";
constexpr const char* kForeignKeyCheck = "PRAGMA foreign_key_check";
// Examples of dangling references named in the error; the rest are counted.
constexpr std::size_t kMaxExamples = 5;

bool has_table(SQLite::Database& db, const std::string& name) {
  SQLite::Statement q(db, kHasTable);
  q.bind(1, name);
  return q.executeStep() && q.getColumn(0).getInt64() > 0;
}

// Parents first (Kahn's algorithm); ties keep the schema's order, so the result is stable.
// References to tables outside the list are ignored; a cycle keeps its tables in schema order.
std::vector<SourceTable> parents_first(std::vector<SourceTable> in) {
  std::vector<SourceTable> out;
  std::set<std::string> names, placed;
  for (const auto& t : in) names.insert(t.name);
  while (!in.empty()) {
    auto ready = std::find_if(in.begin(), in.end(), [&](const SourceTable& t) {
      return std::all_of(t.references.begin(), t.references.end(),
                         [&](const std::string& r) { return placed.count(r) || !names.count(r); });
    });
    if (ready == in.end()) ready = in.begin();
    placed.insert(ready->name);
    out.push_back(std::move(*ready));
    in.erase(ready);
  }
  return out;
}

Cell cell_of(const SQLite::Column& c) {
  Cell out;
  switch (c.getType()) {
    case SQLITE_INTEGER:
      out.kind = Cell::integer;
      out.value = std::to_string(c.getInt64());
      break;
    case SQLITE_FLOAT: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", c.getDouble());
      out.kind = Cell::real;
      out.value = buf;
      break;
    }
    case SQLITE_TEXT:
      out.kind = Cell::text;
      out.value.assign(static_cast<const char*>(c.getBlob()), c.getBytes());
      break;
    case SQLITE_BLOB:
      out.kind = Cell::blob;
      out.value.assign(static_cast<const char*>(c.getBlob()), c.getBytes());
      break;
    default:
      break;
  }
  return out;
}

}  // namespace

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char ch : name) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

SqliteSource::SqliteSource(std::string path, std::unique_ptr<SQLite::Database> db, int version)
    : path_(std::move(path)), db_(std::move(db)), version_(version) {}

SqliteSource::~SqliteSource() {
  try {
    if (db_) db_->exec("COMMIT");
  } catch (const std::exception&) {  // nothing was written; closing ends the transaction
  }
}

Result<std::unique_ptr<SqliteSource>> SqliteSource::open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return make_error(ErrorClass::not_found, "no SQLite database at " + path);
  if (std::filesystem::is_directory(path, ec))
    return invalid_error(path + " is a directory, not a SQLite database file");
  std::unique_ptr<SQLite::Database> db;
  int version = 0;
  try {
    db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY);
    db->setBusyTimeout(5000);
    // One snapshot for everything read from here on (the first read starts it).
    db->exec("BEGIN");
    version = db->execAndGet("PRAGMA user_version").getInt();
    if (version == 0 || !has_table(*db, "jobs"))
      return invalid_error(path + " is not a hypersdk database (no hypersdk schema in it)");
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() == SQLITE_NOTADB)
      return invalid_error(path + " is not a SQLite database (" + e.what() + ")");
    return translate(e, "reading " + path);
  }
  const int latest = latest_schema_version();
  if (version < latest)
    return make_error(ErrorClass::conflict,
                      path + " has schema version " + std::to_string(version) +
                          ", older than this binary's " + std::to_string(latest) +
                          ": run `hypersdk db migrate --db " + path + "` first");
  if (version > latest)
    return make_error(ErrorClass::conflict, path + " has schema version " +
                                                std::to_string(version) +
                                                ", newer than this binary's " +
                                                std::to_string(latest) + ": upgrade hypersdk");
  return std::unique_ptr<SqliteSource>(new SqliteSource(path, std::move(db), version));
}

Result<std::vector<SourceTable>> SqliteSource::tables() {
  try {
    std::vector<SourceTable> out;
    SQLite::Statement q(*db_, kTables);
    while (q.executeStep()) {
      SourceTable t;
      t.name = q.getColumn(0).getString();
      t.without_rowid = q.getColumn(1).getInt() != 0;
      SQLite::Statement cols(*db_, kColumns);
      cols.bind(1, t.name);
      while (cols.executeStep()) t.columns.push_back(cols.getColumn(0).getString());
      SQLite::Statement refs(*db_, kReferences);
      refs.bind(1, t.name);
      while (refs.executeStep()) {
        std::string r = refs.getColumn(0).getString();
        if (r != t.name) t.references.push_back(std::move(r));
      }
      out.push_back(std::move(t));
    }
    return parents_first(std::move(out));
  } catch (const std::exception& e) {
    return translate(e, "reading the tables of " + path_);
  }
}

Result<std::map<std::string, std::int64_t>> SqliteSource::sequences() {
  try {
    std::map<std::string, std::int64_t> out;
    if (!has_table(*db_, "sqlite_sequence")) return out;
    SQLite::Statement q(*db_, kSequences);
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    return out;
  } catch (const std::exception& e) {
    return translate(e, "reading sqlite_sequence of " + path_);
  }
}

Result<std::vector<std::string>> SqliteSource::live_servers(std::int64_t fresh_after) {
  try {
    std::vector<std::string> out;
    if (!has_table(*db_, "servers")) return out;
    SQLite::Statement q(*db_, kLiveServers);
    q.bind(1, static_cast<std::int64_t>(fresh_after));
    while (q.executeStep())
      out.push_back(q.getColumn(0).getString() + " (pid " +
                    std::to_string(q.getColumn(1).getInt64()) + " on " +
                    q.getColumn(2).getString() + ")");
    return out;
  } catch (const std::exception& e) {
    return translate(e, "reading the servers of " + path_);
  }
}

Result<std::vector<std::string>> SqliteSource::dangling_references() {
  try {
    std::vector<std::string> out;
    std::int64_t n = 0;
    SQLite::Statement q(*db_, kForeignKeyCheck);
    while (q.executeStep()) {
      if (++n > static_cast<std::int64_t>(kMaxExamples)) continue;
      out.push_back(q.getColumn(0).getString() + " row " + q.getColumn(1).getString() + " -> " +
                    q.getColumn(2).getString());
    }
    if (n > static_cast<std::int64_t>(kMaxExamples))
      out.push_back("and " + std::to_string(n - static_cast<std::int64_t>(kMaxExamples)) + " more");
    return out;
  } catch (const std::exception& e) {
    return translate(e, "checking the foreign keys of " + path_);
  }
}

Result<std::int64_t> SqliteSource::count(const std::string& table) {
  try {
    return db_->execAndGet("SELECT count(*) FROM " + quote_ident(table)).getInt64();
  } catch (const std::exception& e) {
    return translate(e, "counting the rows of " + table + " in " + path_);
  }
}

Status SqliteSource::scan(const SourceTable& table,
                          const std::function<Status(std::vector<Cell>&)>& row) {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < table.columns.size(); ++i)
    sql += (i ? ", " : "") + quote_ident(table.columns[i]);
  sql += " FROM " + quote_ident(table.name);
  if (!table.without_rowid) sql += " ORDER BY rowid";
  try {
    SQLite::Statement q(*db_, sql);
    std::vector<Cell> cells(table.columns.size());
    while (q.executeStep()) {
      for (int i = 0; i < static_cast<int>(cells.size()); ++i) cells[i] = cell_of(q.getColumn(i));
      if (Status s = row(cells); !s.ok()) return s;
    }
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return translate(e, "reading " + table.name + " from " + path_);
  }
}

}  // namespace hypersdk::store::copy
