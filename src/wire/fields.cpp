#include "wire/fields.h"

#include "core/time_text.h"
#include "ops/config_schema.h"

namespace hypersdk::wire {
using nlohmann::json;
using std::chrono::milliseconds;

namespace {
std::string quoted(std::string_view name) {
  return "\"" + std::string(name) + "\"";
}

// The value as the client wrote it, cut short so an error message stays readable.
std::string shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 64) s = s.substr(0, 61) + "...";
  return s;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}
}  // namespace

Result<std::int64_t> int_field(const json& v, std::string_view name, std::int64_t min,
                               std::int64_t max) {
  const std::string rule = quoted(name) + " must be an integer from " + std::to_string(min) +
                           " to " + std::to_string(max) + ", got " + shown(v);
  // nlohmann keeps non-negative literals unsigned; 2^63 and above do not fit an int64 and
  // get<int64_t>() would wrap them, so they are refused before any narrowing.
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
    return invalid_error(rule);
  if (!v.is_number_integer()) return invalid_error(rule);
  const auto i = v.get<std::int64_t>();
  if (i < min || i > max) return invalid_error(rule);
  return i;
}

Result<std::string> string_field(const json& v, std::string_view name, std::size_t max_bytes) {
  if (!v.is_string()) return invalid_error(quoted(name) + " must be a string, got " + shown(v));
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > max_bytes)
    return invalid_error(quoted(name) + " must be at most " + std::to_string(max_bytes) +
                         " bytes, got " + std::to_string(s.size()));
  return s;
}

Result<milliseconds> duration_field(const json& v, std::string_view name) {
  const auto max_s = std::chrono::duration_cast<std::chrono::seconds>(kMaxDuration).count();
  const std::string rule = quoted(name) +
                           " must be a duration such as \"30s\", \"5m\" or \"1h\", or a number "
                           "of seconds, from 0 to " +
                           ops::format_duration(kMaxDuration) + ", got " + shown(v);
  if (v.is_number_integer()) {
    auto s = int_field(v, name, 0, max_s);
    if (!s) return invalid_error(rule);
    return milliseconds(*s * 1000);
  }
  if (!v.is_string()) return invalid_error(rule);
  auto d = ops::parse_duration(v.get_ref<const std::string&>());
  if (!d || *d > kMaxDuration) return invalid_error(rule);
  return *d;
}

Result<core::TimeMs> time_field(const json& v, std::string_view name) {
  const std::string range = "from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z";
  if (v.is_number_integer() || v.is_number_unsigned()) {
    auto t = int_field(v, name, kMinTimeMs, kMaxTimeMs);
    if (!t)
      return invalid_error(quoted(name) + " in milliseconds since the epoch must be " + range +
                           " (0 to " + std::to_string(kMaxTimeMs) + "), got " + shown(v));
    return *t;
  }
  if (!v.is_string())
    return invalid_error(quoted(name) +
                         " must be an RFC 3339 time or milliseconds since the epoch, got " +
                         shown(v));
  auto t = core::parse_time(v.get_ref<const std::string&>());
  if (!t) return invalid_error(quoted(name) + ": " + t.error().message);
  if (*t < kMinTimeMs || *t > kMaxTimeMs)
    return invalid_error(quoted(name) + " must be " + range + ", got " + shown(v));
  return *t;
}

Result<std::vector<std::string>> holiday_list(const json& v) {
  const std::string rule = "\"holidays\" must be a list of calendar names, got " + shown(v);
  std::vector<std::string> out;
  auto add = [&out](std::string_view item) {
    std::string name = trim(item);
    if (!name.empty()) out.push_back(std::move(name));
  };
  if (v.is_string()) {
    std::string_view s = v.get_ref<const std::string&>();
    for (std::size_t start = 0;;) {
      const auto comma = s.find(',', start);
      add(s.substr(start, comma == std::string_view::npos ? s.npos : comma - start));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return out;
  }
  if (!v.is_array()) return invalid_error(rule);
  for (const auto& h : v) {
    if (!h.is_string()) return invalid_error(rule);
    add(h.get_ref<const std::string&>());
  }
  return out;
}

}  // namespace hypersdk::wire
