#include "engine/schedule_calendars.h"

#include <chrono>

#include "ops/bounded_file.h"

namespace hypersdk::engine {
namespace {

// The years a schedule can still use: from last year (a job or catch-up a little in the past)
// through the end of the expansion horizon.
core::IcsOptions schedule_years() {
  const auto today = date::floor<date::days>(std::chrono::system_clock::now());
  return {date::year_month_day{today}.year() - date::years{1}, core::kIcsExpandThroughYear};
}

Result<core::HolidayCalendar> load_one(const ops::Config& config, const std::string& name,
                                       const YAML::Node& body) {
  auto fail = [&](const std::string& why) {
    return make_error(ErrorClass::invalid, "holidays." + name + ": " + why);
  };
  core::HolidayCalendar cal;
  cal.name = name;
  if (!body.IsMap()) return fail("expected {dates: [YYYY-MM-DD, ...], ics: PATH}");
  if (const YAML::Node dates = body["dates"]; dates && dates.IsSequence()) {
    std::string text;
    for (const auto& d : dates) {
      if (!d.IsScalar()) return fail("expected a date YYYY-MM-DD");
      text += d.Scalar() + "\n";
    }
    auto parsed = core::parse_holiday_dates(name, text);
    if (!parsed) return fail(parsed.error().message);
    cal.dates = std::move(parsed->dates);
  }
  if (const YAML::Node ics = body["ics"]; ics && ics.IsScalar()) {
    std::filesystem::path path = ics.Scalar();
    if (path.is_relative() && config.file()) path = config.file()->parent_path() / path;
    auto text = ops::read_bounded_file(path, ops::kMaxCalendarFileBytes, "calendar file");
    if (!text) return fail(text.error().message);
    auto parsed = core::parse_ics(name, *text, schedule_years());
    if (!parsed) return fail(path.string() + ": " + parsed.error().message);
    cal.dates.insert(parsed->dates.begin(), parsed->dates.end());
    if (cal.dates.size() > core::kMaxHolidayDates)
      return fail("more than " + std::to_string(core::kMaxHolidayDates) + " holiday dates");
  }
  return cal;
}

}  // namespace

Result<core::HolidayCalendars> load_holiday_calendars(const ops::Config& config) {
  core::HolidayCalendars out;
  try {
    const YAML::Node node = config.get_node("holidays");
    if (!node.IsMap()) return out;
    for (const auto& entry : node) {
      // The schema refuses these; a config built another way must still not throw.
      if (!entry.first.IsScalar())
        return make_error(ErrorClass::invalid, "holidays: a calendar name must be a plain name");
      const std::string name = entry.first.Scalar();
      auto cal = load_one(config, name, entry.second);
      if (!cal) return cal.error();
      out.emplace(name, std::move(*cal));
    }
  } catch (const YAML::Exception& e) {
    return make_error(ErrorClass::invalid, std::string("holidays: ") + e.what());
  }
  return out;
}

}  // namespace hypersdk::engine
