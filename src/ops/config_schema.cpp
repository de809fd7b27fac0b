// Most of this file is the key table, one designated-initializer row per key, with the
// checks of individual keys it refers to; value conversion is config_values.cpp.
#include <date/tz.h>

#include <set>

#include "ops/config_providers.h"
#include "ops/config_schema_detail.h"
#include "ops/notify_config.h"

namespace hypersdk::ops {
namespace {
using namespace schema_detail;

// ---- Checks of individual keys (see the table below) --------------------------------------

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

void check_error_classes(std::string_view key, const YAML::Node& v,
                         std::vector<ValueProblem>& out) {
  for (const auto& item : v)
    if (!parse_error_class(item.Scalar()))
      problem(out, item, key, "unknown error class '" + item.Scalar() + "'");
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

void check_exit_codes(std::string_view key, const YAML::Node& v, std::vector<ValueProblem>& out) {
  if (v.IsNull()) return;
  if (!v.IsMap()) return problem(out, v, key, "expected a mapping of exit code to error class");
  for (const auto& pair : v) {
    auto code = parse_int(pair.first.Scalar());
    if (!code || *code < 1 || *code > 255)
      problem(out, pair.first, key,
              "exit code must be 1..255 (0 is always success), got " + describe(pair.first));
    if (!pair.second.IsScalar() || !parse_error_class(pair.second.Scalar()))
      problem(out, pair.second, key, "unknown error class " + describe(pair.second));
  }
}

bool valid_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  auto y = parse_int(s.substr(0, 4)), m = parse_int(s.substr(5, 2)), d = parse_int(s.substr(8));
  if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1) return false;
  std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(*y)),
                                  std::chrono::month(static_cast<unsigned>(*m)),
                                  std::chrono::day(static_cast<unsigned>(*d))};
  return ymd.ok();
}

void check_holidays(std::string_view key, const YAML::Node& v, std::vector<ValueProblem>& out) {
  if (v.IsNull()) return;
  if (!v.IsMap())
    return problem(out, v, key, "expected a mapping of calendar name to {dates, ics}");
  for (const auto& cal : v) {
    if (!cal.first.IsScalar() || cal.first.Scalar().empty()) {
      problem(out, cal.first, key,
              "a calendar name must be a plain name, got " + describe(cal.first));
      continue;
    }
    const std::string where = std::string(key) + "." + cal.first.Scalar();
    const YAML::Node& body = cal.second;
    if (!body.IsMap()) {
      problem(out, body, where, "expected {dates: [YYYY-MM-DD, ...], ics: PATH}");
      continue;
    }
    for (const auto& field : body) {
      const std::string f = field.first.IsScalar() ? field.first.Scalar() : std::string();
      if (f == "dates" && field.second.IsSequence()) {
        for (const auto& d : field.second)
          if (!d.IsScalar() || !valid_date(d.Scalar()))
            problem(out, d, where, "expected a date YYYY-MM-DD, got " + describe(d));
      } else if (f == "dates") {
        problem(out, field.second, where, "dates: expected a list of YYYY-MM-DD");
      } else if (f == "ics") {
        if (!field.second.IsScalar()) problem(out, field.second, where, "ics: expected a path");
      } else {
        problem(out, field.first, where, "unknown field '" + f + "' (expected dates, ics)");
      }
    }
  }
}

void check_timezone(std::string_view key, const YAML::Node& v, std::vector<ValueProblem>& out) {
  try {
    date::locate_zone(v.Scalar());
  } catch (const std::exception&) {
    problem(out, v, key,
            "unknown time zone '" + v.Scalar() + "' (want an IANA name such as America/Chicago)");
  }
}

