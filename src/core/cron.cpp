#include "core/cron.h"

#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <vector>

namespace hypersdk::core {
namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

struct FieldSpec {
  int number;  // 1-based position, as users count
  std::string_view name;
  int min;
  int max;
  const std::string_view* names;  // names[i] has value i + names_base
  int names_count;
  int names_base;
};

constexpr std::array<FieldSpec, 5> kFields = {{
    {1, "minute", 0, 59, nullptr, 0, 0},
    {2, "hour", 0, 23, nullptr, 0, 0},
    {3, "day-of-month", 1, 31, nullptr, 0, 0},
    {4, "month", 1, 12, kMonthNames.data(), 12, 1},
    {5, "day-of-week", 0, 7, kDayNames.data(), 7, 0},
}};

struct Macro {
  std::string_view name;
  std::string_view canonical;
  std::string_view fields;
};

constexpr std::array<Macro, 7> kMacros = {{
    {"@yearly", "@yearly", "0 0 1 1 *"},
    {"@annually", "@yearly", "0 0 1 1 *"},
    {"@monthly", "@monthly", "0 0 1 * *"},
    {"@weekly", "@weekly", "0 0 * * 0"},
    {"@daily", "@daily", "0 0 * * *"},
    {"@midnight", "@daily", "0 0 * * *"},
    {"@hourly", "@hourly", "0 * * * *"},
}};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::vector<std::string_view> split_fields(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    std::size_t j = i;
    while (j < s.size() && !is_space(s[j])) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// The values one field selects, before folding day-of-week 7 onto 0.
struct FieldResult {
  std::uint64_t bits = 0;
  bool star = false;
};

class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, std::string_view text) : spec_(spec), text_(text) {}

  Result<FieldResult> parse() {
    FieldResult out;
    std::size_t pos = 0;
    while (true) {
      std::size_t comma = text_.find(',', pos);
      std::string_view item =
          text_.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
      if (item.empty()) return fail("empty list item");
      if (auto st = parse_item(item, out); !st.ok()) return st.error();
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    return out;
  }

 private:
  Error fail(const std::string& detail) const {
    return Error{ErrorClass::invalid, "cron field " + std::to_string(spec_.number) + " (" +
                                          std::string(spec_.name) + ") \"" + std::string(text_) +
                                          "\": " + detail};
  }

  std::string range_text() const {
    return std::to_string(spec_.min) + "-" + std::to_string(spec_.max);
  }

  // A number or a name. `range_end` lets SUN close a day-of-week range as 7.
  Result<int> parse_value(std::string_view v, bool range_end) const {
    if (v.empty()) return fail("missing value");
    if (std::isdigit(static_cast<unsigned char>(v[0]))) {
      int n = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec == std::errc::result_out_of_range)
        return fail("value " + std::string(v) + " out of range " + range_text());
      if (ec != std::errc() || p != v.data() + v.size())
        return fail("\"" + std::string(v) + "\" is not a number");
      if (n < spec_.min || n > spec_.max)
        return fail("value " + std::to_string(n) + " out of range " + range_text());
      return n;
    }
    if (spec_.names != nullptr) {
      std::string u = upper(v);
      for (int i = 0; i < spec_.names_count; ++i) {
        if (spec_.names[i] != u) continue;
        int n = i + spec_.names_base;
        if (range_end && spec_.number == 5 && n == 0) return 7;
        return n;
      }
      return fail("\"" + std::string(v) + "\" is not a number or a name (" +
                  std::string(spec_.names[0]) + "-" +
                  std::string(spec_.names[spec_.names_count - 1]) + ")");
    }
    return fail("\"" + std::string(v) + "\" is not a number");
  }

  Status parse_item(std::string_view item, FieldResult& out) const {
    std::string_view range = item;
    int step = 1;
    bool has_step = false;
    if (std::size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      std::string_view s = item.substr(slash + 1);
      has_step = true;
      if (s.empty()) return fail("missing step after \"/\"");
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      if (ec == std::errc::result_out_of_range)
        step = spec_.max + 1;
      else if (ec != std::errc() || p != s.data() + s.size())
        return fail("step \"" + std::string(s) + "\" is not a number");
      if (step < 1 || step > spec_.max)
        return fail("step " + std::string(s) + " out of range 1-" + std::to_string(spec_.max));
    }
    int lo = 0;
    int hi = 0;
    if (range == "*") {
      lo = spec_.min;
      hi = spec_.max;
      if (step == 1) out.star = true;
    } else if (std::size_t dash = range.find('-'); dash != std::string_view::npos) {
      auto a = parse_value(range.substr(0, dash), false);
      if (!a.ok()) return a.error();
      auto b = parse_value(range.substr(dash + 1), true);
      if (!b.ok()) return b.error();
      lo = *a;
      hi = *b;
      if (lo > hi) return fail("range " + std::string(range) + " is reversed (start after end)");
    } else {
      auto a = parse_value(range, false);
      if (!a.ok()) return a.error();
      lo = *a;
      hi = has_step ? spec_.max : *a;  // `5/10` means 5-max/10
    }
    for (int v = lo; v <= hi; v += step) out.bits |= std::uint64_t{1} << v;
    return Status::Ok();
  }

  const FieldSpec& spec_;
  std::string_view text_;
};

// Index of the first set bit at or after i, or N if none.
template <std::size_t N>
int next_bit(const std::bitset<N>& b, int i) {
  if (i >= static_cast<int>(N)) return static_cast<int>(N);
  std::uint64_t v = b.to_ullong() >> i;
  if (v == 0) return static_cast<int>(N);
  return i + std::countr_zero(v);
}

}  // namespace

