// hypersdk token create --name N --role R: a new random API token and the config line that
// admits it. The config line holds only the token's SHA-256 (`token_sha256:`), so the config
// file need not be kept secret; the token itself is printed once and stored nowhere.
#include <openssl/rand.h>

#include <cctype>
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/auth.h"
#include "cli/commands.h"

namespace hypersdk::cli {
namespace {

struct TokenFlags {
  std::string name;
  std::string role;
  bool json_out = false;
};

// 32 random bytes (256 bits) as base64url without padding, behind a prefix that secret
// scanners can recognise.
Result<std::string> random_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    return make_error(ErrorClass::internal, "the system random generator failed");
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = "hsdk_";
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

// Names appear in logs, the audit trail and YAML unquoted: keep them plain.
bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.' && c != '@') return false;
  return true;
}

int run_create(Context& ctx, const TokenFlags& f) {
  if (!valid_name(f.name))
    return ctx.fail(invalid_error("--name '" + f.name +
                                  "': 1 to 64 letters, digits and - _ . @ (it is shown in logs "
                                  "and the audit trail)"));
  const auto role = api::parse_role(f.role);
  if (!role)
    return ctx.fail(invalid_error("--role '" + f.role + "': expected one of read, operate, admin"));
  auto token = random_token();
  if (!token) return ctx.fail(token.error());
  const std::string digest = api::sha256_hex(*token);
  const std::string line = "- {name: " + f.name + ", role: " + std::string(api::to_string(*role)) +
                           ", token_sha256: " + digest + "}";
  if (f.json_out) {
    std::cout << nlohmann::json{{"name", f.name},
                                {"role", std::string(api::to_string(*role))},
                                {"token", *token},
                                {"token_sha256", digest},
                                {"config_line", line}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "token: " << *token << "\n"
            << "Give the token to its user (it is shown only this once) and add this line under "
               "api.tokens in the config, then reload (SIGHUP):\n"
            << "  " << line << "\n";
  return 0;
}

}  // namespace

void add_token_command(CLI::App& app, Context& ctx) {
  auto* token = app.add_subcommand("token", "API tokens");
  token->require_subcommand(1);
  auto f = std::make_shared<TokenFlags>();
  auto* create = token->add_subcommand(
      "create", "Print a new random token and the api.tokens line (its SHA-256 only) to add");
  create->add_option("--name", f->name, "Who uses it (shown in logs and the audit trail)")
      ->required();
  create->add_option("--role", f->role, "read, operate or admin")->required();
  create->add_flag("--json", f->json_out, "Print JSON");
  create->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_create(ctx, *f); }; });
}

}  // namespace hypersdk::cli
