#include "engine/schedule_calendars.h"

#include <fstream>
#include <sstream>

namespace hypersdk::engine {

Result<core::HolidayCalendars> load_holiday_calendars(const ops::Config& config) {
  core::HolidayCalendars out;
  const YAML::Node node = config.get_node("holidays");
  if (!node.IsMap()) return out;
  for (const auto& entry : node) {
    const std::string name = entry.first.as<std::string>();
    core::HolidayCalendar cal;
    cal.name = name;
    const YAML::Node body = entry.second;
    if (body["dates"] && body["dates"].IsSequence()) {
      std::string text;
      for (const auto& d : body["dates"]) text += d.as<std::string>() + "\n";
      auto parsed = core::parse_holiday_dates(name, text);
      if (!parsed)
        return make_error(ErrorClass::invalid, "holidays." + name + ": " + parsed.error().message);
      cal.dates.insert(parsed->dates.begin(), parsed->dates.end());
    }
    if (body["ics"] && body["ics"].IsScalar()) {
      std::filesystem::path path = body["ics"].as<std::string>();
      if (path.is_relative() && config.file()) path = config.file()->parent_path() / path;
      std::ifstream in(path);
      if (!in)
        return make_error(ErrorClass::invalid,
                          "holidays." + name + ": cannot read " + path.string());
      std::stringstream buf;
      buf << in.rdbuf();
      auto parsed = core::parse_ics(name, buf.str());
      if (!parsed)
        return make_error(ErrorClass::invalid, "holidays." + name + ": " + path.string() + ": " +
                                                   parsed.error().message);
      cal.dates.insert(parsed->dates.begin(), parsed->dates.end());
    }
    out.emplace(name, std::move(cal));
  }
  return out;
}

}  // namespace hypersdk::engine
