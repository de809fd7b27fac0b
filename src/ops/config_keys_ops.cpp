// Config keys of logging, retention, the scheduler and holiday calendars (rows of
// config_schema(), see config_schema.h), with the checks of those keys.
#include <date/tz.h>

#include <string>

#include "ops/config_schema_detail.h"

namespace hypersdk::ops::schema_detail {
namespace {

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

}  // namespace

void add_ops_keys(std::vector<KeySpec>& out) {
  using T = KeyType;
  out.insert(
      out.end(),
      {
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
           .help = "write an occurrence's job a few seconds ahead, claimable at its time, when "
                   "its overlap decision cannot change by then"},
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
      });
}

}  // namespace hypersdk::ops::schema_detail
