// The writing side of `db copy`: what a PostgreSQL database's tables look like (read from its
// catalog, so the copy follows whatever the migrations made) and batched inserts into them.
// Everything here runs inside the caller's transaction (a pg::Tx).
// Thread safety: one owner thread (as pg::Tx).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/copy/sqlite_source.h"
#include "store/pg/pg_database.h"

namespace hypersdk::store::copy {

struct TargetColumn {
  std::string name;
  std::string type;  // format_type(): "bigint", "text", ... (castable as written)
  bool not_null = false;
  bool has_default = false;             // a DEFAULT, identity or serial
  std::optional<std::string> sequence;  // identity/serial columns: the sequence behind them
};

struct TargetTable {
  std::string name;
  std::vector<TargetColumn> columns;
  const TargetColumn* column(const std::string& name) const;
};

// The base tables of the connection's current schema.
std::set<std::string> target_tables(pg::Tx& tx);
TargetTable describe_target(pg::Tx& tx, const std::string& table);
bool target_has_rows(pg::Tx& tx, const std::string& table);
std::int64_t target_count(pg::Tx& tx, const std::string& table);
// The tables the PostgreSQL migrations seed with a row of their own (INSERT ... VALUES, such
// as schedule_generation's one counter row): a fresh database holds these rows, so they are
// replaced by the source's rather than taken as a sign the target is in use.
std::set<std::string> seeded_tables();
// Moves the column's sequence past max(column, floor) so the next row gets a new id; leaves it
// alone when both are below 1 (the sequence then starts at 1, as in a fresh database).
void reset_sequence(pg::Tx& tx, const std::string& table, const TargetColumn& column,
                    std::int64_t floor);

// Multi-row inserts of one table: INSERT ... SELECT * FROM unnest($1::t1[], ..., $n::tn[]),
// one array parameter per column, so a batch of thousands of rows is one short statement
// (no 65,535-parameter limit, little to parse).
class BatchInsert {
 public:
  // REQUIRES: every entry of `columns` belongs to `table` and outlives this object.
  BatchInsert(pg::Tx& tx, const std::string& table, std::vector<const TargetColumn*> columns);
  // Adds a row (one cell per column, in order; the cells may be changed); sends the batch when
  // it is full. Text that is not valid UTF-8 or holds NUL is repaired (see utf8_repair.h).
  void add(std::vector<Cell>& row);
  // Sends what is buffered.
  void flush();
  std::int64_t rows() const { return rows_; }
  // Values whose text was repaired.
  std::int64_t repaired() const { return repaired_; }

 private:
  pg::Tx& tx_;
  std::string sql_;
  std::vector<const TargetColumn*> columns_;
  std::vector<std::string> arrays_;  // array literals being built, one per column
  std::size_t buffered_rows_ = 0;
  std::size_t buffered_bytes_ = 0;
  std::int64_t rows_ = 0;
  std::int64_t repaired_ = 0;
};

}  // namespace hypersdk::store::copy
