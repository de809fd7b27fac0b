// The PostgreSQL dialect of the schema migrations, embedded from schema/pg/NNNN_name.sql at
// build time (cmake/embed_schema.cmake). The same versions and names as schema/NNNN_name.sql
// (embedded_migrations()): one list of migrations, two dialect texts; a unit test holds them
// equal. The database's schema_version table holds the last version applied.
#pragma once

#include <vector>

#include "store/migrations.h"

namespace hypersdk::store::pg {

// Ordered by version, 1..N without gaps.
const std::vector<Migration>& embedded_pg_migrations();

}  // namespace hypersdk::store::pg
