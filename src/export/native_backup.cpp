#include "export/native_backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "export/atomic_output.h"
#include "export/qemu_img.h"

namespace hypersdk::exporter {

namespace fs = std::filesystem;

Result<Adopted> adopt_native_backup(const fs::path& from, const fs::path& to,
                                    const std::string& backing) {
  const fs::path tmp = to.parent_path() / ("." + to.filename().string() + ".adopt");
  struct Cleanup {
    fs::path p;
    bool armed = true;
    ~Cleanup() {
      std::error_code e;
      if (armed) fs::remove(p, e);
    }
  } cleanup{tmp};
  std::error_code ec;
  fs::rename(from, tmp, ec);
  if (ec) {
    // Another file system: copy, then drop the hypervisor's file.
    ec.clear();
    fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec)
      return make_error(ErrorClass::internal, "cannot move the backup " + from.string() + " to " +
                                                  tmp.string() + ": " + ec.message());
    fs::remove(from, ec);
  }
  std::vector<std::string> rebase{"rebase", "-q", "-u", "-f", "qcow2", "-b", backing};
  if (!backing.empty()) rebase.insert(rebase.end(), {"-F", "qcow2"});
  rebase.push_back(tmp.string());
  if (auto r = qemu_img(rebase); !r) return r.error();
  if (auto check = qemu_img({"check", "-q", "-f", "qcow2", tmp.string()}); !check)
    return make_error(ErrorClass::internal,
                      "the new backup failed qemu-img check: " + check.error().message);
  Adopted out;
  auto map = qemu_img({"map", "--output=json", "-f", "qcow2", tmp.string()});
  if (!map) return map.error();
  const auto extents = nlohmann::json::parse(*map, nullptr, false);
  if (extents.is_array())
    for (const auto& e : extents)
      if (e.value("depth", 1) == 0 && e.value("data", false))
        out.data_bytes += e.value("length", std::uint64_t{0});
  const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return make_error(ErrorClass::internal, "cannot fsync " + tmp.string());
  }
  ::close(fd);
  out.size = fs::file_size(tmp, ec);
  fs::rename(tmp, to, ec);
  if (ec) return make_error(ErrorClass::internal, "cannot rename to " + to.string());
  cleanup.armed = false;
  if (Status s = sync_directory(to.parent_path()); !s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::exporter
