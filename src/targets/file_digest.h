// SHA-256 and MD5 of a file or a byte range of it, read once for both (S3 wants the SHA-256
// to sign and returns MD5-based ETags to check against). Honours cancellation between blocks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"

namespace hypersdk::targets {

struct Digest {
  std::string sha256;  // hex; empty when not asked for
  std::string md5;     // hex; empty when not asked for
  std::uint64_t size = 0;
};

// Which digests to compute. Each costs CPU per byte (MD5 the most: no SHA-NI for it, under
// 1 GB/s on one core), so a caller that does not use one does not pay for it.
enum DigestKinds : unsigned { kSha256 = 1, kMd5 = 2, kSha256AndMd5 = 3 };

// SHA-256 and MD5 of bytes fed block by block (hashing while sending).
class StreamDigest {
 public:
  explicit StreamDigest(unsigned kinds = kSha256AndMd5);
  ~StreamDigest();
  StreamDigest(const StreamDigest&) = delete;
  StreamDigest& operator=(const StreamDigest&) = delete;
  void reset();
  void update(const char* data, std::size_t n);
  Digest finish();  // then reset() before reuse

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// length = UINT64_MAX: to the end of the file. Error not_found when the file cannot be read.
Result<Digest> file_digest(const std::filesystem::path& path, std::uint64_t offset = 0,
                           std::uint64_t length = UINT64_MAX,
                           const std::function<bool()>& cancelled = {},
                           unsigned kinds = kSha256AndMd5);

}  // namespace hypersdk::targets
