// libFuzzer target: cron expressions (core/cron.h). Any input must parse or be refused with an
// error, and an expression that parses must find its next fire within a year or say none,
// without crashing, hanging or tripping ASan/UBSan.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/cron.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto e = hypersdk::core::parse_cron(text);
  if (!e) return 0;
  using namespace std::chrono;
  const date::local_seconds from{seconds(1'700'000'000)};
  (void)hypersdk::core::next_local_match(*e, from, from + days(366));
  (void)hypersdk::core::day_matches(*e, date::year_month_day{date::year(2024) / 2 / 29});
  return 0;
}
