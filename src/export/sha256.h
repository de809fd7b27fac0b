// Streaming SHA-256 (OpenSSL EVP), for hashing bytes while they are written.
// Thread safety: one owner at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace hypersdk::exporter {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t n);
  // Lowercase hex of the digest; the hasher is spent afterwards.
  std::string hex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace hypersdk::exporter
