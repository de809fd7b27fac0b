#include "core/cron.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cron_test_support.h"

namespace hypersdk::core {
namespace {

using testing::local;
using testing::ymd;

CronExpr must_parse(const std::string& text) {
  auto r = parse_cron(text);
  INFO("expression: ", text);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return *r;
}

std::vector<int> bits_of(const auto& b) {
  std::vector<int> out;
  for (std::size_t i = 0; i < b.size(); ++i)
    if (b[i]) out.push_back(static_cast<int>(i));
  return out;
}

TEST_CASE("parses a fixed daily time into single-value fields") {
  CronExpr e = must_parse("30 2 * * *");
  CHECK(bits_of(e.minutes) == std::vector<int>{30});
  CHECK(bits_of(e.hours) == std::vector<int>{2});
  CHECK(e.days_of_month.count() == 31);
  CHECK(e.months.count() == 12);
  CHECK(e.days_of_week.count() == 7);
  CHECK(e.minute_fixed);
  CHECK(e.hour_fixed);
  CHECK_FALSE(e.minute_star);
  CHECK(e.dom_star);
  CHECK(e.month_star);
  CHECK(e.dow_star);
}

TEST_CASE("expands lists, ranges and steps") {
  CHECK(bits_of(must_parse("*/15 * * * *").minutes) == std::vector<int>{0, 15, 30, 45});
  CHECK(bits_of(must_parse("1-10/2 * * * *").minutes) == std::vector<int>{1, 3, 5, 7, 9});
  CHECK(bits_of(must_parse("5/10 * * * *").minutes) == std::vector<int>{5, 15, 25, 35, 45, 55});
  CHECK(bits_of(must_parse("0 1,5,7-9 * * *").hours) == std::vector<int>{1, 5, 7, 8, 9});
  CHECK(bits_of(must_parse("0 0 */10 * *").days_of_month) == std::vector<int>{1, 11, 21, 31});
  CHECK(bits_of(must_parse("0 0 1 */3 *").months) == std::vector<int>{1, 4, 7, 10});
}

TEST_CASE("month and weekday names are case-insensitive") {
  CronExpr e = must_parse("0 9 * jan-Mar,DEC mon-fri");
  CHECK(bits_of(e.months) == std::vector<int>{1, 2, 3, 12});
  CHECK(bits_of(e.days_of_week) == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(e.to_string() == "0 9 * JAN-MAR,DEC MON-FRI");
}

TEST_CASE("0 and 7 are both Sunday, and SUN may close a range") {
  CHECK(bits_of(must_parse("0 0 * * 7").days_of_week) == std::vector<int>{0});
  CHECK(bits_of(must_parse("0 0 * * 0").days_of_week) == std::vector<int>{0});
  CHECK(bits_of(must_parse("0 0 * * 5-7").days_of_week) == std::vector<int>{0, 5, 6});
  CHECK(bits_of(must_parse("0 0 * * FRI-SUN").days_of_week) == std::vector<int>{0, 5, 6});
  CHECK(bits_of(must_parse("0 0 * * SAT-7").days_of_week) == std::vector<int>{0, 6});
  CHECK(must_parse("0 0 * * 0-7").days_of_week.count() == 7);
}

TEST_CASE("macros expand to their five fields and normalize their spelling") {
  struct Case {
    const char* macro;
    const char* fields;
    const char* canonical;
  };
  for (const Case& c :
       {Case{"@yearly", "0 0 1 1 *", "@yearly"}, Case{"@annually", "0 0 1 1 *", "@yearly"},
        Case{"@monthly", "0 0 1 * *", "@monthly"}, Case{"@weekly", "0 0 * * 0", "@weekly"},
        Case{"@daily", "0 0 * * *", "@daily"}, Case{"@midnight", "0 0 * * *", "@daily"},
        Case{"@HOURLY", "0 * * * *", "@hourly"}}) {
    INFO(c.macro);
    CronExpr m = must_parse(c.macro);
    CronExpr f = must_parse(c.fields);
    CHECK(m.minutes == f.minutes);
    CHECK(m.hours == f.hours);
    CHECK(m.days_of_month == f.days_of_month);
    CHECK(m.months == f.months);
    CHECK(m.days_of_week == f.days_of_week);
    CHECK(m.dom_star == f.dom_star);
    CHECK(m.dow_star == f.dow_star);
    CHECK(m.to_string() == c.canonical);
  }
}

TEST_CASE("to_string normalizes whitespace and case and parses back to the same expression") {
  CronExpr e = must_parse("  */5\t1-3  * jan   sun ");
  CHECK(e.to_string() == "*/5 1-3 * JAN SUN");
  CHECK(must_parse(e.to_string()) == e);
}

TEST_CASE("star flags: only * and */1 leave a field unrestricted") {
  CronExpr e = must_parse("*/1 * */2 * 1");
  CHECK(e.minute_star);
  CHECK(e.hour_star);
  CHECK_FALSE(e.dom_star);  // */2 restricts: the OR rule applies
  CHECK_FALSE(e.dow_star);
  CHECK_FALSE(e.minute_fixed);
  CHECK_FALSE(e.hour_fixed);
  CHECK(must_parse("0 0 * * *").dow_star);
}

TEST_CASE("fixed flags: a field is fixed only when it selects exactly one value") {
  CHECK(must_parse("5 3 * * *").minute_fixed);
  CHECK(must_parse("5-5 3 * * *").minute_fixed);
  CHECK_FALSE(must_parse("5,35 3 * * *").minute_fixed);
  CHECK_FALSE(must_parse("5 */2 * * *").hour_fixed);
  CHECK_FALSE(must_parse("5 1-2 * * *").hour_fixed);
}

TEST_CASE("rejects every malformed expression with a message naming the field") {
  struct Case {
    const char* expr;
    const char* message;
  };
  const Case cases[] = {
      {"", "empty cron expression"},
      {"   ", "empty cron expression"},
      {"* * * *",
       "cron expression \"* * * *\" has 4 fields; want 5 (minute hour day-of-month month "
       "day-of-week) or a macro such as @daily"},
      {"0 * * * * *",
       "cron expression \"0 * * * * *\" has 6 fields; want 5 (minute hour day-of-month month "
       "day-of-week) or a macro such as @daily"},
      {"60 * * * *", "cron field 1 (minute) \"60\": value 60 out of range 0-59"},
      {"0 25 * * *", "cron field 2 (hour) \"25\": value 25 out of range 0-23"},
      {"0 1,25 * * *", "cron field 2 (hour) \"1,25\": value 25 out of range 0-23"},
      {"0 0 0 * *", "cron field 3 (day-of-month) \"0\": value 0 out of range 1-31"},
      {"0 0 32 * *", "cron field 3 (day-of-month) \"32\": value 32 out of range 1-31"},
      {"0 0 * 13 *", "cron field 4 (month) \"13\": value 13 out of range 1-12"},
      {"0 0 * 0 *", "cron field 4 (month) \"0\": value 0 out of range 1-12"},
      {"0 0 * * 8", "cron field 5 (day-of-week) \"8\": value 8 out of range 0-7"},
      {"99999999999 * * * *",
       "cron field 1 (minute) \"99999999999\": value 99999999999 out of range 0-59"},
      {"*/0 * * * *", "cron field 1 (minute) \"*/0\": step 0 out of range 1-59"},
      {"*/60 * * * *", "cron field 1 (minute) \"*/60\": step 60 out of range 1-59"},
      {"0 */24 * * *", "cron field 2 (hour) \"*/24\": step 24 out of range 1-23"},
      {"0 */ * * *", "cron field 2 (hour) \"*/\": missing step after \"/\""},
      {"0 */x * * *", "cron field 2 (hour) \"*/x\": step \"x\" is not a number"},
      {"0 1/2/3 * * *", "cron field 2 (hour) \"1/2/3\": step \"2/3\" is not a number"},
      {"10-5 * * * *", "cron field 1 (minute) \"10-5\": range 10-5 is reversed (start after end)"},
      {"0 0 * * FRI-MON",
       "cron field 5 (day-of-week) \"FRI-MON\": range FRI-MON is reversed (start after end)"},
      {"abc * * * *", "cron field 1 (minute) \"abc\": \"abc\" is not a number"},
      {"1.5 * * * *", "cron field 1 (minute) \"1.5\": \"1.5\" is not a number"},
      {"-5 * * * *", "cron field 1 (minute) \"-5\": missing value"},
      {"0 0 * * MON-", "cron field 5 (day-of-week) \"MON-\": missing value"},
      {"1,,2 * * * *", "cron field 1 (minute) \"1,,2\": empty list item"},
      {"1, * * * *", "cron field 1 (minute) \"1,\": empty list item"},
      {"0 0 * FOO *", "cron field 4 (month) \"FOO\": \"FOO\" is not a number or a name (JAN-DEC)"},
      {"0 0 * JAN-MON *",
       "cron field 4 (month) \"JAN-MON\": \"MON\" is not a number or a name (JAN-DEC)"},
      {"0 0 * * MONDAY",
       "cron field 5 (day-of-week) \"MONDAY\": \"MONDAY\" is not a number or a name (SUN-SAT)"},
      {"0 JAN * * *", "cron field 2 (hour) \"JAN\": \"JAN\" is not a number"},
      {"0 0 ? * 1", "cron field 3 (day-of-month) \"?\": \"?\" is not a number"},
      {"0 0 * * 1#2", "cron field 5 (day-of-week) \"1#2\": \"1#2\" is not a number"},
      {"0 0 L * *", "cron field 3 (day-of-month) \"L\": \"L\" is not a number"},
      {"@foo",
       "unknown cron macro \"@foo\" (want @yearly, @annually, @monthly, @weekly, @daily, "
       "@midnight or @hourly)"},
      {"@reboot", "cron macro @reboot is not supported: schedules are time-based"},
      {"@daily 5", "cron macro @daily takes no fields; got \"@daily 5\""},
  };
  for (const Case& c : cases) {
    INFO("expression: \"", c.expr, "\"");
    auto r = parse_cron(c.expr);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().cls == ErrorClass::invalid);
    CHECK(r.error().message == c.message);
  }
}

TEST_CASE("OR rule: restricted day-of-month and day-of-week match when either matches") {
  CronExpr e = must_parse("0 0 13 * 5");
  CHECK(day_matches(e, ymd(2025, 6, 13)));  // Friday the 13th
  CHECK(day_matches(e, ymd(2025, 6, 20)));  // a Friday
  CHECK(day_matches(e, ymd(2025, 7, 13)));  // a Sunday the 13th
  CHECK_FALSE(day_matches(e, ymd(2025, 6, 14)));
}

TEST_CASE("a star day field makes the other one decide alone") {
  CronExpr dom = must_parse("0 0 13 * *");
  CHECK(day_matches(dom, ymd(2025, 7, 13)));
  CHECK_FALSE(day_matches(dom, ymd(2025, 6, 20)));
  CronExpr dow = must_parse("0 0 * * 5");
  CHECK(day_matches(dow, ymd(2025, 6, 20)));
  CHECK_FALSE(day_matches(dow, ymd(2025, 7, 13)));
}

TEST_CASE("a stepped day-of-month is restricted, so the OR rule applies to it") {
  CronExpr e = must_parse("0 0 */2 * MON");      // odd days, or Mondays
  CHECK(day_matches(e, ymd(2025, 6, 2)));        // Monday, even day
  CHECK(day_matches(e, ymd(2025, 6, 3)));        // Tuesday, odd day
  CHECK_FALSE(day_matches(e, ymd(2025, 6, 4)));  // Wednesday, even day
}

TEST_CASE("month restricts days together with the day fields") {
  CronExpr e = must_parse("0 0 1 JUN *");
  CHECK(day_matches(e, ymd(2025, 6, 1)));
  CHECK_FALSE(day_matches(e, ymd(2025, 7, 1)));
}

TEST_CASE("matches ignores seconds") {
  CronExpr e = must_parse("30 2 * * *");
  CHECK(matches(e, local("2025-01-01T02:30:00")));
  CHECK(matches(e, local("2025-01-01T02:30:59")));
  CHECK_FALSE(matches(e, local("2025-01-01T02:31:00")));
  CHECK_FALSE(matches(e, local("2025-01-01T03:30:00")));
}

TEST_CASE("next_local_match finds the next wall time, rounding up to a whole minute") {
  CronExpr e = must_parse("*/15 9-17 * * MON-FRI");
  const auto far = local("2030-01-01T00:00:00");
  CHECK(next_local_match(e, local("2025-06-02T09:00:00"), far) == local("2025-06-02T09:00:00"));
  CHECK(next_local_match(e, local("2025-06-02T09:00:01"), far) == local("2025-06-02T09:15:00"));
  CHECK(next_local_match(e, local("2025-06-02T17:46:00"), far) == local("2025-06-03T09:00:00"));
  CHECK(next_local_match(e, local("2025-06-06T18:00:00"), far) == local("2025-06-09T09:00:00"));
}

TEST_CASE("next_local_match reaches Feb 29 in the next leap year and stops at the bound") {
  CronExpr e = must_parse("0 0 29 2 *");
  CHECK(next_local_match(e, local("2025-03-01T00:00:00"), local("2035-01-01T00:00:00")) ==
        local("2028-02-29T00:00:00"));
  CHECK(next_local_match(e, local("2097-01-01T00:00:00"), local("2110-01-01T00:00:00")) ==
        local("2104-02-29T00:00:00"));  // 2100 is not a leap year
  CHECK_FALSE(next_local_match(e, local("2025-03-01T00:00:00"), local("2028-02-29T00:00:00")));
}

TEST_CASE("an expression whose days never occur is refused, saying why") {
  for (const char* text : {"0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 FEB *", "@yearly"}) {
    INFO("expression: ", text);
    auto r = parse_cron(text);
    if (std::string(text) == "@yearly") {
      CHECK(r.ok());
      continue;
    }
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().cls == ErrorClass::invalid);
    CHECK(r.error().message.find("never fires") != std::string::npos);
  }
  CHECK(parse_cron("0 0 30 2 *").error().message ==
        "cron expression \"0 0 30 2 *\" never fires: no month it allows (2) has a day of month "
        "it allows (30)");
  // Still accepted: Feb 29 (every leap year), and the OR rule (a restricted weekday matches
  // every week, whatever the day of month).
  CHECK(parse_cron("0 0 29 2 *").ok());
  CHECK(parse_cron("0 0 30 2 MON").ok());
  CHECK(parse_cron("0 0 31 * *").ok());
}

}  // namespace
}  // namespace hypersdk::core
