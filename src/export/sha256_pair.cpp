#include "export/sha256_pair.h"

#include <cpuid.h>
#include <immintrin.h>

#include <cstring>

namespace hypersdk::exporter {

namespace sha256_detail {

namespace {

constexpr std::uint32_t kIv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

alignas(16) constexpr std::uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline std::uint32_t ror(std::uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}

#define HYPERSDK_SHA_NI __attribute__((target("sha,sse4.1,ssse3")))

// SHA-NI keeps the state as two registers, ABEF and CDGH.
struct Lane {
  __m128i abef, cdgh;
};

HYPERSDK_SHA_NI inline Lane load(const std::uint32_t st[8]) {
  __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(&st[0])), 0xB1);
  __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(&st[4])), 0x1B);
  return {_mm_alignr_epi8(dcba, efgh, 8), _mm_blend_epi16(efgh, dcba, 0xF0)};
}

HYPERSDK_SHA_NI inline void store(const Lane& l, std::uint32_t st[8]) {
  __m128i feba = _mm_shuffle_epi32(l.abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(l.cdgh, 0xB1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&st[0]), _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&st[4]), _mm_alignr_epi8(dchg, feba, 8));
}

HYPERSDK_SHA_NI inline void load_block(const unsigned char* p, __m128i w[4]) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  for (int i = 0; i < 4; ++i)
    w[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i)), bswap);
}

// Message words 4r..4r+3 from the previous sixteen (W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15])
// + W[t-16]), kept in a ring of four registers.
HYPERSDK_SHA_NI inline void schedule(__m128i w[4], int r) {
  __m128i t = _mm_sha256msg1_epu32(w[r & 3], w[(r + 1) & 3]);
  t = _mm_add_epi32(t, _mm_alignr_epi8(w[(r + 3) & 3], w[(r + 2) & 3], 4));
  w[r & 3] = _mm_sha256msg2_epu32(t, w[(r + 3) & 3]);
}

HYPERSDK_SHA_NI inline void four_rounds(Lane& l, __m128i wk) {
  l.cdgh = _mm_sha256rnds2_epu32(l.cdgh, l.abef, wk);
  l.abef = _mm_sha256rnds2_epu32(l.abef, l.cdgh, _mm_shuffle_epi32(wk, 0x0E));
}

}  // namespace

