// Config keys of the database, the export directory and the HTTP API (rows of config_schema(),
// see config_schema.h), with the checks of those keys.
#include <set>
#include <string>

#include "ops/config_schema_detail.h"

namespace hypersdk::ops::schema_detail {
namespace {

void check_listen(std::string_view key, const YAML::Node& v, std::vector<ValueProblem>& out) {
  const std::string& s = v.Scalar();
  auto colon = s.rfind(':');
  auto port = colon == std::string::npos ? std::nullopt : parse_int(s.substr(colon + 1));
  if (colon == 0 || !port || *port < 1 || *port > 65535)
    problem(out, v, key, "expected HOST:PORT such as 127.0.0.1:8080, got '" + s + "'");
}

void check_public_url(std::string_view key, const YAML::Node& v, std::vector<ValueProblem>& out) {
  const std::string& s = v.Scalar();
  if (!s.empty() && s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0)
    problem(
        out, v, key,
        "expected an http:// or https:// URL such as https://backup.example.com, got '" + s + "'");
}

void check_tokens(std::string_view key, const YAML::Node& v, std::vector<ValueProblem>& out) {
  if (v.IsNull()) return;
  if (!v.IsSequence()) return problem(out, v, key, "expected a list of {name, token, role}");
  std::set<std::string> names;
  for (const auto& t : v) {
    if (!t.IsMap()) {
      problem(out, t, key, "expected {name, token, role}, got " + describe(t));
      continue;
    }
    for (const auto& field : t) {
      const std::string f = field.first.Scalar();
      if (f != "name" && f != "token" && f != "token_sha256" && f != "role")
        problem(out, field.first, key,
                "unknown field '" + f + "' (expected name, token or token_sha256, role)");
    }
    for (const char* f : {"name", "role"})
      if (!t[f] || !t[f].IsScalar() || t[f].Scalar().empty())
        problem(out, t, key, std::string("each token needs a non-empty '") + f + "'");
    // The digest form keeps the secret out of the config (`hypersdk token create`).
    if (!t["token"] == !t["token_sha256"])
      problem(out, t, key, "each token needs exactly one of 'token' and 'token_sha256'");
    if (const YAML::Node d = t["token_sha256"]; d) {
      const std::string& h = d.IsScalar() ? d.Scalar() : std::string();
      if (h.size() != 64 || h.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        problem(out, d, key, "token_sha256: expected 64 hex digits (SHA-256 of the token)");
    } else if (const YAML::Node s = t["token"]; s && (!s.IsScalar() || s.Scalar().empty())) {
      problem(out, t, key, "each token needs a non-empty 'token'");
    }
    if (t["name"] && t["name"].IsScalar() && !names.insert(t["name"].Scalar()).second)
      problem(out, t["name"], key, "duplicate token name '" + t["name"].Scalar() + "'");
    const YAML::Node role = t["role"];
    if (role && role.IsScalar() && role.Scalar() != "read" && role.Scalar() != "operate" &&
        role.Scalar() != "admin")
      problem(out, role, key,
              "role: expected one of read, operate, admin, got '" + role.Scalar() + "'");
  }
}

}  // namespace

void add_server_keys(std::vector<KeySpec>& out) {
  using T = KeyType;
  out.insert(
      out.end(),
      {
          // Database
          {.name = "db.path",
           .type = T::string,
           .default_value = "",
           .help = "SQLite file; empty = /var/lib/hypersdk (root, service) or the XDG data dir"},
          {.name = "db.url",
           .type = T::string,
           .default_value = "",
           .help = "postgres://user@host:port/db: the PostgreSQL store (issue 17); empty = SQLite",
           .secret = true},  // may hold a password
          {.name = "db.synchronous",
           .type = T::enumeration,
           .default_value = "FULL",
           .help = "FULL: an acknowledged enqueue survives power loss; NORMAL: faster",
           .allowed = {"FULL", "NORMAL"}},
          {.name = "db.busy_timeout",
           .type = T::duration,
           .default_value = "5s",
           .help = "how long a connection waits for a lock"},
          {.name = "db.statement_timeout",
           .type = T::duration,
           .default_value = "30s",
           .help = "PostgreSQL: longest statement of the daemon (lock waits included); 0 = none"},
          {.name = "db.backup_before_migrate",
           .type = T::boolean,
           .default_value = "true",
           .help = "copy the database before applying schema migrations"},
          {.name = "db.checkpoint_interval",
           .type = T::duration,
           .default_value = "30s",
           .help = "WAL checkpoint period of the daemon (0 = SQLite's automatic checkpoints)"},
          {.name = "db.journal_size_limit",
           .type = T::integer,
           .default_value = "67108864",
           .help = "bytes the WAL file is truncated to after a checkpoint",
           .max = 1LL << 40},
          // Exports
          {.name = "export.dir",
           .type = T::string,
           .default_value = "",
           .help = "where exports and backups are written; empty = exports/ beside the database"},
          // HTTP API
          {.name = "api.listen",
           .type = T::string,
           .default_value = "127.0.0.1:8080",
           .help = "HOST:PORT of the HTTP API",
           .check = check_listen},
          {.name = "api.public_url",
           .type = T::string,
           .default_value = "",
           .help =
               "where operators reach this server, e.g. https://backup.example.com: notifications "
               "link to jobs under it (empty = no links)",
           .check = check_public_url},
          {.name = "api.tokens",
           .type = T::map,
           .default_value = "[]",
           .help = "bearer tokens: list of {name, token or token_sha256, role: read|operate|admin}",
           .secret = true,
           .secret_field = "token",
           .check = check_tokens},
          {.name = "api.rate_limit.requests_per_second",
           .type = T::integer,
           .default_value = "50",
           .help = "sustained requests per second per client",
           .min = 1,
           .max = 1'000'000},
          {.name = "api.rate_limit.burst",
           .type = T::integer,
           .default_value = "100",
           .help = "requests a client may make at once before the rate applies",
           .min = 1,
           .max = 1'000'000},
          {.name = "api.tls.cert",
           .type = T::string,
           .default_value = "",
           .help = "PEM certificate file; set with api.tls.key to serve HTTPS"},
          {.name = "api.tls.key",
           .type = T::string,
           .default_value = "",
           .help = "PEM private key file"},
          {.name = "api.allow_remote_without_token",
           .type = T::boolean,
           .default_value = "false",
           .help = "allow a non-loopback listen address with no api.tokens"},
          {.name = "api.cors.allowed_origins",
           .type = T::string_list,
           .default_value = "[]",
           .help = "origins (https://host[:port], or *) whose browser scripts may call the API; "
                   "empty: no CORS"},
      });
}

}  // namespace hypersdk::ops::schema_detail
