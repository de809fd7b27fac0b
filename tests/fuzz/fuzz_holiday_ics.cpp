// libFuzzer target: holiday calendars, as .ics files (RRULEs included) and as date lists
// (core/holiday.h). The first input byte picks the parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/holiday.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1)
    (void)hypersdk::core::parse_holiday_dates("fuzz", text);
  else
    (void)hypersdk::core::parse_ics("fuzz", text);
  return 0;
}