void blocks_portable(std::uint32_t st[8], const unsigned char* p, std::size_t blocks) {
  for (; blocks; --blocks, p += 64) {
    std::uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = (std::uint32_t{p[4 * i]} << 24) | (std::uint32_t{p[4 * i + 1]} << 16) |
             (std::uint32_t{p[4 * i + 2]} << 8) | p[4 * i + 3];
    for (int i = 16; i < 64; ++i) {
      const std::uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const std::uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6],
                  h = st[7];
    for (int i = 0; i < 64; ++i) {
      const std::uint32_t t1 =
          h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + kK[i] + w[i];
      const std::uint32_t t2 =
          (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
    st[5] += f;
    st[6] += g;
    st[7] += h;
  }
}

HYPERSDK_SHA_NI void blocks_ni(std::uint32_t st[8], const unsigned char* p, std::size_t blocks) {
  Lane l = load(st);
  for (; blocks; --blocks, p += 64) {
    const Lane saved = l;
    __m128i w[4];
    load_block(p, w);
    for (int r = 0; r < 16; ++r) {
      if (r >= 4) schedule(w, r);
      four_rounds(
          l, _mm_add_epi32(w[r & 3], _mm_load_si128(reinterpret_cast<const __m128i*>(&kK[4 * r]))));
    }
    l.abef = _mm_add_epi32(l.abef, saved.abef);
    l.cdgh = _mm_add_epi32(l.cdgh, saved.cdgh);
  }
  store(l, st);
}

// Both lanes read the same message words (the same bytes); only their states differ, so the
// schedule is computed once and the two lanes' rounds interleave.
HYPERSDK_SHA_NI void blocks_ni_pair(std::uint32_t a[8], std::uint32_t b[8], const unsigned char* p,
                                    std::size_t blocks) {
  Lane la = load(a), lb = load(b);
  for (; blocks; --blocks, p += 64) {
    const Lane sa = la, sb = lb;
    __m128i w[4];
    load_block(p, w);
    for (int r = 0; r < 16; ++r) {
      if (r >= 4) schedule(w, r);
      const __m128i wk =
          _mm_add_epi32(w[r & 3], _mm_load_si128(reinterpret_cast<const __m128i*>(&kK[4 * r])));
      const __m128i hi = _mm_shuffle_epi32(wk, 0x0E);
      la.cdgh = _mm_sha256rnds2_epu32(la.cdgh, la.abef, wk);
      lb.cdgh = _mm_sha256rnds2_epu32(lb.cdgh, lb.abef, wk);
      la.abef = _mm_sha256rnds2_epu32(la.abef, la.cdgh, hi);
      lb.abef = _mm_sha256rnds2_epu32(lb.abef, lb.cdgh, hi);
    }
    la.abef = _mm_add_epi32(la.abef, sa.abef);
    la.cdgh = _mm_add_epi32(la.cdgh, sa.cdgh);
    lb.abef = _mm_add_epi32(lb.abef, sb.abef);
    lb.cdgh = _mm_add_epi32(lb.cdgh, sb.cdgh);
  }
  store(la, a);
  store(lb, b);
}

bool cpu_has_sha_ni() {
  static const bool has = [] {
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    return (ebx & (1u << 29)) != 0;
  }();
  return has;
}

}  // namespace sha256_detail

namespace {
void compress(std::uint32_t st[8], const unsigned char* p, std::size_t blocks) {
  if (sha256_detail::cpu_has_sha_ni())
    sha256_detail::blocks_ni(st, p, blocks);
  else
    sha256_detail::blocks_portable(st, p, blocks);
}
}  // namespace

Sha256Stream::Sha256Stream() {
  std::memcpy(state_, sha256_detail::kIv, sizeof state_);
}

void Sha256Stream::absorb_tail(const unsigned char* p, std::size_t n) {
  // REQUIRES: used_ + n < 64 or used_ == 0 (the caller fed whole blocks first)
  std::memcpy(buf_ + used_, p, n);
  used_ += n;
}

void Sha256Stream::update(const void* data, std::size_t n) {
  auto p = static_cast<const unsigned char*>(data);
  total_ += n;
  if (used_) {
    const std::size_t take = std::min(n, 64 - used_);
    std::memcpy(buf_ + used_, p, take);
    used_ += take;
    p += take;
    n -= take;
    if (used_ < 64) return;
    compress(state_, buf_, 1);
    used_ = 0;
  }
  if (n >= 64) {
    compress(state_, p, n / 64);
    p += n / 64 * 64;
    n %= 64;
  }
  absorb_tail(p, n);
}

void Sha256Stream::update_pair(Sha256Stream& a, Sha256Stream& b, const void* data, std::size_t n) {
  if (a.used_ || b.used_ || n < 64 || !sha256_detail::cpu_has_sha_ni()) {
    a.update(data, n);
    b.update(data, n);
    return;
  }
  auto p = static_cast<const unsigned char*>(data);
  const std::size_t blocks = n / 64;
  sha256_detail::blocks_ni_pair(a.state_, b.state_, p, blocks);
  a.total_ += blocks * 64;
  b.total_ += blocks * 64;
  a.update(p + blocks * 64, n % 64);
  b.update(p + blocks * 64, n % 64);
}

std::string Sha256Stream::hex() {
  const std::uint64_t bits = total_ * 8;
  static const unsigned char kPad[64] = {0x80};
  const std::size_t pad = used_ < 56 ? 56 - used_ : 120 - used_;
  update(kPad, pad);
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
  update(len, 8);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (std::uint32_t word : state_)
    for (int shift = 28; shift >= 0; shift -= 4) out += kHex[(word >> shift) & 15];
  return out;
}

}  // namespace hypersdk::exporter
