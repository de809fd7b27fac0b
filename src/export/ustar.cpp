#include "export/ustar.h"

#include <cstdio>
#include <cstring>

namespace hypersdk::exporter {

namespace {
void octal(char* field, std::size_t width, std::uint64_t v) {
  // width - 1 zero-padded octal digits and a NUL, as tar writes them.
  field[width - 1] = '\0';
  for (std::size_t i = width - 1; i-- > 0; v >>= 3) field[i] = static_cast<char>('0' + (v & 7));
}

std::uint64_t read_octal(const char* f, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width && f[i]; ++i) {
    if (f[i] == ' ') continue;
    if (f[i] < '0' || f[i] > '7') break;
    v = v * 8 + static_cast<std::uint64_t>(f[i] - '0');
  }
  return v;
}

unsigned checksum(const char* block) {
  unsigned sum = 0;
  for (std::size_t i = 0; i < kTarBlock; ++i)
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
  return sum;
}
}  // namespace

Result<std::array<char, kTarBlock>> tar_header(const std::string& name, std::uint64_t size,
                                               std::int64_t mtime) {
  if (name.empty() || name.size() > 99)
    return invalid_error("tar member name '" + name + "' must be 1..99 bytes");
  std::array<char, kTarBlock> h{};
  std::memcpy(h.data(), name.data(), name.size());
  octal(h.data() + 100, 8, 0644);
  octal(h.data() + 108, 8, 0);
  octal(h.data() + 116, 8, 0);
  if (size <= 077777777777ULL) {
    octal(h.data() + 124, 12, size);
  } else {
    // Base-256: high bit of the first byte set, big-endian value in the rest.
    h[124] = static_cast<char>(0x80);
    for (int i = 0; i < 8; ++i) h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
  }
  octal(h.data() + 136, 12, static_cast<std::uint64_t>(mtime < 0 ? 0 : mtime));
  h[156] = '0';
  std::memcpy(h.data() + 257, "ustar", 6);  // magic "ustar\0"
  std::memcpy(h.data() + 263, "00", 2);
  std::memcpy(h.data() + 265, "root", 4);
  std::memcpy(h.data() + 297, "root", 4);
  // Checksum: six octal digits, NUL, space.
  octal(h.data() + 148, 7, checksum(h.data()));
  h[155] = ' ';
  return h;
}

std::size_t tar_padding(std::uint64_t size) {
  return static_cast<std::size_t>((kTarBlock - size % kTarBlock) % kTarBlock);
}

Result<TarEntry> parse_tar_header(const char* block) {
  bool zero = true;
  for (std::size_t i = 0; i < kTarBlock && zero; ++i) zero = block[i] == 0;
  if (zero) return TarEntry{};
  if (std::memcmp(block + 257, "ustar", 5) != 0)
    return invalid_error("not a ustar archive (no 'ustar' magic in a member header)");
  if (read_octal(block + 148, 8) != checksum(block))
    return invalid_error("a tar header's checksum does not match: the archive is damaged");
  TarEntry e;
  e.name.assign(block, strnlen(block, 100));
  if (static_cast<unsigned char>(block[124]) & 0x80) {
    for (int i = 0; i < 8; ++i) e.size = (e.size << 8) | static_cast<unsigned char>(block[128 + i]);
  } else {
    e.size = read_octal(block + 124, 12);
  }
  if (e.name.empty()) return invalid_error("a tar member has no name: the archive is damaged");
  return e;
}

}  // namespace hypersdk::exporter
