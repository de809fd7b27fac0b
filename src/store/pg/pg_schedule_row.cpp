#include "store/pg/pg_schedule_row.h"

#include <nlohmann/json.hpp>

#include "store/job_row.h"
#include "store/schedule_events.h"

namespace hypersdk::store::pg::detail {
using nlohmann::json;

Schedule read_schedule(const Rows& r, int row) {
  Schedule s;
  ScheduleSpec& p = s.spec;
  auto i64 = [&](int col) { return r.i64(row, col); };
  auto text = [&](int col) { return r.text(row, col); };
  s.id = i64(0);
  p.name = text(1);
  p.cron = text(2);
  p.timezone = text(3);
  p.job_type = text(4);
  p.payload = text(5);
  p.target = text(6);
  p.provider = text(7);
  p.priority = static_cast<int>(i64(8));
  p.retry = store::detail::retry_policy_from_json(text(10), static_cast<int>(i64(9)));
  p.timeout_ms = i64(11);
  p.window = text(12);
  p.days = text(13);
  auto holidays = json::parse(text(14), nullptr, false);
  if (holidays.is_array())
    for (const auto& h : holidays)
      if (h.is_string()) p.holidays.push_back(h.get<std::string>());
  // As the SQLite store: a value this binary cannot read falls back to the default, counted.
  const std::string what = "schedule " + p.name;
  auto read_enum = [&](int col, const char* column, auto parse, auto& into) {
    const std::string value = text(col);
    if (auto v = parse(value))
      into = *v;
    else
      store::detail::note_unreadable(column, value, what);
  };
  read_enum(15, "schedules.window_close", core::parse_window_close, p.window_close);
  read_enum(16, "schedules.overlap", core::parse_overlap_policy, p.overlap);
  read_enum(17, "schedules.catchup", core::parse_catchup_policy, p.catchup);
  p.catchup_window = std::chrono::milliseconds(i64(18));
  p.max_catchup_runs = static_cast<int>(i64(19));
  read_enum(20, "schedules.dst_gap", core::parse_dst_gap, p.dst_gap);
  read_enum(21, "schedules.dst_fold", core::parse_dst_fold, p.dst_fold);
  p.enabled = i64(22) != 0;
  s.paused = i64(23) != 0;
  s.cursor_ms = i64(24);
  s.version = i64(25);
  s.created_at = i64(26);
  s.updated_at = i64(27);
  return s;
}

std::vector<Param> schedule_spec_params(const ScheduleSpec& s) {
  const json holidays = s.holidays;
  return {p(s.name),
          p(s.cron),
          p(s.timezone),
          p(s.job_type),
          p(s.payload),
          p(s.target),
          p(s.provider),
          p(s.priority),
          p(s.retry.max_retries),
          p(store::detail::retry_policy_to_json(s.retry)),
          p(static_cast<std::int64_t>(s.timeout_ms)),
          p(s.window),
          p(s.days),
          p(holidays.dump()),
          p(std::string(core::to_string(s.window_close))),
          p(std::string(core::to_string(s.overlap))),
          p(std::string(core::to_string(s.catchup))),
          p(static_cast<std::int64_t>(s.catchup_window.count())),
          p(s.max_catchup_runs),
          p(std::string(core::to_string(s.dst_gap))),
          p(std::string(core::to_string(s.dst_fold))),
          p(s.enabled)};
}

Occurrence read_occurrence(const Rows& r, int row) {
  Occurrence o;
  o.schedule_id = r.i64(row, 0);
  o.nominal_utc = r.i64(row, 1);
  o.nominal_local = r.text(row, 2);
  o.dst_shifted = r.i64(row, 3) != 0;
  o.fold_second = r.i64(row, 4) != 0;
  o.outcome = store::detail::parse_outcome(r.text(row, 5));
  o.reason = r.text(row, 6);
  o.job_id = r.opt_i64(row, 7);
  o.recorded_at = r.i64(row, 8);
  return o;
}

std::string glob_to_regex(const std::string& glob) {
  std::string out = "^";
  for (std::size_t i = 0; i < glob.size(); ++i) {
    const char ch = glob[i];
    if (ch == '*') {
      out += ".*";
    } else if (ch == '?') {
      out += '.';
    } else if (ch == '[') {
      // A class runs to the next ']' that is not its first member (SQLite's rule); without
      // one, SQLite's GLOB matches nothing, and neither does an unterminated class here.
      std::size_t j = i + 1;
      if (j < glob.size() && glob[j] == '^') ++j;
      if (j < glob.size() && glob[j] == ']') ++j;
      while (j < glob.size() && glob[j] != ']') ++j;
      if (j >= glob.size()) return "$.^";  // never matches: nothing follows the end
      std::string cls = "[";
      std::size_t k = i + 1;
      if (glob[k] == '^') {
        cls += '^';
        ++k;
      }
      for (; k < j; ++k) {
        if (glob[k] == '\\' || (glob[k] == '[' && k + 1 < j && glob[k + 1] == ':')) cls += '\\';
        cls += glob[k];
      }
      out += cls + "]";
      i = j;
    } else {
      if (std::string_view("\\.^$|()+{}[]").find(ch) != std::string_view::npos) out += '\\';
      out += ch;
    }
  }
  return out + "$";
}

}  // namespace hypersdk::store::pg::detail
