// make_target, test_target and verify_remote: what every kind shares.
#include "targets/target.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>

#include "targets/dir_target.h"
#include "targets/s3_target.h"
#include "targets/sigv4.h"
#include "targets/transfer_targets.h"

namespace hypersdk::targets {

Result<std::vector<ObjectEntry>> Target::list(const std::string&) {
  return invalid_error("target " + spec().name + " (" + spec().kind + ") cannot list its objects");
}

Result<std::unique_ptr<Target>> make_target(const TargetSpec& spec) {
  if (spec.kind == "dir") return std::unique_ptr<Target>(new DirTarget(spec));
  if (spec.kind == "s3") return std::unique_ptr<Target>(new S3Target(spec));
  if (spec.kind == "webdav") return make_webdav_target(spec);
  if (spec.kind == "sftp") return make_sftp_target(spec);
  return invalid_error("target " + spec.name + ": unknown kind '" + spec.kind + "'");
}

nlohmann::json TestReport::to_json() const {
  nlohmann::json steps_json = nlohmann::json::array();
  for (const auto& s : steps)
    steps_json.push_back({{"step", s.name}, {"ok", s.ok}, {"detail", s.detail}});
  nlohmann::json j = {{"target", target}, {"ok", ok}, {"steps", steps_json}};
  if (error)
    j["error"] = {{"class", std::string(to_string(error->cls))}, {"message", error->message}};
  return j;
}

TestReport test_target(const TargetSpec& spec) {
  TestReport report;
  report.target = spec.name;
  auto fail = [&](const std::string& step, const Error& e) {
    report.steps.push_back({step, false, e.message});
    report.error = e;
    return report;
  };
  try {
    auto target = make_target(spec);
    if (!target) return fail("configure", target.error());
    // A probe file in the temp directory, uploaded under a unique key and removed again.
    std::random_device rd;
    const std::string id = std::to_string(::getpid()) + "-" + std::to_string(rd());
    const std::string key = ".hypersdk-probe-" + id;
    const std::filesystem::path local =
        std::filesystem::temp_directory_path() / ("hypersdk-probe-" + id);
    {
      std::ofstream out(local, std::ios::binary);
      out << "hypersdk target probe " << id << "\n";
    }
    struct Cleanup {
      std::filesystem::path p;
      ~Cleanup() {
        std::error_code ec;
        std::filesystem::remove(p, ec);
      }
    } cleanup{local};
    const auto t0 = std::chrono::steady_clock::now();
    auto put = (*target)->put(local, key, PutOptions{});
    if (!put) return fail("write", put.error());
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    report.steps.push_back({"reach and authenticate", true, (*target)->url_of("")});
    report.steps.push_back(
        {"write", true,
         key + " (" + std::to_string(ms) + " ms, checked by " + put->checked_by + ")"});
    auto st = (*target)->stat(key);
    if (!st) return fail("read back", st.error());
    if (st->size != put->size_bytes)
      return fail("read back", make_error(ErrorClass::conflict,
                                          "probe is " + std::to_string(st->size) + " bytes, sent " +
                                              std::to_string(put->size_bytes)));
    report.steps.push_back({"read back", true, std::to_string(st->size) + " bytes"});
    if (Status s = (*target)->remove(key); !s.ok()) return fail("remove", s.error());
    report.steps.push_back({"remove", true, "probe removed"});
    report.ok = true;
  } catch (const std::exception& e) {
    return fail("test", make_error(ErrorClass::internal, e.what()));
  }
  return report;
}

Result<RemoteCheck> verify_remote(Target& target, const std::string& key,
                                  const std::string& expected_sha256, std::uint64_t expected_size) {
  auto st = target.stat(key);
  if (!st) return st.error();
  const std::string where = target.url_of(key);
  if (st->size != expected_size)
    return make_error(ErrorClass::conflict, where + " is " + std::to_string(st->size) +
                                                " bytes, the file " +
                                                std::to_string(expected_size));
  if (st->sha256) {
    if (*st->sha256 != expected_sha256)
      return make_error(ErrorClass::conflict, where + ": the server's SHA-256 " + *st->sha256 +
                                                  " differs from " + expected_sha256);
    return RemoteCheck{st->size, *st->sha256, "sha256"};
  }
  // No checksum from the server: download and hash.
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr);
  std::uint64_t got = 0;
  Status s = target.fetch(key, [&](const char* data, std::size_t n) {
    EVP_DigestUpdate(sha.get(), data, n);
    got += n;
    return true;
  });
  if (!s.ok()) return s.error();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(sha.get(), md, &n);
  const std::string digest = hex(md, n);
  if (got != expected_size || digest != expected_sha256)
    return make_error(ErrorClass::conflict, where + ": downloaded " + std::to_string(got) +
                                                " bytes with SHA-256 " + digest + ", expected " +
                                                std::to_string(expected_size) + " bytes with " +
                                                expected_sha256);
  return RemoteCheck{got, digest, "download"};
}

}  // namespace hypersdk::targets
