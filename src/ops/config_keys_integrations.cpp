// Config keys of upload targets, providers, notifications and several nodes (rows of
// config_schema(), see config_schema.h), with the check of the targets' shape (providers and
// notifications are checked by config_providers.h and notify_config.h).
#include <string>

#include "ops/config_providers.h"
#include "ops/config_schema_detail.h"
#include "ops/notify_config.h"

namespace hypersdk::ops::schema_detail {
namespace {

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

}  // namespace

void add_integration_keys(std::vector<KeySpec>& out) {
  using T = KeyType;
  out.insert(
      out.end(),
      {
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
           .help =
               "VM providers: NAME: {kind: local, dirs: [DIR, ...]}, {kind: libvirt, uri: URI} or "
               "{kind: vsphere, url, username, password, ...}",
           .secret = true,
           .secret_field = "password",  // a literal libvirt password never reaches config show
           .check = check_providers},
          // Notifications (ops/notify_config.h)
          {.name = "notifications.receivers",
           .type = T::map,
           .default_value = "{}",
           .help =
               "receivers by name: NAME: {type: webhook|slack|pagerduty|opsgenie|email, url, ...}",
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
           .help = "raise system.disk_low when the database or export filesystem has less free (0 "
                   "= off)",
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
          {.name = "cluster.poll_interval",
           .type = T::duration,
           .default_value = "1s",
           .help = "PostgreSQL: how often a node polls for other nodes' changes while "
                   "LISTEN/NOTIFY wakes it (a safety net); while that session is down it polls "
                   "every 50 ms",
           .min = 10,
           .max = 600 * kSecond},
      });
}

}  // namespace hypersdk::ops::schema_detail
