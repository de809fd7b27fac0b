#include "targets/target_spec.h"

#include <charconv>
#include <set>

#include "ops/config.h"

namespace hypersdk::targets {
namespace {

const std::map<std::string, std::set<std::string>, std::less<>>& fields_by_kind() {
  static const std::map<std::string, std::set<std::string>, std::less<>> m = {
      {"dir", {"path"}},
      {"s3",
       {"endpoint", "region", "bucket", "prefix", "path_style", "access_key", "secret_key",
        "session_token", "multipart_threshold", "part_size", "parallel", "ca_file",
        "timeout_seconds"}},
      {"sftp",
       {"url", "user", "password", "private_key", "public_key", "known_hosts", "timeout_seconds"}},
      {"webdav", {"url", "user", "password", "ca_file", "timeout_seconds"}},
  };
  return m;
}

const std::set<std::string>& secret_fields() {
  static const std::set<std::string> s = {"secret_key", "session_token", "password"};
  return s;
}

Result<std::int64_t> integer(const std::string& where, const std::string& text, std::int64_t min,
                             std::int64_t max) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    return invalid_error(where + ": expected an integer " + std::to_string(min) + ".." +
                         std::to_string(max) + ", got '" + text + "'");
  return v;
}

Result<TargetSpec> parse_one(const std::string& name, const YAML::Node& body,
                             const ops::EnvMap& env) {
  const std::string where = "targets." + name;
  if (!body.IsMap()) return invalid_error(where + ": expected a mapping with 'kind'");
  TargetSpec t;
  t.name = name;
  if (!body["kind"] || !body["kind"].IsScalar())
    return invalid_error(where + ": 'kind' is required (dir, s3, sftp or webdav)");
  t.kind = body["kind"].Scalar();
  auto allowed = fields_by_kind().find(t.kind);
  if (allowed == fields_by_kind().end())
    return invalid_error(where + ".kind: expected dir, s3, sftp or webdav, got '" + t.kind + "'");
  for (const auto& field : body) {
    const std::string f = field.first.Scalar();
    if (f == "kind") continue;
    if (!allowed->second.count(f)) {
      std::string list;
      for (const auto& a : allowed->second) list += (list.empty() ? "" : ", ") + a;
      return invalid_error(where + ": unknown field '" + f + "' for kind " + t.kind +
                           " (expected " + list + ")");
    }
    if (!field.second.IsScalar())
      return invalid_error(where + "." + f + ": expected a single value");
    std::string v = field.second.Scalar();
    if (secret_fields().count(f)) {
      auto resolved = ops::resolve_secret(v, env);
      if (!resolved) return invalid_error(where + "." + f + ": " + resolved.error().message);
      v = *resolved;
    }
    const std::string at = where + "." + f;
    if (f == "path") t.path = v;
    if (f == "endpoint") t.endpoint = v;
    if (f == "region") t.region = v;
    if (f == "bucket") t.bucket = v;
    if (f == "prefix") t.prefix = v;
    if (f == "path_style") {
      if (v != "true" && v != "false")
        return invalid_error(at + ": expected true or false, got '" + v + "'");
      t.path_style = v == "true";
    }
    if (f == "access_key") t.access_key = v;
    if (f == "secret_key") t.secret_key = v;
    if (f == "session_token") t.session_token = v;
    if (f == "url") t.url = v;
    if (f == "user") t.user = v;
    if (f == "password") t.password = v;
    if (f == "private_key") t.private_key = v;
    if (f == "public_key") t.public_key = v;
    if (f == "known_hosts") t.known_hosts = v;
    if (f == "ca_file") t.ca_file = v;
    if (f == "multipart_threshold" || f == "part_size") {
      // S3 allows 5 MiB..5 GiB parts and at most 10,000 of them.
      auto n = integer(at, v, 5ll << 20, 5ll << 30);
      if (!n) return n.error();
      (f == "part_size" ? t.part_size : t.multipart_threshold) = static_cast<std::uint64_t>(*n);
    }
    if (f == "parallel") {
      auto n = integer(at, v, 1, 64);
      if (!n) return n.error();
      t.parallel = static_cast<int>(*n);
    }
    if (f == "timeout_seconds") {
      auto n = integer(at, v, 1, 3600);
      if (!n) return n.error();
      t.timeout_seconds = static_cast<int>(*n);
    }
  }
  auto require = [&](const std::string& f, const std::string& v) -> Status {
    if (v.empty()) return invalid_error(where + ": '" + f + "' is required for kind " + t.kind);
    return Status::Ok();
  };
  std::vector<std::pair<std::string, const std::string*>> required;
  if (t.kind == "dir") required = {{"path", &t.path}};
  if (t.kind == "s3")
    required = {
        {"bucket", &t.bucket}, {"access_key", &t.access_key}, {"secret_key", &t.secret_key}};
  if (t.kind == "sftp")
    required = {{"url", &t.url}, {"user", &t.user}, {"known_hosts", &t.known_hosts}};
  if (t.kind == "webdav") required = {{"url", &t.url}};
  for (const auto& [f, v] : required)
    if (Status s = require(f, *v); !s.ok()) return s.error();
  if (t.kind == "sftp" && t.url.rfind("sftp://", 0) != 0)
    return invalid_error(where + ".url: expected sftp://HOST[:PORT]/PATH, got '" + t.url + "'");
  if (t.kind == "webdav" && t.url.rfind("http://", 0) != 0 && t.url.rfind("https://", 0) != 0)
    return invalid_error(where + ".url: expected http(s)://HOST[:PORT]/PATH, got '" + t.url + "'");
  if (t.kind == "s3" && !t.endpoint.empty() && t.endpoint.rfind("http://", 0) != 0 &&
      t.endpoint.rfind("https://", 0) != 0)
    return invalid_error(where + ".endpoint: expected http(s)://HOST[:PORT], got '" + t.endpoint +
                         "'");
  if (t.kind == "dir" && t.path.front() != '/')
    return invalid_error(where + ".path: expected an absolute path, got '" + t.path + "'");
  if (t.kind == "s3" && t.part_size > t.multipart_threshold) t.multipart_threshold = t.part_size;
  return t;
}

}  // namespace

