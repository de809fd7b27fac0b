#include "providers/local_provider.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <system_error>

namespace hypersdk::providers {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSnapshots = ".snapshots";

bool is_disk_file(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".raw" || ext == ".img" || ext == ".qcow2" || ext == ".vmdk";
}

std::uint64_t be64(const unsigned char* b) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

std::uint64_t le64(const unsigned char* b) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

// A snapshot id safe as a directory name: "s" + ms since the epoch + a process counter.
std::string new_snapshot_id() {
  static std::atomic<int> counter{0};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return "s" + std::to_string(ms) + "-" + std::to_string(counter.fetch_add(1));
}

bool safe_component(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos &&
         s.find('\0') == std::string::npos;
}

// Copies `from` to `to`: a reflink when the file system offers one (instant, shares blocks
// until either side changes), else a full copy.
Status clone_file(const fs::path& from, const fs::path& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return make_error(ErrorClass::not_found, "cannot read " + from.string() + ": " +
                                                 std::generic_category().message(errno));
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    const int e = errno;
    ::close(in);
    return make_error(ErrorClass::internal,
                      "cannot create " + to.string() + ": " + std::generic_category().message(e));
  }
  const bool cloned = ::ioctl(out, FICLONE, in) == 0;
  ::close(in);
  ::close(out);
  if (cloned) return Status::Ok();
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec)
    return make_error(ErrorClass::internal,
                      "cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

bool name_matches(const std::string& glob, const std::string& name) {
  if (glob.empty()) return true;
  // fnmatch without FNM_PATHNAME: VM names are not paths.
  return ::fnmatch(glob.c_str(), name.c_str(), 0) == 0;
}

Result<Disk> probe_disk(const fs::path& path) {
  std::error_code sec;
  const auto st = fs::status(path, sec);
  if (sec || !fs::exists(st)) return make_error(ErrorClass::not_found, "no disk " + path.string());
  if (!fs::is_regular_file(st)) {
    // A pipe or device streams raw bytes; reading its head here would consume them.
    return Disk{path.string(), "raw", 0, 0};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorClass::not_found, "cannot read disk " + path.string());
  unsigned char head[64] = {};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  std::error_code ec;
  Disk d;
  d.path = path.string();
  d.file_size = fs::file_size(path, ec);
  if (ec) return make_error(ErrorClass::internal, "cannot stat " + path.string());
  if (in.gcount() >= 32 && head[0] == 'Q' && head[1] == 'F' && head[2] == 'I' && head[3] == 0xfb) {
    d.format = "qcow2";
    d.capacity = be64(head + 24);
  } else if (in.gcount() >= 20 && head[0] == 'K' && head[1] == 'D' && head[2] == 'M' &&
             head[3] == 'V') {
    d.format = "vmdk";
    d.capacity = le64(head + 12) * 512;
  } else {
    d.format = "raw";
    d.capacity = d.file_size;
  }
  return d;
}

Result<fs::path> LocalProvider::vm_dir(const std::string& vm) const {
  if (!safe_component(vm))
    return invalid_error("VM name '" + vm + "' is not a plain name (no '/', not '.' or '..')");
  for (const auto& dir : dirs_) {
    std::error_code ec;
    if (fs::is_directory(dir / vm, ec)) return dir / vm;
  }
  return make_error(ErrorClass::not_found, "no VM '" + vm + "' in provider '" + name_ +
                                               "' (a VM is a subdirectory of its dirs)");
}

Result<Vm> LocalProvider::read_vm(const fs::path& dir) const {
  Vm vm;
  vm.name = dir.filename().string();
  vm.state = "stopped";
  std::vector<fs::path> files;
  const fs::path manifest = dir / "vm.yaml";
  std::error_code ec;
  if (fs::exists(manifest, ec)) {
    try {
      const YAML::Node m = YAML::LoadFile(manifest.string());
      if (m["cpus"]) vm.cpus = m["cpus"].as<int>();
      if (m["memory_mib"]) vm.memory_mib = m["memory_mib"].as<std::uint64_t>();
      if (m["disks"])
        for (const auto& d : m["disks"]) {
          const std::string f = d.as<std::string>();
          if (!safe_component(f))
            return invalid_error(manifest.string() + ": disk '" + f +
                                 "' must be a file name in the VM's directory");
          files.push_back(dir / f);
        }
    } catch (const std::exception& e) {
      return invalid_error(manifest.string() + ": " + e.what() +
                           " (expected {cpus, memory_mib, disks: [file, ...]})");
    }
    if (vm.cpus < 1 || vm.memory_mib < 1)
      return invalid_error(manifest.string() + ": cpus and memory_mib must be at least 1");
  }
  if (files.empty()) {
    for (const auto& e : fs::directory_iterator(dir, ec))
      if ((e.is_regular_file() || e.is_fifo()) && is_disk_file(e.path())) files.push_back(e.path());
    std::sort(files.begin(), files.end());
  }
  for (const auto& f : files) {
    auto d = probe_disk(f);
    if (!d) return d.error();
    vm.disks.push_back(*d);
  }
  return vm;
}

TestReport LocalProvider::test() {
  TestReport r;
  if (dirs_.empty()) {
    r.cls = ErrorClass::invalid;
    r.diagnosis = "no directories configured: set providers." + name_ + ".dirs";
    return r;
  }
  for (const auto& dir : dirs_) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
      r.cls = ErrorClass::not_found;
      r.diagnosis = "directory " + dir.string() + " does not exist: create it or fix providers." +
                    name_ + ".dirs";
      return r;
    }
    if (!fs::is_directory(dir, ec)) {
      r.cls = ErrorClass::invalid;
      r.diagnosis = dir.string() + " is not a directory: providers." + name_ +
                    ".dirs lists directories that hold one subdirectory per VM";
      return r;
    }
    if (::access(dir.c_str(), R_OK | X_OK) != 0) {
      r.cls = ErrorClass::auth;
      r.diagnosis = "missing permission: user " + std::to_string(::getuid()) +
                    " cannot read directory " + dir.string() +
                    " (grant read and execute on it, e.g. add the user to its group)";
      return r;
    }
  }
  auto vms = list("");
  if (!vms) {
    r.cls = vms.error().cls;
    r.diagnosis = vms.error().message;
    return r;
  }
  r.ok = true;
  r.vm_count = static_cast<int>(vms->size());
  r.diagnosis =
      std::to_string(r.vm_count) + " VMs in " + std::to_string(dirs_.size()) + " directories";
  return r;
}