// The shape only (a mapping of name -> {kind, scalar settings}); the fields of each kind are
// checked by targets/target_spec.cpp, which ops may not depend on.
void check_targets(std::string_view key, const YAML::Node& v, std::vector<ValueProblem>& out) {
  if (v.IsNull()) return;
  if (!v.IsMap()) return problem(out, v, key, "expected a mapping of target name to settings");
  for (const auto& t : v) {
    const std::string where = std::string(key) + "." + t.first.Scalar();
    if (!t.second.IsMap()) {
      problem(out, t.second, where, "expected {kind: dir|s3|sftp|webdav, ...}");
      continue;
    }
    const YAML::Node kind = t.second["kind"];
    if (!kind || !kind.IsScalar())
      problem(out, t.second, where, "'kind' is required (dir, s3, sftp or webdav)");
    else if (kind.Scalar() != "dir" && kind.Scalar() != "s3" && kind.Scalar() != "sftp" &&
             kind.Scalar() != "webdav")
      problem(out, kind, where + ".kind",
              "expected dir, s3, sftp or webdav, got '" + kind.Scalar() + "'");
    for (const auto& field : t.second)
      if (!field.second.IsScalar())
        problem(out, field.second, where + "." + field.first.Scalar(), "expected a single value");
  }
}

// ---- The table -----------------------------------------------------------------------------

