#include "cli/db_backups.h"

#include <filesystem>

#include "store/migrations.h"

namespace hypersdk::cli {
namespace fs = std::filesystem;

std::optional<std::string> newest_backup(const std::string& db_path, int max_schema_version) {
  const fs::path db(db_path);
  const std::string prefix = db.filename().string() + ".backup-v";
  const fs::path dir = db.has_parent_path() ? db.parent_path() : fs::path(".");
  std::optional<std::string> best;
  std::string best_time;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    // <N>-<YYYYmmddTHHMMSSZ>: the time sorts as text.
    const std::string rest = name.substr(prefix.size());
    const auto dash = rest.find('-');
    if (dash == std::string::npos || dash == 0) continue;
    int version = 0;
    try {
      version = std::stoi(rest.substr(0, dash));
    } catch (const std::exception&) {
      continue;
    }
    const std::string time = rest.substr(dash + 1);
    if (version > max_schema_version || (best && time <= best_time)) continue;
    best = it->path().string();
    best_time = time;
  }
  return best;
}

Error with_backup_hint(const Error& e, const std::string& db_path) {
  // The store words this refusal "... newer than this hypersdk supports ..." (database.cpp).
  if (e.cls != ErrorClass::conflict ||
      e.message.find("newer than this hypersdk") == std::string::npos)
    return e;
  auto backup = newest_backup(db_path, store::latest_schema_version());
  if (!backup)
    return make_error(
        e.cls, e.message + "; no backup readable by this version was found beside " + db_path);
  return make_error(e.cls, e.message + "; the backup to restore is " + *backup +
                               " (stop the service, then: cp " + *backup + " " + db_path +
                               " && rm -f " + db_path + "-wal " + db_path + "-shm)");
}

}  // namespace hypersdk::cli
