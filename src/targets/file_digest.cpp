#include "targets/file_digest.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "targets/sigv4.h"

namespace hypersdk::targets {

struct StreamDigest::Impl {
  EVP_MD_CTX* sha = EVP_MD_CTX_new();
  EVP_MD_CTX* md5 = EVP_MD_CTX_new();
  std::uint64_t size = 0;
  unsigned kinds = kSha256AndMd5;
  ~Impl() {
    EVP_MD_CTX_free(sha);
    EVP_MD_CTX_free(md5);
  }
};

StreamDigest::StreamDigest(unsigned kinds) : impl_(std::make_unique<Impl>()) {
  impl_->kinds = kinds;
  reset();
}
StreamDigest::~StreamDigest() = default;

void StreamDigest::reset() {
  EVP_DigestInit_ex(impl_->sha, EVP_sha256(), nullptr);
  EVP_DigestInit_ex(impl_->md5, EVP_md5(), nullptr);
  impl_->size = 0;
}

void StreamDigest::update(const char* data, std::size_t n) {
  if (impl_->kinds & kSha256) EVP_DigestUpdate(impl_->sha, data, n);
  if (impl_->kinds & kMd5) EVP_DigestUpdate(impl_->md5, data, n);
  impl_->size += n;
}

Digest StreamDigest::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  Digest d;
  d.size = impl_->size;
  EVP_DigestFinal_ex(impl_->sha, out, &n);
  if (impl_->kinds & kSha256) d.sha256 = hex(out, n);
  EVP_DigestFinal_ex(impl_->md5, out, &n);
  if (impl_->kinds & kMd5) d.md5 = hex(out, n);
  return d;
}

Result<Digest> file_digest(const std::filesystem::path& path, std::uint64_t offset,
                           std::uint64_t length, const std::function<bool()>& cancelled,
                           unsigned kinds) {
  std::unique_ptr<std::FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f)
    return make_error(ErrorClass::not_found,
                      "cannot read " + path.string() + ": " + std::strerror(errno));
  if (fseeko(f.get(), static_cast<off_t>(offset), SEEK_SET) != 0)
    return make_error(ErrorClass::internal, "cannot seek in " + path.string());
  using Ctx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
  Ctx sha(EVP_MD_CTX_new(), EVP_MD_CTX_free), md5(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr);
  EVP_DigestInit_ex(md5.get(), EVP_md5(), nullptr);
  std::vector<char> buf(1 << 20);
  Digest d;
  while (d.size < length) {
    if (cancelled && cancelled()) return make_error(ErrorClass::cancelled, "cancelled");
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length - d.size));
    const std::size_t got = std::fread(buf.data(), 1, want, f.get());
    if (got == 0) break;
    if (kinds & kSha256) EVP_DigestUpdate(sha.get(), buf.data(), got);
    if (kinds & kMd5) EVP_DigestUpdate(md5.get(), buf.data(), got);
    d.size += got;
  }
  if (std::ferror(f.get()))
    return make_error(ErrorClass::internal, "read error in " + path.string());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(sha.get(), out, &n);
  if (kinds & kSha256) d.sha256 = hex(out, n);
  EVP_DigestFinal_ex(md5.get(), out, &n);
  if (kinds & kMd5) d.md5 = hex(out, n);
  return d;
}

}  // namespace hypersdk::targets
