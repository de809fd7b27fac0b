#include "targets/dir_target.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "targets/sigv4.h"

namespace hypersdk::targets {
namespace fs = std::filesystem;
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Error io_error(const std::string& what, const fs::path& p) {
  const int e = errno;
  const ErrorClass cls = e == EACCES || e == EPERM ? ErrorClass::auth
                         : e == ENOENT             ? ErrorClass::not_found
                         : e == ENOSPC             ? ErrorClass::unavailable
                                                   : ErrorClass::internal;
  return make_error(cls, what + " " + p.string() + ": " + std::strerror(e));
}

}  // namespace

Result<fs::path> DirTarget::path_of(const std::string& key) const {
  // A key is relative and may not climb out of the directory.
  const fs::path rel = fs::path(key).lexically_normal();
  if (key.empty() || rel.is_absolute() || rel.empty() || *rel.begin() == "..")
    return invalid_error("key: expected a relative path inside the target, got '" + key + "'");
  return fs::path(spec_.path) / rel;
}

std::string DirTarget::url_of(const std::string& key) const {
  auto p = path_of(key);
  return p ? "file://" + p->string() : "file://" + spec_.path;
}

Result<PutResult> DirTarget::put(const fs::path& file, const std::string& key,
                                 const PutOptions& options) {
  auto dest = path_of(key);
  if (!dest) return dest.error();
  std::error_code ec;
  fs::create_directories(dest->parent_path(), ec);
  if (ec)
    return make_error(ec == std::errc::permission_denied ? ErrorClass::auth : ErrorClass::internal,
                      "cannot create " + dest->parent_path().string() + ": " + ec.message());
  Fd in{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return io_error("cannot read", file);
  const fs::path tmp = dest->string() + ".hypersdk-part";
  Fd out{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)};
  if (out.fd < 0) return io_error("cannot write", tmp);
  auto drop = [&](Error e) {
    ::unlink(tmp.c_str());
    return e;
  };
  const std::uint64_t size = fs::file_size(file, ec);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  std::uint64_t done = 0;
  for (;;) {
    if (options.cancelled && options.cancelled())
      return drop(make_error(ErrorClass::cancelled, "upload cancelled"));
    const ssize_t n = ::read(in.fd, buf.data(), buf.size());
    if (n < 0) return drop(io_error("cannot read", file));
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      const ssize_t w = ::write(out.fd, buf.data() + off, static_cast<std::size_t>(n - off));
      if (w < 0) return drop(io_error("cannot write", tmp));
      off += w;
    }
    EVP_DigestUpdate(sha.get(), buf.data(), static_cast<std::size_t>(n));
    done += static_cast<std::uint64_t>(n);
    if (options.progress) options.progress(done, size);
  }
  if (::fsync(out.fd) != 0) return drop(io_error("cannot sync", tmp));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_DigestFinal_ex(sha.get(), md, &mdlen);
  const std::string digest = hex(md, mdlen);
  if (!options.sha256.empty() && digest != options.sha256)
    return drop(make_error(ErrorClass::conflict, file.string() + " changed: its SHA-256 is " +
                                                     digest + ", the input said " +
                                                     options.sha256));
  if (::rename(tmp.c_str(), dest->c_str()) != 0) return drop(io_error("cannot rename to", *dest));
  // The rename itself is durable only once the directory is synced.
  Fd dir{::open(dest->parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd >= 0) ::fsync(dir.fd);
  PutResult r{url_of(key), key, done, digest, "sha256"};
  if (fs::file_size(*dest, ec) != done)
    return make_error(ErrorClass::conflict, "the copy at " + dest->string() + " has another size");
  return r;
}

Result<RemoteObject> DirTarget::stat(const std::string& key) {
  auto p = path_of(key);
  if (!p) return p.error();
  std::error_code ec;
  const auto size = fs::file_size(*p, ec);
  if (ec) return make_error(ErrorClass::not_found, "no " + p->string() + ": " + ec.message());
  return RemoteObject{size, std::nullopt, std::nullopt};
}

Status DirTarget::fetch(const std::string& key,
                        const std::function<bool(const char*, std::size_t)>& sink) {
  auto p = path_of(key);
  if (!p) return p.error();
  Fd in{::open(p->c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return io_error("cannot read", *p);
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(in.fd, buf.data(), buf.size());
    if (n < 0) return io_error("cannot read", *p);
    if (n == 0) return Status::Ok();
    if (!sink(buf.data(), static_cast<std::size_t>(n)))
      return make_error(ErrorClass::cancelled, "read of " + p->string() + " stopped");
  }
}

Result<std::vector<ObjectEntry>> DirTarget::list(const std::string& prefix) {
  // Keys are paths below the base: walk the directory the prefix names (its part up to the
  // last '/'), then keep the files whose relative path starts with the prefix.
  const auto slash = prefix.rfind('/');
  auto dir = path_of(slash == std::string::npos ? "." : prefix.substr(0, slash));
  if (!dir) return dir.error();
  std::vector<ObjectEntry> out;
  std::error_code ec;
  if (!fs::exists(*dir, ec)) return out;
  const fs::path base(spec_.path);
  for (fs::recursive_directory_iterator it(*dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string key = it->path().lexically_relative(base).generic_string();
    // A copy still being written is not an object yet.
    if (!key.starts_with(prefix) || key.ends_with(".hypersdk-part")) continue;
    std::error_code sec;
    const auto size = it->file_size(sec);
    const auto mtime = it->last_write_time(sec);
    const auto sys = std::chrono::file_clock::to_sys(mtime);
    out.push_back(
        {key, sec ? 0 : size,
         std::chrono::duration_cast<std::chrono::milliseconds>(sys.time_since_epoch()).count()});
  }
  if (ec) return io_error("cannot list", *dir);
  return out;
}

Status DirTarget::remove(const std::string& key) {
  auto p = path_of(key);
  if (!p) return p.error();
  if (::unlink(p->c_str()) != 0) return io_error("cannot remove", *p);
  return Status::Ok();
}

}  // namespace hypersdk::targets
