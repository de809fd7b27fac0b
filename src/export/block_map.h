// A block map: the SHA-256 (first 16 bytes) of every 64 KiB cluster of a disk as it was
// backed up, kept beside each backup file (FILE.map). An incremental backup hashes the
// source's clusters and writes only those whose hash differs from its parent's map: change
// tracking for sources that have none of their own (plain disk images).
// Thread safety: a value type.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/error.h"

namespace hypersdk::exporter {

constexpr std::size_t kClusterSize = 64 * 1024;  // qcow2's default cluster size

struct BlockMap {
  std::uint64_t size = 0;  // bytes of the disk
  std::vector<std::array<unsigned char, 16>> clusters;
};

std::array<unsigned char, 16> cluster_digest(const void* data, std::size_t n);
Status save_block_map(const BlockMap& map, const std::filesystem::path& path);
// Errors: not_found, invalid (damaged).
Result<BlockMap> load_block_map(const std::filesystem::path& path);

}  // namespace hypersdk::exporter
