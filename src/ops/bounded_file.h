// Reading a small local input file (config, secret, holiday calendar) whole, with a bound:
// the path must name a regular file (not /dev/zero, a FIFO or a directory; /dev/null reads as
// empty) no larger than `max_bytes`. Opening never blocks (O_NONBLOCK) and at most max_bytes + 1
// bytes are read, so a file that grows while being read cannot make the read run on. Thread safety:
// a pure function of the file system.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"

namespace hypersdk::ops {

// Limits of the local inputs hypersdk reads.
inline constexpr std::size_t kMaxConfigFileBytes = 1 << 20;    // 1 MiB
inline constexpr std::size_t kMaxSecretFileBytes = 64 << 10;   // 64 KiB
inline constexpr std::size_t kMaxCalendarFileBytes = 4 << 20;  // 4 MiB

// Error class invalid: "<what> <path>: not a regular file" / "... is larger than N bytes" /
// "... cannot read: <strerror>".
Result<std::string> read_bounded_file(const std::filesystem::path& path, std::size_t max_bytes,
                                      std::string_view what);

}  // namespace hypersdk::ops
