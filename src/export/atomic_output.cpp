#include "export/atomic_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace hypersdk::exporter {

namespace fs = std::filesystem;

Status sync_directory(const fs::path& dir) {
  const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return make_error(ErrorClass::internal, "cannot open " + dir.string());
  const int rc = ::fsync(d);
  ::close(d);
  if (rc != 0) return make_error(ErrorClass::internal, "fsync of " + dir.string() + " failed");
  return Status::Ok();
}

Result<AtomicOutput> AtomicOutput::create(const fs::path& final_path) {
  std::error_code ec;
  fs::create_directories(final_path.parent_path(), ec);
  if (ec)
    return make_error(
        ErrorClass::internal,
        "cannot create directory " + final_path.parent_path().string() + ": " + ec.message());
  std::string tmpl =
      (final_path.parent_path() / ("." + final_path.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0)
    return make_error(ErrorClass::internal, "cannot create a file in " +
                                                final_path.parent_path().string() + ": " +
                                                std::strerror(errno));
  return AtomicOutput(final_path, fs::path(tmpl), fd);
}

AtomicOutput::AtomicOutput(AtomicOutput&& o) noexcept
    : final_(std::move(o.final_)), temp_(std::move(o.temp_)), fd_(o.fd_), committed_(o.committed_) {
  o.fd_ = -1;
  o.committed_ = true;  // the moved-from object owns nothing to clean up
}

AtomicOutput::~AtomicOutput() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

Status AtomicOutput::commit() {
  if (::fsync(fd_) != 0)
    return make_error(ErrorClass::internal,
                      "fsync of " + temp_.string() + " failed: " + std::strerror(errno));
  ::close(fd_);
  fd_ = -1;
  ::chmod(temp_.c_str(), 0640);
  if (::rename(temp_.c_str(), final_.c_str()) != 0)
    return make_error(ErrorClass::internal, "cannot rename " + temp_.string() + " to " +
                                                final_.string() + ": " + std::strerror(errno));
  committed_ = true;
  return sync_directory(final_.parent_path());
}

}  // namespace hypersdk::exporter
