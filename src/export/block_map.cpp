#include "export/block_map.h"

#include <openssl/evp.h>

#include <cstring>
#include <fstream>

#include "export/atomic_output.h"
#include "export/byte_pump.h"

namespace hypersdk::exporter {

namespace {
constexpr char kMagic[8] = {'H', 'S', 'D', 'K', 'B', 'M', '1', '\n'};
}

std::array<unsigned char, 16> cluster_digest(const void* data, std::size_t n) {
  unsigned char full[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data, n, full, &len, EVP_sha256(), nullptr);
  std::array<unsigned char, 16> out{};
  std::memcpy(out.data(), full, out.size());
  return out;
}

Status save_block_map(const BlockMap& map, const std::filesystem::path& path) {
  auto out = AtomicOutput::create(path);
  if (!out) return out.error();
  std::string buf(kMagic, sizeof kMagic);
  for (int i = 7; i >= 0; --i) buf += static_cast<char>((map.size >> (8 * i)) & 0xff);
  for (const auto& c : map.clusters) buf.append(reinterpret_cast<const char*>(c.data()), c.size());
  if (Status s = write_all(out->fd(), buf.data(), buf.size(), nullptr, path.string()); !s.ok())
    return s;
  return out->commit();
}

Result<BlockMap> load_block_map(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorClass::not_found, "no block map " + path.string());
  char head[16];
  if (!in.read(head, 16) || std::memcmp(head, kMagic, sizeof kMagic) != 0)
    return invalid_error(path.string() + " is not a block map");
  BlockMap map;
  for (int i = 8; i < 16; ++i) map.size = (map.size << 8) | static_cast<unsigned char>(head[i]);
  const std::uint64_t n = (map.size + kClusterSize - 1) / kClusterSize;
  map.clusters.resize(n);
  for (auto& c : map.clusters)
    if (!in.read(reinterpret_cast<char*>(c.data()), 16))
      return invalid_error(path.string() + " is truncated");
  return map;
}

}  // namespace hypersdk::exporter