Result<std::vector<Vm>> LocalProvider::list(const std::string& glob) {
  std::vector<Vm> out;
  for (const auto& dir : dirs_) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec)
      return make_error(ErrorClass::not_found, "cannot list " + dir.string() + " of provider '" +
                                                   name_ + "': " + ec.message());
    for (const auto& e : it) {
      const std::string n = e.path().filename().string();
      if (!e.is_directory() || n.starts_with(".") || !name_matches(glob, n)) continue;
      auto vm = read_vm(e.path());
      if (!vm) return vm.error();
      out.push_back(std::move(*vm));
    }
  }
  std::sort(out.begin(), out.end(), [](const Vm& a, const Vm& b) { return a.name < b.name; });
  return out;
}

Result<Vm> LocalProvider::get(const std::string& vm) {
  auto dir = vm_dir(vm);
  if (!dir) return dir.error();
  return read_vm(*dir);
}

Result<std::string> LocalProvider::snapshot_create(const std::string& vm,
                                                   const std::function<bool()>& cancelled) {
  (void)cancelled;  // its snapshots are quick local operations
  auto v = get(vm);
  if (!v) return v.error();
  auto dir = vm_dir(vm);
  const std::string id = new_snapshot_id();
  const fs::path snap = *dir / kSnapshots / id;
  std::error_code ec;
  fs::create_directories(snap, ec);
  if (ec)
    return make_error(ErrorClass::auth,
                      "cannot create snapshot directory " + snap.string() + ": " + ec.message());
  for (const auto& d : v->disks) {
    if (Status s = clone_file(d.path, snap / fs::path(d.path).filename()); !s.ok()) {
      fs::remove_all(snap, ec);
      return s.error();
    }
  }
  return id;
}

Status LocalProvider::snapshot_remove(const std::string& vm, const std::string& snapshot,
                                      const std::function<bool()>& cancelled) {
  (void)cancelled;  // its snapshots are quick local operations
  if (!safe_component(snapshot)) return invalid_error("snapshot id '" + snapshot + "' is invalid");
  auto dir = vm_dir(vm);
  if (!dir) return dir.error();
  std::error_code ec;
  fs::remove_all(*dir / kSnapshots / snapshot, ec);
  if (ec) return make_error(ErrorClass::internal, "cannot remove snapshot: " + ec.message());
  return Status::Ok();
}

Result<std::vector<Disk>> LocalProvider::disks(const std::string& vm, const std::string& snapshot) {
  auto v = get(vm);
  if (!v) return v.error();
  if (snapshot.empty()) return v->disks;
  if (!safe_component(snapshot)) return invalid_error("snapshot id '" + snapshot + "' is invalid");
  const fs::path snap = *vm_dir(vm) / kSnapshots / snapshot;
  std::error_code ec;
  if (!fs::is_directory(snap, ec))
    return make_error(ErrorClass::not_found, "no snapshot '" + snapshot + "' of VM '" + vm +
                                                 "' in provider '" + name_ + "'");
  std::vector<Disk> out;
  for (const auto& d : v->disks) {
    auto s = probe_disk(snap / fs::path(d.path).filename());
    if (!s) return s.error();
    out.push_back(*s);
  }
  return out;
}

}  // namespace hypersdk::providers
