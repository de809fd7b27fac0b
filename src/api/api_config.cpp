// api_config_from(): the API section of the config, with token secrets resolved.
#include "api/auth.h"
#include "api/server.h"
#include "ops/bounded_file.h"
#include "ops/config.h"

namespace hypersdk::api {

Result<ApiConfig> api_config_from(const ops::Config& config, const ops::EnvMap& env) {
  ApiConfig out;
  out.listen = config.get_string("api.listen");
  out.rate_per_second = static_cast<int>(config.get_int("api.rate_limit.requests_per_second"));
  out.burst = static_cast<int>(config.get_int("api.rate_limit.burst"));
  out.tls_cert = config.get_string("api.tls.cert");
  out.tls_key = config.get_string("api.tls.key");
  out.allow_remote_without_token = config.get_bool("api.allow_remote_without_token");
  out.cors_origins = config.get_list("api.cors.allowed_origins");
  // OpenSSL would read a FIFO or /dev/zero without end: only regular files of a sane size.
  for (const auto& [path, what] :
       {std::pair{out.tls_cert, "TLS certificate"}, std::pair{out.tls_key, "TLS key"}})
    if (!path.empty())
      if (auto ok = ops::read_bounded_file(path, ops::kMaxSecretFileBytes * 16, what); !ok)
        return make_error(ErrorClass::invalid, std::string("api.tls: ") + ok.error().message);
  const YAML::Node tokens = config.get_node("api.tokens");
  if (!tokens.IsDefined() || tokens.IsNull()) return out;
  if (!tokens.IsSequence())
    return make_error(ErrorClass::invalid, "api.tokens: expected a list of {name, token, role}");
  for (const auto& t : tokens) {
    const std::string name = t["name"] ? t["name"].as<std::string>("") : "";
    const std::string ref = t["token"] ? t["token"].as<std::string>("") : "";
    const std::string digest = t["token_sha256"] ? t["token_sha256"].as<std::string>("") : "";
    const std::string role_text = t["role"] ? t["role"].as<std::string>("") : "";
    if (name.empty() || ref.empty() == digest.empty())
      return make_error(ErrorClass::invalid,
                        "api.tokens: each token needs a name and exactly one of token or "
                        "token_sha256");
    auto role = parse_role(role_text);
    if (!role)
      return make_error(ErrorClass::invalid, "api.tokens: token '" + name +
                                                 "': role must be "
                                                 "read, operate or admin, got '" +
                                                 role_text + "'");
    if (!digest.empty()) {
      if (!parse_sha256_hex(digest))
        return make_error(ErrorClass::invalid, "api.tokens: token '" + name +
                                                   "': token_sha256 must be 64 hex digits "
                                                   "(what 'hypersdk token create' prints)");
      out.tokens.push_back({name, "", *role, digest});
      continue;
    }
    auto secret = ops::resolve_secret(ref, env);
    if (!secret)
      return make_error(ErrorClass::invalid,
                        "api.tokens: token '" + name + "': " + secret.error().message);
    if (secret->empty())
      return make_error(ErrorClass::invalid,
                        "api.tokens: token '" + name + "' resolves to an empty secret");
    out.tokens.push_back({name, *secret, *role, ""});
  }
  return out;
}

}  // namespace hypersdk::api