namespace {
// An expression whose days never occur (`0 0 30 2 *`) would be accepted and then never fire,
// silently. Only day-of-month against month can be impossible: with the OR rule a restricted
// day-of-week matches every week, and February 29 occurs every four (or eight) years.
Status check_fires(const CronExpr& e) {
  if (!e.dow_star && !e.dom_star) return Status::Ok();
  constexpr int kMaxDays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  std::string months, days;
  for (int m = 1; m <= 12; ++m) {
    if (!e.months[m]) continue;
    months += (months.empty() ? "" : ",") + std::to_string(m);
    for (int d = 1; d <= kMaxDays[m]; ++d)
      if (e.days_of_month[d]) return Status::Ok();
  }
  for (int d = 1; d <= 31; ++d)
    if (e.days_of_month[d]) days += (days.empty() ? "" : ",") + std::to_string(d);
  return Error{ErrorClass::invalid, "cron expression \"" + e.source +
                                        "\" never fires: no month it allows (" + months +
                                        ") has a day of month it allows (" + days + ")"};
}
}  // namespace

Result<CronExpr> parse_cron(std::string_view text) {
  std::vector<std::string_view> fields = split_fields(text);
  if (fields.empty()) return Error{ErrorClass::invalid, "empty cron expression"};

  std::string canonical_macro;
  if (fields[0].front() == '@') {
    std::string name = lower(fields[0]);
    if (fields.size() != 1)
      return Error{ErrorClass::invalid,
                   "cron macro " + name + " takes no fields; got \"" + std::string(text) + "\""};
    if (name == "@reboot")
      return Error{ErrorClass::invalid,
                   "cron macro @reboot is not supported: schedules are time-based"};
    const Macro* found = nullptr;
    for (const Macro& m : kMacros)
      if (m.name == name) found = &m;
    if (found == nullptr)
      return Error{ErrorClass::invalid, "unknown cron macro \"" + std::string(fields[0]) +
                                            "\" (want @yearly, @annually, @monthly, @weekly, "
                                            "@daily, @midnight or @hourly)"};
    canonical_macro = std::string(found->canonical);
    fields = split_fields(found->fields);
  }

  if (fields.size() != 5)
    return Error{ErrorClass::invalid,
                 "cron expression \"" + std::string(text) + "\" has " +
                     std::to_string(fields.size()) +
                     " fields; want 5 (minute hour day-of-month month day-of-week) or a macro "
                     "such as @daily"};

  std::array<FieldResult, 5> parsed;
  for (std::size_t i = 0; i < 5; ++i) {
    auto r = FieldParser(kFields[i], fields[i]).parse();
    if (!r.ok()) return r.error();
    parsed[i] = *r;
  }

  CronExpr e;
  e.minutes = std::bitset<60>(parsed[0].bits);
  e.hours = std::bitset<24>(parsed[1].bits);
  e.days_of_month = std::bitset<32>(parsed[2].bits);
  e.months = std::bitset<13>(parsed[3].bits);
  std::uint64_t dow = parsed[4].bits;
  if (dow & (std::uint64_t{1} << 7)) dow = (dow | 1) & 0x7f;  // 7 is Sunday too
  e.days_of_week = std::bitset<7>(dow);
  e.minute_star = parsed[0].star;
  e.hour_star = parsed[1].star;
  e.dom_star = parsed[2].star;
  e.month_star = parsed[3].star;
  e.dow_star = parsed[4].star;
  e.minute_fixed = e.minutes.count() == 1;
  e.hour_fixed = e.hours.count() == 1;

  if (!canonical_macro.empty()) {
    e.source = canonical_macro;
  } else {
    for (std::size_t i = 0; i < 5; ++i) {
      if (i > 0) e.source += ' ';
      e.source += upper(fields[i]);
    }
  }
  if (Status s = check_fires(e); !s.ok()) return s.error();
  return e;
}

bool day_matches(const CronExpr& e, date::year_month_day day) {
  if (!e.months[static_cast<unsigned>(day.month())]) return false;
  bool dom = e.days_of_month[static_cast<unsigned>(day.day())];
  bool dow = e.days_of_week[date::weekday{date::sys_days{day}}.c_encoding()];
  if (e.dom_star || e.dow_star) return dom && dow;
  return dom || dow;
}

bool matches(const CronExpr& e, date::local_seconds t) {
  auto day = date::floor<date::days>(t);
  auto tod = date::hh_mm_ss<std::chrono::seconds>{t - day};
  return e.minutes[tod.minutes().count()] && e.hours[tod.hours().count()] &&
         day_matches(e, date::year_month_day{day});
}

std::optional<date::local_seconds> next_local_match(const CronExpr& e, date::local_seconds from,
                                                    date::local_seconds until) {
  using std::chrono::hours;
  using std::chrono::minutes;
  const auto start = date::ceil<minutes>(from);
  auto day = date::floor<date::days>(start);
  auto tod = date::hh_mm_ss<minutes>{start - day};
  int h0 = static_cast<int>(tod.hours().count());
  int m0 = static_cast<int>(tod.minutes().count());
  while (day < until) {
    date::year_month_day ymd{day};
    if (!e.months[static_cast<unsigned>(ymd.month())]) {
      auto ym = ymd.year() / ymd.month() + date::months{1};
      day = date::local_days{ym / 1};
      h0 = m0 = 0;
      continue;
    }
    if (day_matches(e, ymd)) {
      for (int h = next_bit(e.hours, h0); h < 24; h = next_bit(e.hours, h + 1)) {
        int m = next_bit(e.minutes, h == h0 ? m0 : 0);
        if (m >= 60) continue;
        date::local_seconds t = day + hours{h} + minutes{m};
        if (t >= until) return std::nullopt;
        return t;
      }
    }
    day += date::days{1};
    h0 = m0 = 0;
  }
  return std::nullopt;
}

}  // namespace hypersdk::core
