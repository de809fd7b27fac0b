#include "export/ova.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

#include "export/atomic_output.h"
#include "export/sha256.h"
#include "export/sha256_pair.h"
#include "export/ustar.h"

namespace hypersdk::exporter {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxManifestBytes = 1 << 20;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Writes `n` bytes into the archive, hashing them into the archive's digest.
Status put(int out, const void* data, std::size_t n, Sha256Stream& whole) {
  whole.update(data, n);
  return write_all(out, data, n, nullptr, "the OVA");
}

// Writes `data` as one member, hashing it into `whole` and its own hash.
Status put_member(int out, const std::string& name, const std::string& data, Sha256Stream& whole,
                  std::string& member_hash) {
  auto h = tar_header(name, data.size(), 0);
  if (!h) return h.error();
  if (Status s = put(out, h->data(), h->size(), whole); !s.ok()) return s;
  Sha256Stream mh;
  mh.update(data.data(), data.size());
  member_hash = mh.hex();
  if (Status s = put(out, data.data(), data.size(), whole); !s.ok()) return s;
  static const char zeros[kTarBlock] = {};
  return put(out, zeros, tar_padding(data.size()), whole);
}

// read, hash both digests, write: for a file that cannot be mapped.
Result<std::uint64_t> read_member(int in, int out, std::uint64_t size, Sha256Stream& member,
                                  Sha256Stream& whole, const PumpHooks& hooks,
                                  const std::string& what) {
  std::vector<char> buf(1 << 20);
  std::uint64_t moved = 0;
  while (moved < size) {
    if (hooks.cancelled && hooks.cancelled())
      return make_error(ErrorClass::cancelled, "cancelled while copying " + what);
    const ssize_t r = ::read(in, buf.data(), std::min<std::uint64_t>(buf.size(), size - moved));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0)
      return make_error(ErrorClass::internal,
                        "reading " + what + " failed: " + std::strerror(errno));
    if (r == 0) break;
    const auto n = static_cast<std::size_t>(r);
    Sha256Stream::update_pair(member, whole, buf.data(), n);
    if (Status s = write_all(out, buf.data(), n, nullptr, what); !s.ok()) return s.error();
    moved += n;
    if (hooks.progress) hooks.progress(moved);
  }
  return moved;
}

// A regular file's bytes into the archive: the kernel copies them (copy_file_range: no trip
// through user space) while one thread hashes the same bytes from a read-only mapping into
// both digests at once (the member's for the manifest, the archive's; update_pair). One read
// of the data from disk, the hashing from the page cache, two threads in all: the copy and
// its write-back are never starved by hashing on a two-core machine. Falls back to
// read/hash/write where the file cannot be mapped or the kernel cannot copy.
Result<std::uint64_t> copy_member(int in, int out, std::uint64_t size, Sha256Stream& member,
                                  Sha256Stream& whole, const PumpHooks& hooks,
                                  const std::string& what) {
  if (size == 0) return std::uint64_t{0};
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, in, 0);
  if (map == MAP_FAILED) return read_member(in, out, size, member, whole, hooks, what);
  ::madvise(map, size, MADV_SEQUENTIAL);
  std::atomic<bool> stop{false};
  std::thread hasher([&] {
    const char* p = static_cast<const char*>(map);
    constexpr std::uint64_t kStep = 1 << 20;
    for (std::uint64_t off = 0; off < size && !stop; off += kStep)
      Sha256Stream::update_pair(member, whole, p + off,
                                static_cast<std::size_t>(std::min(kStep, size - off)));
  });
  std::uint64_t moved = 0;
  loff_t off_in = 0;
  // Where this member starts in the archive: each copied chunk's write-back is started at
  // once (sync_file_range), so the disk writes run while the hashes are computed instead of
  // all in the final fsync, which then finds little left to do.
  const off_t out_base = ::lseek(out, 0, SEEK_CUR);
  Error failure{ErrorClass::internal, ""};
  bool failed = false;
  constexpr std::size_t kCopyStep = 64 << 20;
  while (moved < size) {
    if (hooks.cancelled && hooks.cancelled()) {
      failure = make_error(ErrorClass::cancelled, "cancelled while copying " + what);
      failed = true;
      break;
    }
    const ssize_t n = ::copy_file_range(
        in, &off_in, out, nullptr,
        static_cast<std::size_t>(std::min<std::uint64_t>(kCopyStep, size - moved)), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failure = make_error(ErrorClass::internal,
                           "copying " + what + " into the OVA failed: " +
                               (n == 0 ? std::string("short file") : std::strerror(errno)));
      failed = true;
      break;
    }
    if (out_base >= 0)
      ::sync_file_range(out, out_base + static_cast<off_t>(moved), n, SYNC_FILE_RANGE_WRITE);
    moved += static_cast<std::uint64_t>(n);
    if (hooks.progress) hooks.progress(moved);
  }
  if (failed) stop = true;
  hasher.join();
  ::munmap(map, size);
  if (failed) return failure;
  return moved;
}

}  // namespace

