// Our SHA-256 (export/sha256_pair.h) against OpenSSL's: every length around the block and
// padding boundaries, arbitrary split points, the portable and SHA-NI compression functions,
// and update_pair from a block boundary and from a mid-block prefix.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "export/sha256.h"
#include "export/sha256_pair.h"

using namespace hypersdk::exporter;

namespace {
std::vector<unsigned char> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<unsigned char> v(n);
  for (auto& c : v) c = static_cast<unsigned char>(rng());
  return v;
}
std::string openssl_hex(const unsigned char* p, std::size_t n) {
  Sha256 h;
  h.update(p, n);
  return h.hex();
}
}  // namespace

TEST_CASE("sha256 stream: the digest of every length up to 300 bytes, and of 1 MiB + 7") {
  const auto data = random_bytes((1 << 20) + 7, 1);
  Sha256Stream empty;
  CHECK(empty.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  for (std::size_t n = 0; n <= 300; ++n) {
    Sha256Stream h;
    h.update(data.data(), n);
    REQUIRE_MESSAGE(h.hex() == openssl_hex(data.data(), n), "length " << n);
  }
  Sha256Stream big;
  big.update(data.data(), data.size());
  CHECK(big.hex() == openssl_hex(data.data(), data.size()));
}

TEST_CASE("sha256 stream: split points do not change the digest") {
  const auto data = random_bytes(5000, 2);
  const std::string want = openssl_hex(data.data(), data.size());
  std::mt19937 rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    Sha256Stream h;
    std::size_t off = 0;
    while (off < data.size()) {
      const std::size_t n = std::min<std::size_t>(rng() % 200, data.size() - off);
      h.update(data.data() + off, n);
      off += n;
    }
    REQUIRE(h.hex() == want);
  }
}

TEST_CASE("sha256 compression: SHA-NI, one lane and two, equals the portable one") {
  if (!sha256_detail::cpu_has_sha_ni()) {
    MESSAGE("this CPU has no SHA-NI: only the portable compression runs here");
    return;
  }
  const auto data = random_bytes(64 * 1000, 4);
  std::uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::uint32_t portable[8], ni[8], a[8], b[8], b_want[8];
  std::copy(iv, iv + 8, portable);
  std::copy(iv, iv + 8, ni);
  std::copy(iv, iv + 8, a);
  // Lane b starts elsewhere (as the archive's digest does, after the headers before the disk).
  std::copy(iv, iv + 8, b);
  sha256_detail::blocks_portable(b, data.data(), 3);
  std::copy(b, b + 8, b_want);
  sha256_detail::blocks_portable(portable, data.data(), 1000);
  sha256_detail::blocks_ni(ni, data.data(), 1000);
  sha256_detail::blocks_ni_pair(a, b, data.data(), 1000);
  sha256_detail::blocks_portable(b_want, data.data(), 1000);
  CHECK(std::equal(ni, ni + 8, portable));
  CHECK(std::equal(a, a + 8, portable));
  CHECK(std::equal(b, b + 8, b_want));
}

TEST_CASE("sha256 update_pair: two digests of the same bytes, aligned or not") {
  const auto prefix = random_bytes(1536 + 100, 5);
  const auto data = random_bytes((3 << 20) + 33, 6);
  for (std::size_t pre : {std::size_t{0}, std::size_t{1536}, std::size_t{1636}}) {
    Sha256Stream member, whole;
    whole.update(prefix.data(), pre);
    for (std::size_t off = 0; off < data.size(); off += 1 << 20)
      Sha256Stream::update_pair(member, whole, data.data() + off,
                                std::min<std::size_t>(1 << 20, data.size() - off));
    std::vector<unsigned char> all(prefix.begin(), prefix.begin() + static_cast<long>(pre));
    all.insert(all.end(), data.begin(), data.end());
    CHECK(member.hex() == openssl_hex(data.data(), data.size()));
    CHECK(whole.hex() == openssl_hex(all.data(), all.size()));
  }
}
