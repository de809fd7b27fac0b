#include "ops/paths.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

extern char** environ;

namespace hypersdk::ops {
namespace {

struct PasswdEntry {
  std::string name;
  std::string home;
};

std::optional<PasswdEntry> lookup_user(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr)
    return std::nullopt;
  return PasswdEntry{pw.pw_name ? pw.pw_name : "", pw.pw_dir ? pw.pw_dir : ""};
}

std::string env_or(const EnvMap& env, std::string_view name, std::string fallback = {}) {
  auto it = env.find(name);
  return it == env.end() || it->second.empty() ? fallback : it->second;
}

std::filesystem::path home_dir(const EnvMap& env, uid_t euid) {
  std::string home = env_or(env, "HOME");
  if (home.empty()) {
    if (auto user = lookup_user(euid)) home = user->home;
  }
  return home.empty() ? std::filesystem::path(".") : std::filesystem::path(home);
}

}  // namespace

EnvMap environ_map() {
  EnvMap env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

std::filesystem::path default_db_path(const EnvMap& env, uid_t euid,
                                      const std::filesystem::path& state_dir) {
  if (euid == 0) return state_dir / kDbFileName;
  auto user = lookup_user(euid);
  if (user && user->name == kServiceUser &&
      faccessat(AT_FDCWD, state_dir.c_str(), W_OK, AT_EACCESS) == 0)
    return state_dir / kDbFileName;
  // XDG: a relative XDG_DATA_HOME is invalid and must be ignored.
  std::filesystem::path data = env_or(env, "XDG_DATA_HOME");
  if (data.empty() || data.is_relative()) data = home_dir(env, euid) / ".local" / "share";
  return data / "hypersdk" / kDbFileName;
}

std::filesystem::path resolve_db_path(std::string_view configured, const EnvMap& env, uid_t euid) {
  if (configured.empty()) return default_db_path(env, euid);
  if (configured == "~" || configured.starts_with("~/"))
    return home_dir(env, euid) /
           std::string(configured.substr(std::min<size_t>(2, configured.size())));
  return std::filesystem::path(configured);
}

Status ensure_parent_dir(const std::filesystem::path& path) {
  std::filesystem::path dir;
  for (const auto& part : path.parent_path()) {
    dir /= part;
    if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) {
      struct stat st {};
      if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
      return Error{ErrorClass::invalid,
                   "cannot create directory " + dir.string() + ": a file of that name exists"};
    }
    // mkdir on an existing directory we may not write to reports EACCES, not EEXIST.
    const int err = errno;
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return Error{ErrorClass::invalid,
                 "cannot create directory " + dir.string() + ": " + std::strerror(err)};
  }
  return Status::Ok();
}

}  // namespace hypersdk::ops
