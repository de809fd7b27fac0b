// The backups the store takes before migrating (store/database.h: PATH.backup-v<N>-<UTC time>)
// and how to point an operator at the right one: a database newer than this binary (a
// rolled-back binary) is restored from the newest backup this binary can read.
// Thread safety: reads the filesystem; no state.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"

namespace hypersdk::cli {

// The newest PATH.backup-v<N>-* beside `db_path` with N <= max_schema_version; nullopt when
// there is none.
std::optional<std::string> newest_backup(const std::string& db_path, int max_schema_version);

// When `e` is the store's refusal of a database newer than this binary, the same error with
// the backup to restore and how; any other error unchanged.
Error with_backup_hint(const Error& e, const std::string& db_path);

}  // namespace hypersdk::cli