nlohmann::json TargetSpec::describe() const {
  nlohmann::json j = {{"name", name}, {"kind", kind}};
  if (kind == "dir") j["path"] = path;
  if (kind == "s3") {
    j["endpoint"] = endpoint.empty() ? "https://s3." + region + ".amazonaws.com" : endpoint;
    j["region"] = region;
    j["bucket"] = bucket;
    j["prefix"] = prefix;
    j["path_style"] = path_style;
    j["access_key"] = access_key;
    j["multipart_threshold"] = multipart_threshold;
    j["part_size"] = part_size;
    j["parallel"] = parallel;
  }
  if (kind == "sftp" || kind == "webdav") {
    j["url"] = url;
    j["user"] = user;
  }
  if (kind == "sftp") j["known_hosts"] = known_hosts;
  return j;
}

Result<TargetSet> parse_targets(const YAML::Node& node, const ops::EnvMap& env) {
  TargetSet out;
  if (!node || node.IsNull()) return out;
  if (!node.IsMap()) return invalid_error("targets: expected a mapping of name to settings");
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    auto t = parse_one(name, entry.second, env);
    if (!t) return t.error();
    out.emplace(name, std::move(*t));
  }
  return out;
}

Result<TargetSpec> TargetRegistry::find(std::string_view name) const {
  auto set = current();
  auto it = set->find(name);
  if (it != set->end()) return it->second;
  std::string known;
  for (const auto& [n, t] : *set) known += (known.empty() ? "" : ", ") + n;
  return make_error(ErrorClass::not_found,
                    "no target named '" + std::string(name) +
                        "' (configured: " + (known.empty() ? "none" : known) + ")");
}

}  // namespace hypersdk::targets
