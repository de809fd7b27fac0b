// The s3 target (any S3-compatible endpoint, SigV4 signed by s3_client.h). Files up to
// multipart_threshold go up in one PUT; larger ones as a multipart upload of part_size parts,
// `parallel` at a time, resumable through PutOptions::ledger and aborted on cancel. The payload
// is signed as UNSIGNED-PAYLOAD and sent as it is read; the file's SHA-256 and MD5 are
// computed on a thread beside the transfer (a multipart upload: s3_multipart.cpp says which
// when), and afterwards the object's size and checksum (x-amz-checksum-sha256 when the server
// keeps one, else the MD5-based ETag) are checked against them.
#pragma once

#include "targets/s3_client.h"
#include "targets/target.h"

namespace hypersdk::targets {

class S3Target final : public Target {
 public:
  explicit S3Target(TargetSpec spec);
  const TargetSpec& spec() const override { return spec_; }
  Result<PutResult> put(const std::filesystem::path& file, const std::string& key,
                        const PutOptions& options) override;
  Result<RemoteObject> stat(const std::string& key) override;
  Status fetch(const std::string& key,
               const std::function<bool(const char*, std::size_t)>& sink) override;
  Status remove(const std::string& key) override;
  Result<std::vector<ObjectEntry>> list(const std::string& prefix) override;
  std::string url_of(const std::string& key) const override;

 private:
  Result<PutResult> put_multipart(const std::filesystem::path& file, const std::string& key,
                                  std::uint64_t size, const PutOptions& options);
  const TargetSpec spec_;
  const S3Client client_;
};

std::string base64_of_hex(const std::string& hex_digest);
std::string unquote(std::string s);

}  // namespace hypersdk::targets
