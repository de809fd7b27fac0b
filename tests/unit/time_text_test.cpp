#include "core/time_text.h"

#include <doctest/doctest.h>

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

}  // namespace
}  // namespace hypersdk::core
