// file_digest and StreamDigest: each digest only when asked for, and the same bytes as
// OpenSSL's one-shot digests of known inputs.
#include <doctest/doctest.h>

#include <fstream>

#include "targets/file_digest.h"
#include "test_support.h"

using namespace hypersdk::targets;

TEST_CASE("file digest: MD5 only, SHA-256 only and both agree with known digests") {
  hypersdk::test::TempDir dir;
  const auto path = dir.file("abc");
  std::ofstream(path) << "abc";
  const std::string md5 = "900150983cd24fb0d6963f7d28e17f72";
  const std::string sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  auto both = file_digest(path);
  REQUIRE(both.ok());
  CHECK(both->md5 == md5);
  CHECK(both->sha256 == sha);
  auto only_md5 = file_digest(path, 0, UINT64_MAX, {}, kMd5);
  REQUIRE(only_md5.ok());
  CHECK(only_md5->md5 == md5);
  CHECK(only_md5->sha256.empty());
  CHECK(only_md5->size == 3);
  auto only_sha = file_digest(path, 0, UINT64_MAX, {}, kSha256);
  REQUIRE(only_sha.ok());
  CHECK(only_sha->sha256 == sha);
  CHECK(only_sha->md5.empty());

  StreamDigest s(kMd5);
  s.update("a", 1);
  s.update("bc", 2);
  Digest d = s.finish();
  CHECK(d.md5 == md5);
  CHECK(d.sha256.empty());
  CHECK(d.size == 3);
}
