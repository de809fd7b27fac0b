#include "core/time_window.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "core/cron_next.h"
#include "cron_test_support.h"

namespace hypersdk::core {
namespace {

using std::chrono::minutes;
using testing::utc;
using testing::ymd;

const date::time_zone* chicago() {
  auto z = find_zone("America/Chicago");
  REQUIRE(z.ok());
  return *z;
}

TimeWindow window(const std::string& text) {
  auto w = parse_window(text);
  REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.error().message));
  return *w;
}

DayMask days(const std::string& text) {
  auto d = parse_days(text);
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.error().message));
  return *d;
}

HolidayCalendar calendar(const std::string& dates) {
  auto c = parse_holiday_dates("test", dates);
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  return *c;
}

WindowPolicy policy(const char* win, const char* day_list, const char* holidays = "") {
  WindowPolicy p;
  if (win[0] != '\0') p.window = window(win);
  p.days = days(day_list);
  if (holidays[0] != '\0') p.holidays.push_back(calendar(holidays));
  p.zone = chicago();
  return p;
}

// ---- parsing ----------------------------------------------------------------------------------

TEST_CASE("parses a window crossing midnight") {
  TimeWindow w = window("22:00-06:00");
  CHECK(w.start == minutes{22 * 60});
  CHECK(w.end == minutes{6 * 60});
  CHECK(w.crosses_midnight());
  CHECK(w.to_string() == "22:00-06:00");
}

TEST_CASE("parses same-day windows, single-digit hours and 24:00 as an end") {
  CHECK_FALSE(window("9:00-17:30").crosses_midnight());
  CHECK(window("9:00-17:30").to_string() == "09:00-17:30");
  CHECK(window(" 00:00 - 24:00 ").end == minutes{24 * 60});
  CHECK(window("22:00-00:00").crosses_midnight());
}

TEST_CASE("rejects malformed windows with a message") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"22:00", "time window \"22:00\": want HH:MM-HH:MM, e.g. 22:00-06:00"},
      {"", "time window \"\": want HH:MM-HH:MM, e.g. 22:00-06:00"},
      {"25:00-06:00", "time window \"25:00-06:00\": start \"25:00\" is not a time 00:00-23:59"},
      {"24:00-06:00", "time window \"24:00-06:00\": start \"24:00\" is not a time 00:00-23:59"},
      {"22:00-06:60", "time window \"22:00-06:60\": end \"06:60\" is not a time 00:00-24:00"},
      {"22:00-24:01", "time window \"22:00-24:01\": end \"24:01\" is not a time 00:00-24:00"},
      {"2200-0600", "time window \"2200-0600\": start \"2200\" is not a time 00:00-23:59"},
      {"ab:cd-06:00", "time window \"ab:cd-06:00\": start \"ab:cd\" is not a time 00:00-23:59"},
      {"10:00-10:00",
       "time window \"10:00-10:00\": start equals end; omit the window to mean always open, or "
       "use 00:00-24:00"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto r = parse_window(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().cls == ErrorClass::invalid);
    CHECK(r.error().message == c.message);
  }
}

TEST_CASE("parses day masks: ranges, lists, wrapping ranges, names in any case") {
  CHECK(days("mon-fri").days == std::bitset<7>{0b0111110});
  CHECK(days("mon,wed,fri").days == std::bitset<7>{0b0101010});
  CHECK(days("sat-sun").days == std::bitset<7>{0b1000001});
  CHECK(days("FRI-Mon").days == std::bitset<7>{0b1100011});
  CHECK(days("Monday, tuesday").days == std::bitset<7>{0b0000110});
  CHECK(days("*").all());
  CHECK(DayMask{}.all());
}

TEST_CASE("prints day masks Monday first with ranges for runs of three or more") {
  CHECK(days("mon-fri").to_string() == "mon-fri");
  CHECK(days("sat-sun").to_string() == "sat,sun");
  CHECK(days("mon,wed,fri").to_string() == "mon,wed,fri");
  CHECK(days("fri-mon").to_string() == "mon,fri-sun");
  CHECK(days("*").to_string() == "*");
  CHECK(days(days("fri-mon").to_string()) == days("fri-mon"));
}

