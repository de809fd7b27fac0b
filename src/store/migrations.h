// Schema migrations embedded from schema/NNNN_name.sql at build time (cmake/embed_schema.cmake).
// The database's PRAGMA user_version is the number of the last migration applied.
#pragma once

#include <string>
#include <vector>

namespace hypersdk::store {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// Ordered by version, 1..N without gaps.
const std::vector<Migration>& embedded_migrations();

inline int latest_schema_version() {
  const auto& m = embedded_migrations();
  return m.empty() ? 0 : m.back().version;
}

}  // namespace hypersdk::store