const std::vector<KeySpec>& schema_table() {
  using T = KeyType;
  static const std::vector<KeySpec> table = {
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
       .help = "where operators reach this server, e.g. https://backup.example.com: notifications "
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
      // Workers
      {.name = "workers.count",
       .type = T::integer,
       .default_value = "4",
       .help = "worker threads of serve",
       .min = 1,
       .max = 1024},
      {.name = "workers.lease_ttl",
       .type = T::duration,
       .default_value = "30s",
       .help = "lease of a claimed job; renewed by heartbeats, reaped when it lapses",
       .min = kSecond},
      {.name = "workers.shutdown_grace",
       .type = T::duration,
       .default_value = "30s",
       .help = "how long running jobs may finish on SIGTERM before leases are handed back"},
      {.name = "workers.claim_batch",
       .type = T::integer,
       .default_value = "64",
       .help = "most jobs claimed in one transaction",
       .min = 1,
       .max = 1000},
      // Jobs
      {.name = "jobs.exec.enabled",
       .type = T::boolean,
       .default_value = "false",
       .help = "allow the exec job type (runs commands as the daemon's user)"},
      {.name = "jobs.exec.allow_shell",
       .type = T::boolean,
       .default_value = "false",
       .help = "allow exec jobs to ask for /bin/sh -c"},
      {.name = "jobs.exec.allowed",
       .type = T::string_list,
       .default_value = "[]",
       .help = "commands exec jobs may run: exact argv[0] values, or directories ending in "
               "'/'; empty = any"},
      {.name = "jobs.exec.kill_grace",
       .type = T::duration,
       .default_value = "10s",
       .help = "time between SIGTERM and SIGKILL when an exec job is cancelled or times out"},
      {.name = "jobs.exec.exit_codes",
       .type = T::map,
       .default_value = "{75: transient}",
       .help = "exit code -> error class; unlisted non-zero codes are internal",
       .check = check_exit_codes},
      {.name = "jobs.output.max_bytes",
       .type = T::integer,
       .default_value = "10485760",
       .help = "output bytes stored per job attempt: the first half and the last half are "
               "kept, with a line saying how much was left out between",
       .min = 1024,
       .max = std::int64_t{1} << 30},
      {.name = "jobs.output.max_lines",
       .type = T::integer,
       .default_value = "100000",
       .help = "output lines stored per job attempt, kept as for max_bytes",
       .min = 2,
       .max = std::int64_t{1} << 30},
      {.name = "jobs.output.buffer_bytes",
       .type = T::integer,
       .default_value = "16777216",
       .help = "memory for output not yet written, all jobs together; past it lines are "
               "dropped, counted in hypersdk_job_output_dropped_lines_total and logged",
       .min = 65536,
       .max = std::int64_t{1} << 30},
      {.name = "jobs.default_timeout",
       .type = T::duration,
       .default_value = "0",
       .help = "timeout of jobs that set none (0 = none)"},
      {.name = "jobs.stall_timeout",
       .type = T::duration,
       .default_value = "10m",
       .help = "a job whose progress (bytes done) stands still this long fails as a timeout "
               "and is retried; jobs that report no progress are exempt (0 = never)"},
      // Retries
      {.name = "retry.max_retries",
       .type = T::integer,
       .default_value = "3",
       .help = "retries after the first attempt before a job is dead-lettered",
       .max = 1000},
      {.name = "retry.backoff",
       .type = T::enumeration,
       .default_value = "exponential",
       .help = "delay growth between retries (always with jitter)",
       .allowed = {"exponential", "fixed", "linear"}},
      {.name = "retry.base",
       .type = T::duration,
       .default_value = "10s",
       .help = "first retry delay"},
      {.name = "retry.cap",
       .type = T::duration,
       .default_value = "1h",
       .help = "longest retry delay"},
      {.name = "retry.retry_on",
       .type = T::string_list,
       .default_value = "[transient, timeout, network, rate_limited, unavailable, lease_expired]",
       .help = "error classes that are retried; others fail at once",
       .check = check_error_classes},
      // Queue
      {.name = "queue.max_lease_expiries",
       .type = T::integer,
       .default_value = "3",
       .help = "lease expiries (crashed or stalled workers) before a job is dead-lettered",
       .min = 1,
       .max = 1000},
      // Logging
      {.name = "log.level",
       .type = T::enumeration,
       .default_value = "info",
       .help = "lowest level logged",
       .allowed = {"debug", "info", "warn", "error"}},
      {.name = "log.format",
       .type = T::enumeration,
       .default_value = "auto",
       .help = "auto = text on a TTY, JSON lines otherwise",
       .allowed = {"auto", "json", "text"}},
      {.name = "log.file",
       .type = T::string,
       .default_value = "",
       .help = "log file (reopened on SIGUSR1); empty = stderr"},
      // Retention
      {.name = "retention.finished_jobs",
       .type = T::duration,
       .default_value = "30d",
       .help = "finished jobs older than this are pruned (0 = keep forever)"},
      {.name = "retention.audit",
       .type = T::duration,
       .default_value = "365d",
       .help = "audit trail entries older than this are pruned (0 = keep forever)"},
      {.name = "retention.max_finished_jobs",
       .type = T::integer,
       .default_value = "100000",
       .help = "most finished jobs kept, oldest pruned first (0 = no limit)",
       .max = std::numeric_limits<std::int32_t>::max()},
      // Scheduler
      {.name = "scheduler.enabled",
       .type = T::boolean,
       .default_value = "true",
       .help = "fire schedules in this daemon"},
      {.name = "scheduler.tick",
       .type = T::duration,
       .default_value = "1s",
       .help = "how often the scheduler looks for due occurrences and schedule changes",
       .min = 10,
       .max = kSecond},
      {.name = "scheduler.misfire_grace",
       .type = T::duration,
       .default_value = "1m",
       .help = "an occurrence seen later than this after its time is late: catch-up applies",
       .min = kSecond},
      {.name = "scheduler.arm_ahead",
       .type = T::boolean,
       .default_value = "true",
       .help = "write an occurrence's job a few seconds ahead, claimable at its time, when its "
               "overlap decision cannot change by then (issue 14)"},
      {.name = "scheduler.default_timezone",
       .type = T::string,
       .default_value = "UTC",
       .help = "time zone of schedules and windows created without --timezone (IANA name)",
       .check = check_timezone},
      {.name = "holidays",
       .type = T::map,
       .default_value = "{}",
       .help = "named holiday calendars: NAME: {dates: [YYYY-MM-DD, ...], ics: PATH}",
       .check = check_holidays},
      {.name = "targets",
       .type = T::map,
       .default_value = "{}",
       .help = "upload targets: NAME: {kind: dir|s3|sftp|webdav, ...} (README, Upload targets)",
       .secret = true,
       .secret_field = "secret_key|session_token|password",  // several: config_detail.h
       .check = check_targets},
      // Providers and exports (issue 11)
      {.name = "providers",
       .type = T::map,
       .default_value = "{}",
       .help = "VM providers: NAME: {kind: local, dirs: [DIR, ...]}, {kind: libvirt, uri: URI} or "
               "{kind: vsphere, url, username, password, ...}",
       .secret = true,
       .secret_field = "password",  // a literal libvirt password never reaches config show
       .check = check_providers},
      // Notifications (ops/notify_config.h)
      {.name = "notifications.receivers",
       .type = T::map,
       .default_value = "{}",
       .help = "receivers by name: NAME: {type: webhook|slack|pagerduty|opsgenie|email, url, ...}",
       .secret = true,
       .secret_field = "url|secret|secrets|routing_key|api_key|password",
       .check = check_notify_receivers},
      {.name = "notifications.routes",
       .type = T::map,
       .default_value = "[]",
       .help = "ordered routes: - {match: {event, severity, labels, ...}, receivers, continue}",
       .check = check_notify_routes},
      {.name = "notifications.default_receivers",
       .type = T::string_list,
       .default_value = "[]",
       .help = "receivers of an event that no route matched"},
      {.name = "notifications.retry.max_attempts",
       .type = T::integer,
       .default_value = "8",
       .help = "attempts per delivery before it fails",
       .min = 1,
       .max = 100},
      {.name = "notifications.retry.base",
       .type = T::duration,
       .default_value = "5s",
       .help = "first retry delay of a delivery (doubling, with jitter)",
       .min = 100,
       .max = 3600 * kSecond},
      {.name = "notifications.retry.cap",
       .type = T::duration,
       .default_value = "10m",
       .help = "longest retry delay of a delivery",
       .min = kSecond,
       .max = 24 * 3600 * kSecond},
      {.name = "notifications.circuit_breaker.failures",
       .type = T::integer,
       .default_value = "5",
       .help = "failed attempts in a row after which a receiver is paused",
       .min = 1,
       .max = 1000},
      {.name = "notifications.circuit_breaker.cooldown",
       .type = T::duration,
       .default_value = "1m",
       .help = "how long a receiver stays paused before one trial attempt",
       .min = 100,
       .max = 24 * 3600 * kSecond},
      {.name = "notifications.disk_low_percent",
       .type = T::integer,
       .default_value = "10",
       .help =
           "raise system.disk_low when the database or export filesystem has less free (0 = off)",
       .max = 100},
      {.name = "retention.notifications",
       .type = T::duration,
       .default_value = "30d",
       .help = "delivered and failed notifications older than this are pruned"},
      // Several nodes (issue 17)
      {.name = "cluster.leader_ttl",
       .type = T::duration,
       .default_value = "15s",
       .help = "leader lease of the node that runs the lease reaper and retention; renewed "
               "every ttl/3, taken over this long after its holder stops renewing",
       .min = kSecond,
       .max = 600 * kSecond},
  };
  return table;
}

}  // namespace

