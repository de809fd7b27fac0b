// POSIX ustar headers and padding, for OVA packages (an OVA is a ustar archive).
// Sizes past ustar's 11 octal digits (8 GiB) use the base-256 size field that GNU tar and
// libarchive read. Pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/error.h"

namespace hypersdk::exporter {

constexpr std::size_t kTarBlock = 512;

// The 512-byte header of a regular file. Errors: invalid when the name does not fit (100 bytes;
// OVA members are plain file names).
Result<std::array<char, kTarBlock>> tar_header(const std::string& name, std::uint64_t size,
                                               std::int64_t mtime);

// Zero bytes that pad a member of `size` bytes to a whole block.
std::size_t tar_padding(std::uint64_t size);

// A parsed header: name and size; nullopt-like empty name at the end-of-archive zero block.
struct TarEntry {
  std::string name;
  std::uint64_t size = 0;
};
// Errors: invalid (bad checksum, not ustar) naming what is wrong.
Result<TarEntry> parse_tar_header(const char* block);

}  // namespace hypersdk::exporter
