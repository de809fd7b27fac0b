// serve on PostgreSQL (db.url, issue 17): what the runtime can do there today.
#pragma once

#include <string>

#include "core/error.h"

namespace hypersdk::engine {

// Connects to `url` and brings its schema up to date (so a bad URL, an unreachable server or
// a newer schema is reported as such), then refuses with the list of the services that still
// need the SQLite database: the PostgreSQL store (store/pg/) covers the job queue, schedules
// and workflows, but not yet the notification outbox, the audit log, the server registry, the
// backup and upload records, the store statistics of /metrics and the WAL checkpointer.
// Always an error: invalid (exit 2) when the database is fine, else the connection's class.
Error refuse_postgres_serve(const std::string& url);

}  // namespace hypersdk::engine
