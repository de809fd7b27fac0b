// The request limits and shared field parsers of src/wire (issue 18 items 1 and 6, issue 7
// items 4 and 5), without a server: each case is what an API body, a CLI flag or a --file
// turns into.
#include <doctest/doctest.h>

#include <string>

#include "core/time_text.h"
#include "wire/fields.h"
#include "wire/job_json.h"
#include "wire/json_limits.h"
#include "wire/schedule_json.h"

namespace hypersdk::wire {
namespace {
using nlohmann::json;

std::string deep(int levels) {
  return std::string(levels, '[') + std::string(levels, ']');
}

std::string error_of(const Result<core::JobSpec>& r) {
  return r.ok() ? std::string("accepted") : r.error().message;
}

Result<core::JobSpec> job(const std::string& text) {
  auto body = parse_json_bounded(text);
  if (!body) return body.error();
  return parse_job_request(*body, core::RetryPolicy{});
}

bool contains(const std::string& s, const std::string& part) {
  INFO(s);
  return s.find(part) != std::string::npos;
}

TEST_CASE("json depth is measured on the bytes, brackets inside strings not counted") {
  CHECK(json_depth(R"({"a":[1,{"b":2}]})") == 3);
  CHECK(json_depth(R"({"a":"[[[[[[\"[[[["})") == 1);
  CHECK(json_depth(deep(kMaxJsonDepth)) == kMaxJsonDepth);
  CHECK(json_depth(deep(kMaxJsonDepth + 1)) == -1);
  CHECK(json_depth(std::string(1000000, '[')) == -1);  // stops early, no recursion
}

TEST_CASE("a body nested past the limit is refused before it is parsed") {
  CHECK(parse_json_bounded(deep(kMaxJsonDepth)).ok());
  auto r = parse_json_bounded(R"({"type":"noop","payload":{"a":)" + deep(100000) + "}}");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().cls == ErrorClass::invalid);
  CHECK(contains(r.error().message, "deeper than 32 levels"));
}

TEST_CASE("numbers that do not fit and NUL bytes are refused with the rule") {
  CHECK(contains(parse_json_bounded(R"({"priority":1e309})").error().message, "1e309"));
  CHECK(contains(parse_json_bounded(std::string("{\"a\":1}\0", 8)).error().message, "NUL byte"));
  CHECK(contains(parse_json_bounded(R"({"target":"a\u0000b"})").error().message,
                 "\"target\" contains a NUL character"));
  CHECK(contains(parse_json_bounded(R"({"payload":{"argv":["echo","a\u0000"]}})").error().message,
                 "\"payload.argv[1]\""));
  CHECK(contains(parse_json_bounded(R"({"a\u0000":1})").error().message, "key"));
  CHECK_FALSE(parse_json_bounded("{\"t\":\"\xff\xfe\"}").ok());  // invalid UTF-8
}

TEST_CASE("integers are range-checked before narrowing, naming field, value and range") {
  CHECK(error_of(job(R"({"type":"noop","priority":4294967296})")) ==
        "\"priority\" must be an integer from -1000 to 1000, got 4294967296");
  CHECK(contains(error_of(job(R"({"type":"noop","priority":9223372036854775808})")),
                 "got 9223372036854775808"));
  CHECK(contains(error_of(job(R"({"type":"noop","priority":-9223372036854775808})")),
                 "from -1000 to 1000"));
  CHECK(contains(error_of(job(R"({"type":"noop","max_retries":18446744073709551615})")),
                 "\"max_retries\" must be an integer from 0 to 100"));
  CHECK(contains(error_of(job(R"({"type":"noop","retry":{"max_retries":4294967296}})")),
                 "\"retry.max_retries\""));
  CHECK(contains(error_of(job(R"({"type":"noop","priority":1.0})")), "must be an integer"));
  CHECK(job(R"({"type":"noop","priority":1000,"max_retries":100})").ok());
  CHECK(job(R"({"type":"noop","priority":-1000,"max_retries":0})").ok());
}

TEST_CASE("durations cannot overflow and are bounded") {
  CHECK(contains(error_of(job(R"({"type":"noop","timeout":20000000000000000})")),
                 "\"timeout\" must be a duration"));
  CHECK(contains(error_of(job(R"({"type":"noop","timeout":"100000d"})")), "from 0 to"));
  CHECK(contains(error_of(job(R"({"type":"noop","retry":{"base":"9999999999999h"}})")),
                 "\"retry.base\""));
  CHECK(contains(error_of(job(R"({"type":"noop","timeout":-1})")), "\"timeout\""));
  // 3e12 days overflowed the multiplication inside the duration parser.
  CHECK(contains(error_of(job(R"({"type":"noop","timeout":"3000000000000d"})")), "\"timeout\""));
  auto ok = job(R"({"type":"noop","timeout":"366d","retry":{"cap":3600}})");
  REQUIRE(ok.ok());
  CHECK(ok->timeout_ms == 366LL * 86400 * 1000);
  CHECK(ok->retry.cap == std::chrono::hours(1));
}

TEST_CASE("run_at stays within years 1970-9999 and offsets within +-18:00") {
  CHECK(contains(error_of(job(R"({"type":"noop","run_at":9223372036854775807})")),
                 "\"run_at\" in milliseconds since the epoch must be from 1970"));
  CHECK(contains(error_of(job(R"({"type":"noop","run_at":-1})")), "\"run_at\""));
  CHECK(contains(error_of(job(R"({"type":"noop","run_at":"2026-01-01T00:00:00+25:00"})")),
                 "UTC offset +25:00 is out of range"));
  CHECK(contains(error_of(job(R"({"type":"noop","run_at":"2026-01-01T00:00:00-18:30"})")),
                 "out of range"));
  CHECK_FALSE(job(R"({"type":"noop","run_at":"10000-01-01T00:00:00Z"})").ok());
  auto edge = job(R"({"type":"noop","run_at":"9999-12-31T23:59:59.999Z"})");
  REQUIRE(edge.ok());
  CHECK(*edge->run_at == kMaxTimeMs);
  auto east = job(R"({"type":"noop","run_at":"2026-01-01T18:00:00+18:00"})");
  REQUIRE(east.ok());
  CHECK(core::format_time(*east->run_at) == "2026-01-01T00:00:00.000Z");
}

TEST_CASE("strings have a length limit, the body's idempotency key as the header's") {
  CHECK(contains(
      error_of(job(R"({"type":"noop","idempotency_key":")" + std::string(256, 'k') + "\"}")),
      "\"idempotency_key\" must be at most 255 bytes"));
  CHECK(job(R"({"type":"noop","idempotency_key":")" + std::string(255, 'k') + "\"}").ok());
  CHECK(contains(error_of(job(R"({"type":"noop","target":")" + std::string(5000, 't') + "\"}")),
                 "\"target\" must be at most 4096 bytes"));
  CHECK(contains(error_of(job(R"({"type":"noop","labels":{"k":1}})")), "\"labels.k\""));
}

TEST_CASE("jobs and schedules read the holiday list with one parser") {
  const json list = json::parse(R"(" us, company ,,")");
  auto h = holiday_list(list);
  REQUIRE(h.ok());
  CHECK(*h == std::vector<std::string>{"us", "company"});
  CHECK(*holiday_list(json::parse(R"([" us", "company "])")) == *h);
  CHECK_FALSE(holiday_list(json(3)).ok());

  // "us, company" was trimmed for schedules but not for jobs (issue 7 item 5).
  auto j = job(R"({"type":"noop","window":"22:00-06:00","holidays":"us, company"})");
  REQUIRE_MESSAGE(j.ok(), error_of(j));
  REQUIRE(j->window);
  CHECK(j->window->holiday_names == *h);
  auto s = parse_schedule_request(
      json::parse(R"({"name":"n","cron":"0 2 * * *","type":"noop","holidays":"us, company"})"),
      core::ScheduleSpec{}, true);
  REQUIRE(s.ok());
  CHECK(s->holidays == *h);
}

TEST_CASE("catchup_window is the shared duration field, range and all") {
  auto parse = [](const std::string& v) {
    return parse_schedule_request(
        json::parse(R"({"name":"n","cron":"0 2 * * *","type":"noop","catchup_window":)" + v + "}"),
        core::ScheduleSpec{}, true);
  };
  CHECK(parse(R"("1h30m")")->catchup_window == std::chrono::minutes(90));
  CHECK(parse("7200")->catchup_window == std::chrono::hours(2));
  auto huge = parse("20000000000000000");
  REQUIRE_FALSE(huge.ok());
  CHECK(contains(huge.error().message, "\"catchup_window\" must be a duration"));
  auto runs = parse_schedule_request(
      json::parse(R"({"name":"n","cron":"0 2 * * *","type":"noop","max_catchup_runs":4294967297})"),
      core::ScheduleSpec{}, true);
  REQUIRE_FALSE(runs.ok());
  CHECK(runs.error().message ==
        "\"max_catchup_runs\" must be an integer from 1 to 1000, got 4294967297");
}

TEST_CASE("stored JSON too deep to render is shown as its text, not recursed into") {
  CHECK(stored_json(R"({"a":1})") == json{{"a", 1}});
  const std::string bad = deep(100000);
  CHECK(stored_json(bad) == json(bad));
  CHECK(stored_json("not json") == json("not json"));
}

}  // namespace
}  // namespace hypersdk::wire
