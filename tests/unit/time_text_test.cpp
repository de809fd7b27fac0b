#include "core/time_text.h"

#include <date/date.h>
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

namespace hypersdk {
using std::chrono::milliseconds;

namespace {
// The oracle: date's own formatting, which format_time replaced for speed.
std::string oracle(core::TimeMs t) {
  return date::format("%FT%TZ", date::sys_time<milliseconds>(milliseconds(t)));
}
}  // namespace

TEST_CASE(
    "format_time writes what date::format(%FT%TZ) writes, across days, leap years and "
    "millisecond edges") {
  CHECK(core::format_time(0) == "1970-01-01T00:00:00.000Z");
  CHECK(core::format_time(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(core::format_time(951'782'400'000) == "2000-02-29T00:00:00.000Z");
  // Every ~7.3 hours plus a few ms from 1900 to 2200 (pre-epoch times, leap days, year ends).
  std::int64_t checked = 0;
  for (std::int64_t t = -2'208'988'800'000; t < 7'258'118'400'000; t += 26'297'123) {
    for (std::int64_t d : {0, 1, 999, 1000, 59'999, 86'399'999}) {
      REQUIRE(core::format_time(t + d) == oracle(t + d));
      ++checked;
    }
  }
  CHECK(checked > 100'000);
  // Outside 0000-9999 it falls back to date::format itself.
  CHECK(core::format_time(-62'200'000'000'000) == oracle(-62'200'000'000'000));
  CHECK(core::format_time(253'402'300'800'000) == oracle(253'402'300'800'000));
}

}  // namespace hypersdk
