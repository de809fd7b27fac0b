// Upload targets without a network: SigV4 against AWS's published S3 examples, the
// `targets` settings, the dir target, the upload ledger on a real SQLite file, and the rule
// that picks a step's input file.
#include <doctest/doctest.h>

#include <fstream>

#include "engine/upload_job.h"
#include "store/database.h"
#include "store/upload_store.h"
#include "targets/dir_target.h"
#include "targets/file_digest.h"
#include "targets/sigv4.h"
#include "targets/target_spec.h"
#include "test_support.h"

using namespace hypersdk;
using namespace hypersdk::targets;

namespace {

std::string header(const std::vector<std::string>& hs, const std::string& name) {
  for (const auto& h : hs)
    if (h.rfind(name + ": ", 0) == 0) return h.substr(name.size() + 2);
  return "";
}

const SigV4Credentials kAws{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "",
                            "us-east-1"};
const std::string kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Result<TargetSet> parse(const std::string& yaml, ops::EnvMap env = {}) {
  return parse_targets(YAML::Load(yaml), env);
}

}  // namespace

TEST_CASE("sigv4 signs a GET with a range header as in AWS's S3 example") {
  SigV4Request r{"GET", "examplebucket.s3.amazonaws.com", "/test.txt",
                 {},    {{"Range", "bytes=0-9"}},         kEmptySha};
  auto hs = sigv4_headers(r, kAws, "20130524T000000Z");
  CHECK(header(hs, "Authorization") ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  CHECK(header(hs, "x-amz-content-sha256") == kEmptySha);
  CHECK(header(hs, "x-amz-date") == "20130524T000000Z");
}

TEST_CASE("sigv4 sorts query parameters: AWS's list-objects example") {
  // Given in the opposite order on purpose: the canonical query must sort them.
  SigV4Request r{"GET", "examplebucket.s3.amazonaws.com",
                 "/",   {{"prefix", "J"}, {"max-keys", "2"}},
                 {},    kEmptySha};
  auto hs = sigv4_headers(r, kAws, "20130524T000000Z");
  CHECK(
      header(hs, "Authorization")
          .ends_with("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
  CHECK(sigv4_canonical_query(r.query) == "max-keys=2&prefix=J");
  CHECK(sigv4_canonical_query({{"uploads", ""}}) == "uploads=");
  CHECK(sigv4_canonical_query({{"a b", "c/d"}}) == "a%20b=c%2Fd");
}

TEST_CASE("sigv4 signs the session token") {
  SigV4Credentials cred = kAws;
  cred.session_token = "token-1";
  SigV4Request r{"PUT", "h", "/b/k", {}, {}, kEmptySha};
  auto hs = sigv4_headers(r, cred, "20130524T000000Z");
  CHECK(header(hs, "x-amz-security-token") == "token-1");
  CHECK(header(hs, "Authorization").find("x-amz-date;x-amz-security-token") != std::string::npos);
}

TEST_CASE("targets settings: defaults, secrets by reference, errors naming the field") {
  auto set = parse(
      "a: {kind: s3, bucket: b, access_key: k, secret_key: 'env:SECRET', endpoint: "
      "'http://127.0.0.1:9000'}\n"
      "d: {kind: dir, path: /srv/backups}\n",
      {{"SECRET", "s3cr3t"}});
  REQUIRE(set.ok());
  const TargetSpec& a = set->at("a");
  CHECK(a.secret_key == "s3cr3t");
  CHECK(a.region == "us-east-1");
  CHECK(a.path_style);
  CHECK(a.multipart_threshold == 64ull << 20);
  CHECK(a.describe().dump().find("s3cr3t") == std::string::npos);
  CHECK(set->at("d").path == "/srv/backups");

  auto err = [](const std::string& yaml) {
    auto r = parse(yaml);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().cls == ErrorClass::invalid);
    return r.error().message;
  };
  CHECK(
      err("x: {kind: s3, bucket: b, access_key: k}").find("targets.x: 'secret_key' is required") !=
      std::string::npos);
  CHECK(err("x: {kind: dir, path: rel}").find("targets.x.path: expected an absolute path") !=
        std::string::npos);
  CHECK(err("x: {kind: s3, bucket: b, access_key: k, secret_key: s, part_size: 1}")
            .find("targets.x.part_size") != std::string::npos);
  CHECK(err("x: {kind: sftp, url: 'ftp://h/', user: u, known_hosts: /k}").find("sftp://") !=
        std::string::npos);
  CHECK(err("x: {kind: dir, path: /a, secret_key: s}").find("unknown field 'secret_key'") !=
        std::string::npos);
  CHECK(err("x: {kind: s3, bucket: b, access_key: k, secret_key: 'env:MISSING'}")
            .find("targets.x.secret_key") != std::string::npos);
}

TEST_CASE("dir target: writes through a temporary name, refuses keys outside it") {
  test::TempDir dir;
  const std::string src = dir.file("src.bin");
  {
    std::ofstream out(src, std::ios::binary);
    for (int i = 0; i < 100000; ++i) out << static_cast<char>(i * 7);
  }
  TargetSpec spec;
  spec.name = "d";
  spec.kind = "dir";
  spec.path = dir.file("dest");
  DirTarget t(spec);
  std::uint64_t last = 0;
  PutOptions opts;
  opts.progress = [&](std::uint64_t done, std::uint64_t total) {
    CHECK(total == 100000);
    last = done;
  };
  auto put = t.put(src, "a/b/c.bin", opts);
  REQUIRE(put.ok());
  CHECK(last == 100000);
  auto local = file_digest(src);
  REQUIRE(local.ok());
  CHECK(put->sha256 == local->sha256);
  CHECK(std::filesystem::file_size(dir.file("dest/a/b/c.bin")) == 100000);
  CHECK_FALSE(std::filesystem::exists(dir.file("dest/a/b/c.bin.hypersdk-part")));
  auto st = t.stat("a/b/c.bin");
  REQUIRE(st.ok());
  CHECK(st->size == 100000);
  for (const char* bad : {"../x", "/etc/passwd", "a/../../x", ""}) {
    auto r = t.put(src, bad, {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().cls == ErrorClass::invalid);
  }
  opts.sha256 = std::string(64, '0');
  auto mismatch = t.put(src, "other.bin", opts);
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().cls == ErrorClass::conflict);
  CHECK_FALSE(std::filesystem::exists(dir.file("dest/other.bin")));
  CHECK(t.remove("a/b/c.bin").ok());
  CHECK(t.stat("a/b/c.bin").error().cls == ErrorClass::not_found);
}

TEST_CASE("a file-consuming step takes payload path, else its one input with a path") {
  using nlohmann::json;
  CHECK(*engine::input_path(json{{"path", "/a"}}) == "/a");
  CHECK(*engine::input_path(
            json{{"inputs", {{"export", {{"path", "/e.ova"}}}, {"snap", {{"snapshot", "s"}}}}}}) ==
        "/e.ova");
  const json two = {{"inputs", {{"x", {{"path", "/x"}}}, {"y", {{"path", "/y"}}}}}};
  auto r = engine::input_path(two);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("name one with from: STEP") != std::string::npos);
  json pick = two;
  pick["from"] = "y";
  CHECK(*engine::input_path(pick) == "/y");
  // In a chain export -> convert -> upload, upload's own upstream (convert) wins over its
  // ancestor (export); ancestors count only when no upstream has the field.
  json chain = two;
  chain["upstreams"] = {"y"};
  CHECK(*engine::input_path(chain) == "/y");
  chain["inputs"]["y"] = {{"snapshot", "s1"}};
  CHECK(*engine::input_path(chain) == "/x");
  CHECK(engine::input_path(json::object()).error().cls == ErrorClass::invalid);
  CHECK(engine::input_path(json{{"path", "rel"}}).error().message.find("absolute") !=
        std::string::npos);
}
