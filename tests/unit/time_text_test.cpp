#include "core/time_text.h"

#include <date/date.h>
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace hypersdk::core {
namespace {

TEST_CASE("time text: the ISO 8601 forms with Z or an offset parse to the same instant") {
  const TimeMs want = 1775140200000;  // 2026-04-02T14:30:00Z
  for (const char* s :
       {"2026-04-02T14:30:00Z", "2026-04-02T09:30:00-05:00", "2026-04-02T09:30:00-0500",
        "2026-04-02 16:30:00+02:00", "2026-04-02T14:30Z", "2026-04-02T15:30+01:00",
        "2026-04-02T14:30:00.000Z"}) {
    auto t = parse_time(s);
    REQUIRE_MESSAGE(t.ok(), s);
    CHECK_MESSAGE(*t == want, s);
  }
  CHECK(*parse_time("2026-04-02T14:30:00.250Z") == want + 250);
  CHECK(format_time(want) == "2026-04-02T14:30:00.000Z");
}

TEST_CASE("time text: malformed times are refused with the example, never parsed halfway") {
  // The first one made date.h convert a NaN to an integer (undefined behaviour; make fuzz,
  // fuzz_api_json, via a job's run_at): such text is now refused before date.h reads it.
  for (const char* s : {"2026-01-00:00:00:0+010", "2026-04-02", "2026-04-02T14:30:00",
                        "2026-04-02T14:30:00+", "2026-04-02T14:30:00.Z", "2026-04-02T14:30:00Zx",
                        "2026-04-02T14:30:00+01:0", "2026-04-02X14:30:00Z", "", "now"}) {
    auto t = parse_time(s);
    REQUIRE_MESSAGE(!t.ok(), s);
    CHECK(t.error().cls == ErrorClass::invalid);
    CHECK(t.error().message.find("is not a time") != std::string::npos);
  }
  auto far = parse_time("2026-04-02T14:30:00+19:00");
  REQUIRE(!far.ok());
  CHECK(far.error().message.find("out of range") != std::string::npos);
}

using std::chrono::milliseconds;

// The oracle: date's own formatting, which format_time replaced for speed.
std::string oracle(TimeMs t) {
  return date::format("%FT%TZ", date::sys_time<milliseconds>(milliseconds(t)));
}

TEST_CASE(
    "format_time writes what date::format(%FT%TZ) writes, across days, leap years and "
    "millisecond edges") {
  CHECK(format_time(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_time(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(format_time(951'782'400'000) == "2000-02-29T00:00:00.000Z");
  // Every ~7.3 hours plus a few ms from 1900 to 2200 (pre-epoch times, leap days, year ends).
  std::int64_t checked = 0;
  for (std::int64_t t = -2'208'988'800'000; t < 7'258'118'400'000; t += 26'297'123) {
    for (std::int64_t d : {0, 1, 999, 1000, 59'999, 86'399'999}) {
      REQUIRE(format_time(t + d) == oracle(t + d));
      ++checked;
    }
  }
  CHECK(checked > 100'000);
  // Outside 0000-9999 it falls back to date::format itself.
  CHECK(format_time(-62'200'000'000'000) == oracle(-62'200'000'000'000));
  CHECK(format_time(253'402'300'800'000) == oracle(253'402'300'800'000));
}

}  // namespace
}  // namespace hypersdk::core