TEST_CASE("rejects malformed day masks") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "days \"\": empty day list (use * for every day)"},
      {"funday", "days \"funday\": \"funday\" is not a day name (mon..sun)"},
      {"mon,,fri", "days \"mon,,fri\": empty list item"},
      {"mon-", "days \"mon-\": \"\" is not a day name (mon..sun)"},
      {"1-5", "days \"1-5\": \"1\" is not a day name (mon..sun)"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto r = parse_days(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().cls == ErrorClass::invalid);
    CHECK(r.error().message == c.message);
  }
}

// ---- holidays ---------------------------------------------------------------------------------

TEST_CASE("parses ISO date lists with comments and mixed separators") {
  HolidayCalendar c =
      calendar("# US 2025\n2025-01-01, 2025-07-04\n2025-12-25 ; 2025-12-26  # boxing day\n\n");
  CHECK(c.name == "test");
  CHECK(c.dates.size() == 4);
  CHECK(c.contains(ymd(2025, 7, 4)));
  CHECK_FALSE(c.contains(ymd(2025, 7, 5)));
}

TEST_CASE("rejects an invalid holiday date, naming the calendar") {
  auto r = parse_holiday_dates("us", "2025-01-01\n2025-02-30\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().cls == ErrorClass::invalid);
  CHECK(r.error().message ==
        "holiday calendar \"us\": \"2025-02-30\" is not a valid date (want YYYY-MM-DD)");
  CHECK_FALSE(parse_iso_date("2025-1-01").ok());
  CHECK_FALSE(parse_iso_date("20250101").ok());
  CHECK(*parse_iso_date("2024-02-29") == ymd(2024, 2, 29));
}

HolidayCalendar ics(const std::string& body) {
  std::string text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + body + "END:VCALENDAR\r\n";
  auto c = parse_ics("ics", text);
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  return *c;
}

TEST_CASE("ics: all-day and date-time DTSTART forms") {
  HolidayCalendar c =
      ics("BEGIN:VEVENT\r\nSUMMARY:Christmas\r\nDTSTART;VALUE=DATE:20251225\r\nEND:VEVENT\r\n"
          "BEGIN:VEVENT\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT\r\n"
          "BEGIN:VEVENT\r\nDTSTART;TZID=America/Chicago:20260704T090000\r\nEND:VEVENT\r\n");
  CHECK(c.dates ==
        std::set<date::year_month_day>{ymd(2025, 12, 25), ymd(2026, 1, 1), ymd(2026, 7, 4)});
}

TEST_CASE("ics: a multi-day event covers DTSTART up to, not including, DTEND") {
  HolidayCalendar c = ics(
      "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20251224\r\nDTEND;VALUE=DATE:20251227\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nDTSTART:20260301T000000Z\r\nDTEND:20260302T000000Z\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260401\r\nDURATION:P2D\r\nEND:VEVENT\r\n");
  CHECK(c.dates == std::set<date::year_month_day>{ymd(2025, 12, 24), ymd(2025, 12, 25),
                                                  ymd(2025, 12, 26), ymd(2026, 3, 1),
                                                  ymd(2026, 4, 1), ymd(2026, 4, 2)});
}

TEST_CASE("ics: yearly rules, by date and by nth weekday, with COUNT, UNTIL and EXDATE") {
  HolidayCalendar c =
      ics("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20250704\r\nRRULE:FREQ=YEARLY;COUNT=3\r\n"
          "EXDATE;VALUE=DATE:20260704\r\nEND:VEVENT\r\n"
          "BEGIN:VEVENT\r\nSUMMARY:Thanksgiving\r\nDTSTART;VALUE=DATE:20251127\r\n"
          "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;UNTIL=20271231\r\nEND:VEVENT\r\n"
          "BEGIN:VEVENT\r\nSUMMARY:Memorial Day\r\nDTSTART;VALUE=DATE:20250526\r\n"
          "RRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO;COUNT=2\r\nEND:VEVENT\r\n");
  CHECK(c.dates == std::set<date::year_month_day>{
                       ymd(2025, 7, 4), ymd(2027, 7, 4),                         // COUNT=3 - EXDATE
                       ymd(2025, 11, 27), ymd(2026, 11, 26), ymd(2027, 11, 25),  // 4th Thursday
                       ymd(2025, 5, 26), ymd(2026, 5, 25)});                     // last Monday
}

TEST_CASE("ics: an open-ended yearly Feb 29 recurs only in leap years") {
  HolidayCalendar c =
      ics("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20240229\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n");
  CHECK(c.contains(ymd(2028, 2, 29)));
  CHECK(c.contains(ymd(2096, 2, 29)));
  CHECK_FALSE(c.contains(ymd(2025, 3, 1)));
  CHECK(c.dates.size() == 19);  // 2024..2096; the rule stops at kIcsExpandThroughYear, 2100
}

TEST_CASE("ics: a VEVENT inside a VEVENT is an error, not a merge of two events") {
  auto r = parse_ics("u",
                     "BEGIN:VCALENDAR\nBEGIN:VEVENT\nBEGIN:VEVENT\nDTSTART:20251225\n"
                     "EXDATE:20261225,20271225\nRRULE:FREQ=YEARLY\nEND:VEVENT\nDTSTART:20251226\n"
                     "EXDATE:20301225\nEND:VEVENT\nEND:VCALENDAR\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "ics calendar \"u\" line 3: BEGIN:VEVENT inside another VEVENT");
}

TEST_CASE("ics: recurrences are kept only in the years asked for, and cost no more") {
  const std::string from_year_one =
      "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:00010704\nRRULE:FREQ=YEARLY;INTERVAL=3\n"
      "END:VEVENT\nEND:VCALENDAR\n";
  auto c = parse_ics("old", from_year_one, {date::year{2024}, date::year{2040}});
  REQUIRE(c.ok());
  // Year 1 + 3k: 2023, 2026, ... 2038 fall in 2024..2040 from 2026 on.
  CHECK(c->dates == std::set<date::year_month_day>{ymd(2026, 7, 4), ymd(2029, 7, 4),
                                                   ymd(2032, 7, 4), ymd(2035, 7, 4),
                                                   ymd(2038, 7, 4)});
  // COUNT counts the occurrences before the range too: 700 from year 1 end long before 2024.
  auto counted = parse_ics("old",
                           "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:00010704\n"
                           "RRULE:FREQ=YEARLY;COUNT=700\nEND:VEVENT\nEND:VCALENDAR\n",
                           {date::year{2024}, date::year{2040}});
  REQUIRE(counted.ok());
  CHECK(counted->dates.empty());
}

TEST_CASE("ics: recurrences that would walk millions of years are refused, quickly") {
  // BYMONTH=2 on the 31st never occurs: each COUNT rule walks every year from 1 to 2100.
  std::string body;
  for (int i = 0; i < 600; ++i)
    body +=
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:00010131\nRRULE:FREQ=YEARLY;BYMONTH=2;COUNT=1000\n"
        "END:VEVENT\n";
  auto r = parse_ics("slow", "BEGIN:VCALENDAR\n" + body + "END:VCALENDAR\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("yearly steps to expand") != std::string::npos);
}

TEST_CASE("holiday calendars of more than kMaxHolidayDates dates are refused") {
  std::string body;
  for (int y = 1000; y < 1300; ++y)
    body += "BEGIN:VEVENT\nDTSTART:" + std::to_string(y) + "0101\nDURATION:P366D\nEND:VEVENT\n";
  auto r = parse_ics("many", "BEGIN:VCALENDAR\n" + body + "END:VCALENDAR\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("more than 100000 holiday dates") != std::string::npos);
  std::string dates;
  for (int y = 1000; y < 1300; ++y)
    for (int m = 1; m <= 12; ++m)
      for (int d = 1; d <= 28; ++d) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d\n", y, m, d);
        dates += buf;
      }
  auto listed = parse_holiday_dates("many", dates);
  REQUIRE_FALSE(listed.ok());
  CHECK(listed.error().message.find("more than 100000 holiday dates") != std::string::npos);
}

TEST_CASE("ics: folded lines, LF endings and nested or foreign components") {
  std::string text =
      "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:X\nBEGIN:STANDARD\nDTSTART:19701101T020000\n"
      "END:STANDARD\nEND:VTIMEZONE\nBEGIN:VEVENT\nSUMMARY:a long\n  folded summary\n"
      "DTSTART;VALUE=\n DATE:20251231\nBEGIN:VALARM\nTRIGGER:-PT15M\nEND:VALARM\nEND:VEVENT\n"
      "END:VCALENDAR\n";
  auto c = parse_ics("ics", text);
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  CHECK(c->dates == std::set<date::year_month_day>{ymd(2025, 12, 31)});
}

TEST_CASE("ics: rejects what it cannot represent, pointing at the line") {
  struct Case {
    const char* body;
    const char* message;
    bool close_calendar = true;
  };
  const Case cases[] = {
      {"BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20250101\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n",
       "ics calendar \"us\" line 5: RRULE FREQ=WEEKLY is not supported (only FREQ=YEARLY)"},
      {"BEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n",
       "ics calendar \"us\" line 3: VEVENT has no DTSTART"},
      {"BEGIN:VEVENT\r\nDTSTART:2025-01-01\r\nEND:VEVENT\r\n",
       "ics calendar \"us\" line 4: DTSTART \"2025-01-01\" is not a date (want YYYYMMDD or "
       "YYYYMMDDTHHMMSS[Z])"},
      {"BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20250101\r\n",
       "ics calendar \"us\": BEGIN:VEVENT is never closed", false},
      {"garbage\r\n", "ics calendar \"us\" line 3: not an iCalendar content line"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    std::string text = std::string("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") + c.body;
    if (c.close_calendar) text += "END:VCALENDAR\r\n";
    auto r = parse_ics("us", text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().cls == ErrorClass::invalid);
    CHECK(r.error().message == c.message);
  }
  auto not_ics = parse_ics("us", "2025-12-25\n");
  REQUIRE_FALSE(not_ics.ok());
  CHECK(not_ics.error().message == "ics calendar \"us\" line 1: not an iCalendar content line");
  auto empty = parse_ics("us", "");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message == "ics calendar \"us\": not an iCalendar file (no BEGIN:VCALENDAR)");
}

// ---- policies ---------------------------------------------------------------------------------
// America/Chicago; CDT is UTC-5 in these summer dates, CST UTC-6 in December.

TEST_CASE("an empty policy is always open") {
  WindowPolicy p;
  const auto t = utc("2025-06-04T19:00:00Z");
  CHECK(is_open(p, t));
  CHECK(next_open(p, t) == t);
  CHECK_FALSE(current_close(p, t));
}

TEST_CASE("a night window: a job at 14:00 waits until 22:00, one at 02:00 starts at once") {
  WindowPolicy p = policy("22:00-06:00", "*");
  const auto afternoon = utc("2025-06-04T19:00:00Z");  // Wed 14:00 CDT
  CHECK_FALSE(is_open(p, afternoon));
  CHECK(next_open(p, afternoon) == utc("2025-06-05T03:00:00Z"));  // Wed 22:00 CDT
  const auto night = utc("2025-06-05T07:00:00Z");                 // Thu 02:00 CDT
  CHECK(is_open(p, night));
  CHECK(next_open(p, night) == night);
  CHECK(current_close(p, night) == utc("2025-06-05T11:00:00Z"));  // Thu 06:00 CDT
  CHECK(current_close(p, afternoon) == afternoon);                // closed: closes "now"
}

TEST_CASE("windows are half-open: open at the start instant, closed at the end instant") {
  WindowPolicy p = policy("22:00-06:00", "*");
  CHECK(is_open(p, utc("2025-06-05T03:00:00Z")));
  CHECK_FALSE(is_open(p, utc("2025-06-05T02:59:59Z")));
  CHECK_FALSE(is_open(p, utc("2025-06-05T11:00:00Z")));
  CHECK(is_open(p, utc("2025-06-05T10:59:59Z")));
}

TEST_CASE("the day mask applies to the date the window starts on") {
  WindowPolicy p = policy("22:00-06:00", "mon-fri");
  CHECK(is_open(p, utc("2025-06-07T03:30:00Z")));        // Fri 22:30 CDT
  CHECK(is_open(p, utc("2025-06-07T08:00:00Z")));        // Sat 03:00 CDT: Friday's window
  CHECK_FALSE(is_open(p, utc("2025-06-08T03:30:00Z")));  // Sat 22:30
  CHECK_FALSE(is_open(p, utc("2025-06-09T07:00:00Z")));  // Mon 02:00: Sunday's window
  // From Saturday morning the next opening is Monday 22:00.
  CHECK(next_open(p, utc("2025-06-07T15:00:00Z")) == utc("2025-06-10T03:00:00Z"));
}

TEST_CASE("a holiday suppresses the window that starts on it, not the one running into it") {
  WindowPolicy p = policy("22:00-06:00", "mon-fri", "2025-12-25");  // Thursday; CST
  CHECK(is_open(p, utc("2025-12-25T08:00:00Z")));                   // Thu 02:00: Wednesday's window
  CHECK_FALSE(is_open(p, utc("2025-12-26T05:00:00Z")));             // Thu 23:00
  CHECK_FALSE(is_open(p, utc("2025-12-26T08:00:00Z")));             // Fri 02:00: Thursday's window
  CHECK(next_open(p, utc("2025-12-25T18:00:00Z")) == utc("2025-12-27T04:00:00Z"));  // Fri 22:00
}

TEST_CASE("next_open skips a weekend and a holiday Monday") {
  WindowPolicy p = policy("09:00-17:00", "mon-fri", "2025-09-01");     // Labor Day
  const auto friday_evening = utc("2025-08-29T23:00:00Z");             // Fri 18:00 CDT
  CHECK(next_open(p, friday_evening) == utc("2025-09-02T14:00:00Z"));  // Tue 09:00 CDT
  CHECK(current_close(p, utc("2025-09-02T15:00:00Z")) == utc("2025-09-02T22:00:00Z"));
}

TEST_CASE("holidays from several calendars all count") {
  WindowPolicy p = policy("09:00-17:00", "*", "2025-09-01");
  p.holidays.push_back(calendar("2025-09-02"));
  CHECK(next_open(p, utc("2025-08-31T23:00:00Z")) == utc("2025-09-03T14:00:00Z"));
}

TEST_CASE("without a window, allowed days are open all day and back-to-back days merge") {
  WindowPolicy p = policy("", "mon-fri", "2025-06-19");  // Juneteenth, Thursday
  CHECK(is_open(p, utc("2025-06-18T17:00:00Z")));        // Wed noon
  CHECK_FALSE(is_open(p, utc("2025-06-19T17:00:00Z")));  // holiday
  CHECK_FALSE(is_open(p, utc("2025-06-21T17:00:00Z")));  // Saturday
  // Monday noon: open through Wednesday, closes at Thursday 00:00 CDT.
  CHECK(current_close(p, utc("2025-06-16T17:00:00Z")) == utc("2025-06-19T05:00:00Z"));
  CHECK(next_open(p, utc("2025-06-19T17:00:00Z")) == utc("2025-06-20T05:00:00Z"));
}

TEST_CASE("a 24-hour window every day never closes within the horizon") {
  WindowPolicy p = policy("00:00-24:00", "*");
  CHECK(is_open(p, utc("2025-06-18T17:00:00Z")));
  CHECK_FALSE(current_close(p, utc("2025-06-18T17:00:00Z")));
}

TEST_CASE("an empty day mask never opens") {
  WindowPolicy p;
  p.window = window("09:00-17:00");
  p.days.days.reset();
  p.zone = chicago();
  CHECK_FALSE(is_open(p, utc("2025-06-18T17:00:00Z")));
  CHECK_FALSE(next_open(p, utc("2025-06-18T17:00:00Z")));
}

TEST_CASE("a window boundary in the spring-forward gap opens at the first valid instant") {
  WindowPolicy p = policy("02:30-04:00", "*");
  // 2025-03-09 02:30 does not exist in Chicago; the window opens at 03:00 CDT.
  CHECK(next_open(p, utc("2025-03-09T06:00:00Z")) == utc("2025-03-09T08:00:00Z"));
  CHECK(current_close(p, utc("2025-03-09T08:00:00Z")) == utc("2025-03-09T09:00:00Z"));
}

TEST_CASE("a window entirely inside the gap does not open that day") {
  WindowPolicy p = policy("02:10-02:50", "*");
  CHECK(next_open(p, utc("2025-03-09T06:00:00Z")) == utc("2025-03-10T07:10:00Z"));
}

TEST_CASE("a window boundary in the repeated hour resolves to its first occurrence") {
  WindowPolicy p = policy("01:30-05:00", "*");
  CHECK(next_open(p, utc("2025-11-02T05:00:00Z")) == utc("2025-11-02T06:30:00Z"));  // CDT
  WindowPolicy q = policy("23:00-01:30", "*");
  CHECK(current_close(q, utc("2025-11-02T05:00:00Z")) == utc("2025-11-02T06:30:00Z"));
  CHECK_FALSE(is_open(q, utc("2025-11-02T07:45:00Z")));  // 01:45 CST
}

TEST_CASE("a null zone evaluates windows in UTC") {
  WindowPolicy p;
  p.window = window("22:00-06:00");
  CHECK(next_open(p, utc("2025-06-04T12:00:00Z")) == utc("2025-06-04T22:00:00Z"));
}

}  // namespace
}  // namespace hypersdk::core
