#include "core/time_text.h"

#include <date/date.h>

#include <sstream>

namespace hypersdk::core {
using std::chrono::milliseconds;

std::string format_time(TimeMs t) {
  return date::format("%FT%TZ", date::sys_time<milliseconds>(milliseconds(t)));
}

Result<TimeMs> parse_time(std::string_view text) {
  const std::string s(text);
  for (const char* fmt : {"%FT%T%Ez", "%FT%TZ", "%FT%T%z", "%F %T%Ez", "%FT%R%Ez", "%FT%RZ"}) {
    std::istringstream in(s);
    date::sys_time<milliseconds> tp;
    in >> date::parse(fmt, tp);
    if (!in.fail() && in.peek() == EOF) return tp.time_since_epoch().count();
  }
  return invalid_error("'" + s +
                       "' is not a time: use ISO 8601 with an offset or Z, e.g. "
                       "2026-04-02T14:30:00Z or 2026-04-02T09:30:00-05:00");
}

}  // namespace hypersdk::core
