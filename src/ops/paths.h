// The process environment as an injectable value, and where hypersdk keeps its files when
// the config does not say. `serve` and every CLI command resolve the database path through
// resolve_db_path(), so with no config at all they open the same file.
//
// Thread safety: pure functions, except environ_map() (reads environ; do not call it while
// another thread runs setenv) and ensure_parent_dir() (touches the filesystem).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/error.h"

namespace hypersdk::ops {

using EnvMap = std::map<std::string, std::string, std::less<>>;

// A copy of the process environment.
EnvMap environ_map();

inline constexpr std::string_view kServiceUser = "hypersdk";
inline constexpr std::string_view kStateDir = "/var/lib/hypersdk";
inline constexpr std::string_view kDbFileName = "hypersdk.db";

// root, or the service user (kServiceUser) when state_dir is writable:
//   state_dir/hypersdk.db
// anyone else: ${XDG_DATA_HOME:-$HOME/.local/share}/hypersdk/hypersdk.db
// (HOME falls back to the passwd entry of euid).
std::filesystem::path default_db_path(const EnvMap& env, uid_t euid,
                                      const std::filesystem::path& state_dir = kStateDir);

// `configured` (db.path) when set, with a leading "~/" expanded; else default_db_path().
std::filesystem::path resolve_db_path(std::string_view configured, const EnvMap& env, uid_t euid);

// Creates the missing directories above `path`, each with mode 0700. Existing ones are left
// as they are. Error class invalid, naming the directory, when one cannot be created.
Status ensure_parent_dir(const std::filesystem::path& path);

}  // namespace hypersdk::ops
