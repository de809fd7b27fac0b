// The reading side of `db copy`: a hypersdk SQLite database opened read-only, one read
// transaction (one consistent snapshot) from open to destruction, so the rows copied and the
// rows counted afterwards are the same rows even if something writes to the file meanwhile.
// Thread safety: one owner thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace SQLite {
class Database;
}

namespace hypersdk::store::copy {

// One value as read from SQLite: NULL, or its text form (integers in decimal, reals with 17
// significant digits, text and blobs as their bytes).
struct Cell {
  enum Kind { null, integer, real, text, blob } kind = null;
  std::string value;
};

struct SourceTable {
  std::string name;
  std::vector<std::string> columns;     // in declaration order
  std::vector<std::string> references;  // tables its foreign keys point to (not itself)
  bool without_rowid = false;
};

class SqliteSource {
 public:
  // Opens `path` read-only and checks it is a hypersdk database at this binary's schema
  // version: not_found when there is no file, invalid when it is not a hypersdk database,
  // conflict when its schema is older (run `db migrate`) or newer (upgrade) than the binary.
  static Result<std::unique_ptr<SqliteSource>> open(const std::string& path);
  ~SqliteSource();

  const std::string& path() const { return path_; }
  int schema_version() const { return version_; }

  // The schema's tables (no sqlite_* internals), parents before the tables that reference
  // them, so inserting in this order satisfies every foreign key.
  Result<std::vector<SourceTable>> tables();
  // AUTOINCREMENT high-water marks (sqlite_sequence): the largest id a table ever handed out,
  // which may exceed its largest id today (deleted schedules' ids are never reused).
  Result<std::map<std::string, std::int64_t>> sequences();
  // Servers whose heartbeat is at or after `fresh_after` (ms since the epoch): a serve is
  // running on this file. Empty when the table does not exist.
  Result<std::vector<std::string>> live_servers(std::int64_t fresh_after);
  // Rows whose foreign key points nowhere ("jobs row 7 -> workflows"); PostgreSQL enforces
  // what SQLite may not have, so these would fail the copy.
  Result<std::vector<std::string>> dangling_references();
  Result<std::int64_t> count(const std::string& table);
  // Calls `row` for every row of `table` (the given columns, in that order), in primary key
  // order so a self-referencing row (a backup's parent) comes after the one it names.
  Status scan(const SourceTable& table, const std::function<Status(std::vector<Cell>&)>& row);

 private:
  SqliteSource(std::string path, std::unique_ptr<SQLite::Database> db, int version);
  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
  int version_ = 0;
};

// A table or column name quoted for SQL ("a""b"); both dialects quote identifiers this way.
std::string quote_ident(const std::string& name);

}  // namespace hypersdk::store::copy
