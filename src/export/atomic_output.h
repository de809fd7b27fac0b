// An output file that appears under its final name complete or not at all: written under a
// hidden temporary name in the same directory, then fsync, rename and fsync of the directory.
// Destroyed without commit() (failure, cancel), the temporary file is removed: a cancelled
// export leaves no partial file behind.
// Thread safety: one owner.
#pragma once

#include <filesystem>
#include <string>

#include "core/error.h"

namespace hypersdk::exporter {

class AtomicOutput {
 public:
  // Creates the directory of `final_path` if needed and opens the temporary file.
  static Result<AtomicOutput> create(const std::filesystem::path& final_path);
  AtomicOutput(AtomicOutput&& o) noexcept;
  AtomicOutput& operator=(AtomicOutput&&) = delete;
  ~AtomicOutput();

  int fd() const { return fd_; }
  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& final_path() const { return final_; }
  // fsync, rename to the final name, fsync the directory. Errors: internal.
  Status commit();

 private:
  AtomicOutput(std::filesystem::path final_path, std::filesystem::path temp, int fd)
      : final_(std::move(final_path)), temp_(std::move(temp)), fd_(fd) {}
  std::filesystem::path final_;
  std::filesystem::path temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// fsync of a directory (after a rename into it).
Status sync_directory(const std::filesystem::path& dir);

}  // namespace hypersdk::exporter