Result<OvaResult> write_ova(const fs::path& out, const std::string& vm_name, int cpus,
                            std::uint64_t memory_mib, const std::vector<OvaDisk>& disks,
                            const std::function<void(std::uint64_t, std::uint64_t)>& progress,
                            const std::function<bool()>& cancelled) {
  OvfVm ovf{vm_name, cpus, memory_mib, {}};
  std::uint64_t total = 0;
  for (const auto& d : disks) {
    std::error_code ec;
    const auto size = fs::file_size(d.source, ec);
    if (ec) return make_error(ErrorClass::not_found, "cannot read " + d.source.string());
    ovf.disks.push_back({d.member, size, d.capacity});
    total += kTarBlock + size + tar_padding(size);
  }
  const std::string descriptor = ovf_descriptor(ovf);
  const std::string ovf_name = vm_name + ".ovf";
  const std::string mf_name = vm_name + ".mf";
  // The manifest's size is known before the hashes: one fixed-length line per member.
  std::size_t mf_size = 0;
  mf_size += std::string("SHA256(" + ovf_name + ")= \n").size() + 64;
  for (const auto& d : disks) mf_size += std::string("SHA256(" + d.member + ")= \n").size() + 64;
  total += kTarBlock + descriptor.size() + tar_padding(descriptor.size());
  total += kTarBlock + mf_size + tar_padding(mf_size);
  total += 2 * kTarBlock;  // end-of-archive marker

  auto file = AtomicOutput::create(out);
  if (!file) return file.error();
  Sha256Stream whole;
  OvaResult res;
  std::uint64_t done = 0;
  auto report = [&](std::uint64_t n) {
    if (progress) progress(n, total);
  };
  report(0);
  if (Status s = put_member(file->fd(), ovf_name, descriptor, whole, res.members[ovf_name]);
      !s.ok())
    return s.error();
  done += kTarBlock + descriptor.size() + tar_padding(descriptor.size());
  report(done);

  for (const auto& d : disks) {
    const std::uint64_t size = fs::file_size(d.source);
    auto h = tar_header(d.member, size, 0);
    if (!h) return h.error();
    if (Status s = put(file->fd(), h->data(), h->size(), whole); !s.ok()) return s.error();
    done += kTarBlock;
    Fd in{::open(d.source.c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) return make_error(ErrorClass::not_found, "cannot read " + d.source.string());
    ::posix_fadvise(in.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    // One pass over the bytes feeds both the member's hash and the whole archive's.
    Sha256Stream member;
    const std::uint64_t base = done;
    PumpHooks hooks{[&](std::uint64_t moved) { report(base + moved); }, cancelled};
    auto moved = copy_member(in.fd, file->fd(), size, member, whole, hooks, d.source.string());
    if (!moved) return moved.error();
    if (*moved != size)
      return make_error(ErrorClass::internal,
                        d.source.string() + " changed size while it was packaged");
    static const char zeros[kTarBlock] = {};
    if (Status s = put(file->fd(), zeros, tar_padding(size), whole); !s.ok()) return s.error();
    res.members[d.member] = member.hex();
    done += size + tar_padding(size);
    report(done);
  }

  std::string mf = "SHA256(" + ovf_name + ")= " + res.members[ovf_name] + "\n";
  for (const auto& d : disks) mf += "SHA256(" + d.member + ")= " + res.members[d.member] + "\n";
  std::string ignored;
  if (Status s = put_member(file->fd(), mf_name, mf, whole, ignored); !s.ok()) return s.error();
  static const char zeros[2 * kTarBlock] = {};
  if (Status s = put(file->fd(), zeros, sizeof zeros, whole); !s.ok()) return s.error();
  if (Status s = file->commit(); !s.ok()) return s.error();
  report(total);
  res.size = total;
  res.sha256 = whole.hex();
  return res;
}

Result<std::map<std::string, std::string>> parse_manifest(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto open = line.find('(');
    const auto close = line.rfind(')');
    const auto eq = line.rfind('=');
    if (open == std::string::npos || close == std::string::npos || eq == std::string::npos ||
        close < open || eq < close)
      return invalid_error("manifest line " + std::to_string(n) +
                           " is not 'SHA256(file)= hex': " + line.substr(0, 80));
    std::string algo = line.substr(0, open);
    algo.erase(std::remove(algo.begin(), algo.end(), ' '), algo.end());
    if (algo != "SHA256")
      return invalid_error("manifest line " + std::to_string(n) + " uses " + algo +
                           "; only SHA256 is checked");
    std::string hex = line.substr(eq + 1);
    hex.erase(std::remove(hex.begin(), hex.end(), ' '), hex.end());
    std::transform(hex.begin(), hex.end(), hex.begin(), ::tolower);
    out[line.substr(open + 1, close - open - 1)] = hex;
  }
  return out;
}

Result<OvaCheck> verify_ova(const fs::path& path,
                            const std::function<void(std::uint64_t, std::uint64_t)>& progress,
                            const std::function<bool()>& cancelled) {
  Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return make_error(ErrorClass::not_found, "cannot read " + path.string());
  std::error_code ec;
  const std::uint64_t total = fs::file_size(path, ec);
  OvaCheck check;
  std::map<std::string, std::string> hashes;
  std::string manifest_text;
  std::string manifest_name;
  const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  Fd null{null_fd};
  for (;;) {
    char block[kTarBlock];
    const ssize_t r = ::read(in.fd, block, kTarBlock);
    if (r != static_cast<ssize_t>(kTarBlock))
      return invalid_error(path.string() + " ends inside the archive (truncated)");
    check.bytes_read += kTarBlock;
    auto entry = parse_tar_header(block);
    if (!entry) return invalid_error(path.string() + ": " + entry.error().message);
    if (entry->name.empty()) break;
    if (check.members.empty() && !entry->name.ends_with(".ovf"))
      return invalid_error(path.string() + ": the first member is '" + entry->name +
                           "', an OVA must start with its .ovf descriptor");
    check.members.push_back(entry->name);
    if (entry->name.ends_with(".mf")) {
      // The size comes from the package: a damaged or hostile header must not make us
      // allocate it. A manifest is a line per file, far below this.
      if (entry->size > kMaxManifestBytes)
        return invalid_error(path.string() + ": the manifest " + entry->name + " claims " +
                             std::to_string(entry->size) + " bytes, more than any manifest (" +
                             std::to_string(kMaxManifestBytes) + "): the package is damaged");
      manifest_name = entry->name;
      manifest_text.resize(entry->size);
      if (::read(in.fd, manifest_text.data(), entry->size) != static_cast<ssize_t>(entry->size))
        return invalid_error(path.string() + ": the manifest is truncated");
    } else {
      Sha256 h;
      const std::uint64_t base = check.bytes_read;
      PumpHooks hooks{[&](std::uint64_t moved) {
                        if (progress) progress(base + moved, total);
                      },
                      cancelled};
      auto moved = pump(in.fd, null.fd, {&h}, hooks, entry->name, entry->size);
      if (!moved) return moved.error();
      if (*moved != entry->size)
        return invalid_error(path.string() + ": member " + entry->name + " is truncated");
      hashes[entry->name] = h.hex();
    }
    check.bytes_read += entry->size;
    const std::size_t pad = tar_padding(entry->size);
    if (pad && ::lseek(in.fd, static_cast<off_t>(pad), SEEK_CUR) < 0)
      return make_error(ErrorClass::internal, "cannot seek in " + path.string());
    check.bytes_read += pad;
  }
  // The rest is the end-of-archive padding: zeros only, read too (every byte is checked).
  for (char buf[65536];;) {
    const ssize_t r = ::read(in.fd, buf, sizeof buf);
    if (r < 0) return make_error(ErrorClass::internal, "cannot read " + path.string());
    if (r == 0) break;
    for (ssize_t i = 0; i < r; ++i)
      if (buf[i] != 0)
        return invalid_error(path.string() + ": data after the end of the archive (damaged)");
    check.bytes_read += static_cast<std::uint64_t>(r);
  }
  if (manifest_name.empty())
    return invalid_error(path.string() +
                         " has no .mf manifest: nothing to check its files against");
  auto listed = parse_manifest(manifest_text);
  if (!listed) return invalid_error(path.string() + ": " + listed.error().message);
  for (const auto& [name, hex] : hashes) {
    auto it = listed->find(name);
    if (it == listed->end())
      return invalid_error(path.string() + ": member " + name + " is not in the manifest");
    if (it->second != hex)
      return invalid_error(path.string() + ": SHA256 mismatch for " + name + ": manifest says " +
                           it->second + ", the content hashes to " + hex +
                           " (the package is damaged)");
  }
  for (const auto& [name, hex] : *listed)
    if (!hashes.count(name))
      return invalid_error(path.string() + ": the manifest lists " + name +
                           " but the package does not contain it");
  if (progress) progress(total, total);
  return check;
}

}  // namespace hypersdk::exporter