std::string_view to_string(KeyType type) {
  switch (type) {
    case KeyType::string:
      return "string";
    case KeyType::integer:
      return "integer";
    case KeyType::boolean:
      return "bool";
    case KeyType::duration:
      return "duration";
    case KeyType::enumeration:
      return "enum";
    case KeyType::string_list:
      return "list";
    case KeyType::map:
      return "map";
  }
  return "string";
}

const std::vector<KeySpec>& config_schema() {
  return schema_table();
}

const std::vector<KeyAlias>& config_aliases() {
  static const std::vector<KeyAlias> aliases = {
      {"workers.pool_size", "workers.count", "renamed in 0.1"},
  };
  return aliases;
}

const KeySpec* find_key(std::string_view name) {
  for (const auto& spec : config_schema())
    if (spec.name == name) return &spec;
  return nullptr;
}

const KeyAlias* find_alias(std::string_view name) {
  for (const auto& alias : config_aliases())
    if (alias.old_name == name) return &alias;
  return nullptr;
}

bool is_section(std::string_view prefix) {
  auto under = [&](std::string_view name) {
    return name.size() > prefix.size() && name.starts_with(prefix) && name[prefix.size()] == '.';
  };
  for (const auto& spec : config_schema())
    if (under(spec.name)) return true;
  for (const auto& alias : config_aliases())
    if (under(alias.old_name)) return true;
  return false;
}

}  // namespace hypersdk::ops
