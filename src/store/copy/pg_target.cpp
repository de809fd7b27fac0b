#include "store/copy/pg_target.h"

#include <regex>

#include "store/copy/utf8_repair.h"
#include "store/pg/pg_migrations.h"

namespace hypersdk::store::copy {

namespace {

using pg::p;

constexpr const char* kTargetTables =
    "SELECT table_name FROM information_schema.tables"
    " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'";
// $1 is the quoted table name (to_regclass and pg_get_serial_sequence parse it as SQL does).
constexpr const char* kDescribe =
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
    "       a.atthasdef OR a.attidentity <> '', pg_get_serial_sequence($1, a.attname)"
    "  FROM pg_attribute a"
    " WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
    " ORDER BY a.attnum";
constexpr const char* kSetval = "SELECT setval($1::regclass, $2::bigint, true)";

// A batch is sent when it holds this many rows or bytes, whichever comes first: large enough
// that round trips do not dominate, small enough to bound memory with big log chunks.
constexpr std::size_t kBatchRows = 5000;
constexpr std::size_t kBatchBytes = 8u << 20;

// One element of a PostgreSQL array literal: double-quoted, with " and \ escaped.
void append_element(std::string& array, const std::string& value) {
  array += '"';
  for (char ch : value) {
    if (ch == '"' || ch == '\\') array += '\\';
    array += ch;
  }
  array += '"';
}

std::string hex_bytea(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out = "\\x";
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

}  // namespace

const TargetColumn* TargetTable::column(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

std::set<std::string> target_tables(pg::Tx& tx) {
  std::set<std::string> out;
  auto rows = tx.exec(kTargetTables);
  for (int i = 0; i < rows.size(); ++i) out.insert(rows.text(i, 0));
  return out;
}

TargetTable describe_target(pg::Tx& tx, const std::string& table) {
  TargetTable t;
  t.name = table;
  auto rows = tx.exec(kDescribe, {p(quote_ident(table))});
  for (int i = 0; i < rows.size(); ++i) {
    TargetColumn c;
    c.name = rows.text(i, 0);
    c.type = rows.text(i, 1);
    c.not_null = rows.text(i, 2) == "t";
    c.has_default = rows.text(i, 3) == "t";
    c.sequence = rows.opt_text(i, 4);
    t.columns.push_back(std::move(c));
  }
  return t;
}

bool target_has_rows(pg::Tx& tx, const std::string& table) {
  return tx.exec("SELECT EXISTS (SELECT 1 FROM " + quote_ident(table) + ")").text(0, 0) == "t";
}

std::int64_t target_count(pg::Tx& tx, const std::string& table) {
  return tx.exec("SELECT count(*) FROM " + quote_ident(table)).i64(0, 0);
}

std::set<std::string> seeded_tables() {
  // INSERT INTO name (...) VALUES: a row the migration writes itself. INSERT ... SELECT moves
  // existing data (0003's log chunks) and seeds nothing in a fresh database.
  static const std::regex seed(R"(INSERT\s+INTO\s+(\w+)[^;]*?\bVALUES\b)", std::regex::icase);
  std::set<std::string> out;
  for (const auto& m : pg::embedded_pg_migrations())
    for (std::sregex_iterator it(m.sql.begin(), m.sql.end(), seed), end; it != end; ++it)
      out.insert((*it)[1].str());
  return out;
}

void reset_sequence(pg::Tx& tx, const std::string& table, const TargetColumn& column,
                    std::int64_t floor) {
  if (!column.sequence) return;
  const std::int64_t max_id = tx.exec("SELECT coalesce(max(" + quote_ident(column.name) +
                                      "), 0) FROM " + quote_ident(table))
                                  .i64(0, 0);
  const std::int64_t last = std::max(max_id, floor);
  if (last < 1) return;
  tx.exec(kSetval, {p(*column.sequence), p(last)});
}

BatchInsert::BatchInsert(pg::Tx& tx, const std::string& table,
                         std::vector<const TargetColumn*> columns)
    : tx_(tx), columns_(std::move(columns)), arrays_(columns_.size()) {
  std::string names, arrays;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    names += (i ? ", " : "") + quote_ident(columns_[i]->name);
    arrays += (i ? ", $" : "$") + std::to_string(i + 1) + "::" + columns_[i]->type + "[]";
  }
  // OVERRIDING SYSTEM VALUE: the ids are the source's, also in a GENERATED ALWAYS column.
  sql_ = "INSERT INTO " + quote_ident(table) + " (" + names +
         ") OVERRIDING SYSTEM VALUE SELECT * FROM unnest(" + arrays + ")";
}

void BatchInsert::add(std::vector<Cell>& row) {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    Cell& c = row[i];
    std::string& a = arrays_[i];
    a += buffered_rows_ ? ',' : '{';
    if (c.kind == Cell::null) {
      a += "NULL";
      continue;
    }
    if (c.kind == Cell::blob && columns_[i]->type == "bytea") {
      c.value = hex_bytea(c.value);
    } else if ((c.kind == Cell::text || c.kind == Cell::blob) && repair_utf8(c.value)) {
      ++repaired_;
    }
    append_element(a, c.value);
    buffered_bytes_ += c.value.size() + 3;
  }
  ++buffered_rows_;
  ++rows_;
  if (buffered_rows_ >= kBatchRows || buffered_bytes_ >= kBatchBytes) flush();
}

void BatchInsert::flush() {
  if (buffered_rows_ == 0) return;
  std::vector<pg::Param> params;
  params.reserve(arrays_.size());
  for (auto& a : arrays_) {
    a += '}';
    params.emplace_back(std::move(a));
    a.clear();
  }
  buffered_rows_ = 0;
  buffered_bytes_ = 0;
  tx_.exec(sql_, params);
}

}  // namespace hypersdk::store::copy
