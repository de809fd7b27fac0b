// The upload-target port (DESIGN §9): where finished exports and backups are sent. One
// adapter per kind (dir, s3, sftp, webdav), all but dir through libcurl. A Target is made
// from a TargetSpec (target_spec.h) for one job or one test and is used by one thread.
//
// Keys are relative object names ("vm1/2026-11-30.ova"); each target adds its own prefix or
// base path. Every error carries a class: auth (wrong credentials, not retried), network /
// unavailable (connection trouble, 5xx: retried), rate_limited (429, SlowDown; Retry-After
// honoured within the call before giving up), not_found, invalid (bad settings).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "targets/target_spec.h"

namespace hypersdk::targets {

// Resumable multipart state of one upload (S3). The engine keeps it in the database so that
// an upload interrupted by a crash continues where it stopped; a target that has no
// multipart ignores it.
struct MultipartPart {
  int number = 0;  // 1-based
  std::uint64_t size = 0;
  std::string etag;  // as the server returned it, quotes included
  std::string md5_hex;
};
struct MultipartResume {
  std::string upload_id;
  std::uint64_t part_size = 0;
  std::vector<MultipartPart> parts;
};
struct MultipartLedger {
  // The upload stored for this job, target, key and file, and its finished parts; nullopt:
  // none (or one for another file or key, which the ledger forgets).
  std::function<std::optional<MultipartResume>()> load;
  std::function<Status(const std::string& upload_id, std::uint64_t part_size)> begin;
  std::function<Status(const MultipartPart&)> part_done;
  // The upload completed or was aborted: forget it.
  std::function<Status()> finish;
};

struct PutOptions {
  // Bytes sent so far and the file's size; called from upload threads, serialised.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  // Polled while sending; true stops the upload (an S3 multipart upload is aborted).
  std::function<bool()> cancelled;
  // After a cancel: true when it is final (operator, timeout), so a multipart upload is
  // aborted; false (server shutdown) keeps it for the next attempt. Unset: final.
  std::function<bool()> cancel_is_final;
  MultipartLedger* ledger = nullptr;  // nullptr: a restart starts over
  // Hex SHA-256 of the file when the caller knows it; computed otherwise.
  std::string sha256;
};

struct PutResult {
  std::string url;  // where the object is, without credentials
  std::string key;
  std::uint64_t size_bytes = 0;
  std::string sha256;
  // How the remote copy was checked right after the upload: "sha256" (the server's
  // checksum), "etag-md5" (S3 ETag against MD5s computed while reading), "size" (only its
  // size: run verify --remote for a full check).
  std::string checked_by;
  int parts = 1;
  int parts_resumed = 0;  // multipart parts already on the server from an earlier attempt
};

struct RemoteObject {
  std::uint64_t size = 0;
  std::optional<std::string> sha256;  // hex, when the server reports one
  std::optional<std::string> etag;
};

// One object of a listing: its key relative to the target (as put takes it).
struct ObjectEntry {
  std::string key;
  std::uint64_t size = 0;
  std::int64_t modified_ms = 0;  // last modified, ms since the epoch (UTC)
};

class Target {
 public:
  virtual ~Target() = default;
  virtual const TargetSpec& spec() const = 0;
  virtual Result<PutResult> put(const std::filesystem::path& file, const std::string& key,
                                const PutOptions& options) = 0;
  // Error class not_found when there is no such object.
  virtual Result<RemoteObject> stat(const std::string& key) = 0;
  // Streams the object's bytes into `sink` (returns false to stop).
  virtual Status fetch(const std::string& key,
                       const std::function<bool(const char*, std::size_t)>& sink) = 0;
  virtual Status remove(const std::string& key) = 0;
  // The objects whose keys start with `prefix`, in no particular order (retention: keep_last).
  // dir and s3 list every object below; sftp and webdav only the files in the prefix's own
  // directory (a listing per directory costs a round trip, and retention needs no more).
  virtual Result<std::vector<ObjectEntry>> list(const std::string& prefix);
  virtual std::string url_of(const std::string& key) const = 0;
};

Result<std::unique_ptr<Target>> make_target(const TargetSpec& spec);

// One step of `target test`: reachability, auth, write, read back, remove.
struct TestStep {
  std::string name;
  bool ok = false;
  std::string detail;
};
struct TestReport {
  std::string target;
  bool ok = false;
  std::vector<TestStep> steps;
  std::optional<Error> error;  // the first failure, with its class
  nlohmann::json to_json() const;
};
// Writes a small probe object, reads its size back, removes it. Never throws.
TestReport test_target(const TargetSpec& spec);

// The remote copy against the local file: size, then the server's SHA-256 when it gives one,
// else the bytes downloaded and hashed. Error class conflict naming what differs.
struct RemoteCheck {
  std::uint64_t size_bytes = 0;
  std::string sha256;
  std::string checked_by;  // "sha256" or "download"
};
Result<RemoteCheck> verify_remote(Target& target, const std::string& key,
                                  const std::string& expected_sha256, std::uint64_t expected_size);

}  // namespace hypersdk::targets
