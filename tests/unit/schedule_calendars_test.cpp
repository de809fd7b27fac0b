// Holiday calendars from the config: listed dates and an .ics file beside the config.
#include "engine/schedule_calendars.h"

#include <doctest/doctest.h>

#include <fstream>

#include "cron_test_support.h"
#include "test_support.h"

using namespace hypersdk;
using core::testing::ymd;

namespace {
void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

Result<ops::LoadedConfig> load(const test::TempDir& dir) {
  ops::LoadOptions o;
  o.path = dir.path() / "hypersdk.yaml";
  o.working_dir = dir.path();
  o.system_dir = dir.path() / "etc";
  return ops::load_config(o);
}
}  // namespace

TEST_CASE("a calendar joins its dates and its .ics file, read beside the config") {
  test::TempDir dir;
  write(dir.path() / "company.ics",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20251225\nSUMMARY:Christmas\n"
        "END:VEVENT\nEND:VCALENDAR\n");
  write(dir.path() / "hypersdk.yaml",
        "holidays:\n  company:\n    dates: [2025-12-24]\n    ics: company.ics\n"
        "  us:\n    dates: [2025-07-04]\n");
  auto cfg = load(dir);
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
  auto cals = engine::load_holiday_calendars(cfg->config);
  REQUIRE(cals.ok());
  REQUIRE(cals->size() == 2);
  const auto& company = cals->at("company");
  CHECK(company.contains(ymd(2025, 12, 24)));
  CHECK(company.contains(ymd(2025, 12, 25)));
  CHECK(cals->at("us").contains(ymd(2025, 7, 4)));
}

TEST_CASE("a calendar whose .ics file is missing is a clear error") {
  test::TempDir dir;
  write(dir.path() / "hypersdk.yaml", "holidays:\n  company:\n    ics: nope.ics\n");
  auto cfg = load(dir);
  REQUIRE(cfg.ok());
  auto cals = engine::load_holiday_calendars(cfg->config);
  REQUIRE_FALSE(cals.ok());
  CHECK(cals.error().cls == ErrorClass::invalid);
  CHECK(cals.error().message.find("holidays.company") != std::string::npos);
  CHECK(cals.error().message.find("nope.ics") != std::string::npos);
}
