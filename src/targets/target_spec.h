// The configuration of upload targets: the `targets:` map of the config (name -> kind and
// settings), parsed and checked per kind, secrets resolved (env:NAME, file:/path).
// TargetSet is immutable; a config reload builds a new one and swaps it (TargetRegistry).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "ops/paths.h"

namespace hypersdk::targets {

struct TargetSpec {
  std::string name;
  std::string kind;  // dir | s3 | sftp | webdav
  // dir: the directory (created when missing).
  std::string path;
  // s3
  std::string endpoint;  // http(s)://host:port; empty = https://s3.<region>.amazonaws.com
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix;  // prepended to every key ("backups/")
  bool path_style = true;
  std::string access_key, secret_key, session_token;
  std::uint64_t multipart_threshold = 64ull << 20;  // bigger files go up in parts
  std::uint64_t part_size = 16ull << 20;
  int parallel = 4;  // parts in flight at once
  // sftp and webdav: base URL (sftp://host:port/dir, https://host/dav/), credentials.
  std::string url;
  std::string user, password;
  std::string private_key, public_key;  // sftp key files
  std::string known_hosts;              // sftp: required; unknown host keys are refused
  std::string ca_file;                  // webdav/s3 over TLS with a private CA
  int timeout_seconds = 30;             // connect and stall (no byte moving) timeout

  // Settings for `target list` and the API: no secrets.
  nlohmann::json describe() const;
};

using TargetSet = std::map<std::string, TargetSpec, std::less<>>;

// Parses the `targets` node. Error class invalid naming the target and field.
Result<TargetSet> parse_targets(const YAML::Node& node, const ops::EnvMap& env);

// The current targets, swapped whole on a config reload. Thread safety: any thread.
class TargetRegistry {
 public:
  std::shared_ptr<const TargetSet> current() const {
    std::lock_guard lock(mu_);
    return set_;
  }
  void replace(std::shared_ptr<const TargetSet> next) {
    std::lock_guard lock(mu_);
    set_ = std::move(next);
  }
  // Error class not_found naming the known targets.
  Result<TargetSpec> find(std::string_view name) const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const TargetSet> set_ = std::make_shared<TargetSet>();
};

}  // namespace hypersdk::targets
