#include "engine/upload_retention.h"

#include <algorithm>

namespace hypersdk::engine {

namespace {

std::string dir_of(const std::string& key) {
  const auto slash = key.rfind('/');
  return slash == std::string::npos ? "" : key.substr(0, slash + 1);
}

}  // namespace

std::vector<std::string> retention_victims(const std::vector<targets::ObjectEntry>& objects,
                                           const std::string& just_made, const std::string& vm,
                                           int keep_last) {
  const std::string dir = dir_of(just_made);
  const std::string stem = vm + "-";
  std::vector<const targets::ObjectEntry*> older;
  for (const auto& o : objects) {
    if (o.key == just_made || !o.key.starts_with(dir)) continue;
    const std::string name = o.key.substr(dir.size());
    if (name.find('/') != std::string::npos || !name.starts_with(stem)) continue;
    older.push_back(&o);
  }
  // Newest first; the one just made is the newest of all and takes one of the places.
  std::sort(older.begin(), older.end(), [](const auto* a, const auto* b) {
    return a->modified_ms != b->modified_ms ? a->modified_ms > b->modified_ms : a->key > b->key;
  });
  std::vector<std::string> out;
  for (std::size_t i = static_cast<std::size_t>(std::max(keep_last - 1, 0)); i < older.size(); ++i)
    out.push_back(older[i]->key);
  std::reverse(out.begin(), out.end());  // oldest first
  return out;
}

Result<std::vector<std::string>> apply_retention(targets::Target& target,
                                                 const std::string& just_made,
                                                 const std::string& vm, int keep_last) {
  auto objects = target.list(dir_of(just_made) + vm + "-");
  if (!objects) return objects.error();
  std::vector<std::string> removed;
  for (const auto& key : retention_victims(*objects, just_made, vm, keep_last)) {
    if (Status s = target.remove(key); !s.ok())
      return make_error(s.error().cls,
                        "keep_last: removing " + key + " failed: " + s.error().message);
    removed.push_back(key);
  }
  return removed;
}

}  // namespace hypersdk::engine
