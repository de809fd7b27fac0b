// libFuzzer target: time windows "HH:MM-HH:MM" and day masks "mon-fri" (core/time_window.h).
// The first input byte picks the parser; a value that parses must print back without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/time_window.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    if (auto d = hypersdk::core::parse_days(text)) (void)d->to_string();
  } else {
    (void)hypersdk::core::parse_window(text);
  }
  return 0;
}
