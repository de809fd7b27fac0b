#include "store/schedule_row.h"

#include <nlohmann/json.hpp>

#include "store/job_row.h"
#include "store/schedule_events.h"

namespace hypersdk::store {

std::string_view to_string(OccurrenceOutcome o) {
  switch (o) {
    case OccurrenceOutcome::fired:
      return "fired";
    case OccurrenceOutcome::buffered:
      return "buffered";
    case OccurrenceOutcome::skipped:
      return "skipped";
    case OccurrenceOutcome::missed:
      return "missed";
  }
  return "missed";
}

namespace detail {
using nlohmann::json;

namespace {

void read_holidays(const std::string& text, std::vector<std::string>& into) {
  if (text == "[]") return;  // nearly every schedule: no parse
  auto holidays = json::parse(text, nullptr, false);
  if (holidays.is_array())
    for (const auto& h : holidays)
      if (h.is_string()) into.push_back(h.get<std::string>());
}

// Values were validated on the way in; a row edited by hand (or by a newer binary) falls
// back to the default, logged and counted.
template <typename Parse, typename T>
void read_enum(SQLite::Statement& st, int col, const char* column, Parse parse, T& into,
               const std::string& name) {
  const char* text = st.getColumn(col).getText();
  if (auto v = parse(text))
    into = *v;
  else
    note_unreadable(column, text, "schedule " + name);
}

}  // namespace

Schedule read_schedule_timing(SQLite::Statement& st) {
  Schedule s;
  ScheduleSpec& p = s.spec;
  s.id = st.getColumn(0).getInt64();
  p.name = st.getColumn(1).getString();
  p.cron = st.getColumn(2).getString();
  p.timezone = st.getColumn(3).getString();
  p.window = st.getColumn(4).getString();
  p.days = st.getColumn(5).getString();
  read_holidays(st.getColumn(6).getString(), p.holidays);
  read_enum(st, 7, "schedules.window_close", core::parse_window_close, p.window_close, p.name);
  read_enum(st, 8, "schedules.dst_gap", core::parse_dst_gap, p.dst_gap, p.name);
  read_enum(st, 9, "schedules.dst_fold", core::parse_dst_fold, p.dst_fold, p.name);
  p.enabled = st.getColumn(10).getInt() != 0;
  s.paused = st.getColumn(11).getInt() != 0;
  s.cursor_ms = st.getColumn(12).getInt64();
  s.version = st.getColumn(13).getInt64();
  return s;
}

Schedule read_schedule(SQLite::Statement& st) {
  Schedule s;
  ScheduleSpec& p = s.spec;
  s.id = st.getColumn(0).getInt64();
  p.name = st.getColumn(1).getString();
  p.cron = st.getColumn(2).getString();
  p.timezone = st.getColumn(3).getString();
  p.job_type = st.getColumn(4).getString();
  p.payload = st.getColumn(5).getString();
  p.target = st.getColumn(6).getString();
  p.provider = st.getColumn(7).getString();
  p.priority = st.getColumn(8).getInt();
  p.retry = retry_policy_from_json(st.getColumn(10).getString(), st.getColumn(9).getInt());
  p.timeout_ms = st.getColumn(11).getInt64();
  p.window = st.getColumn(12).getString();
  p.days = st.getColumn(13).getString();
  read_holidays(st.getColumn(14).getString(), p.holidays);
  read_enum(st, 15, "schedules.window_close", core::parse_window_close, p.window_close, p.name);
  read_enum(st, 16, "schedules.overlap", core::parse_overlap_policy, p.overlap, p.name);
  read_enum(st, 17, "schedules.catchup", core::parse_catchup_policy, p.catchup, p.name);
  p.catchup_window = std::chrono::milliseconds(st.getColumn(18).getInt64());
  p.max_catchup_runs = st.getColumn(19).getInt();
  read_enum(st, 20, "schedules.dst_gap", core::parse_dst_gap, p.dst_gap, p.name);
  read_enum(st, 21, "schedules.dst_fold", core::parse_dst_fold, p.dst_fold, p.name);
  p.enabled = st.getColumn(22).getInt() != 0;
  s.paused = st.getColumn(23).getInt() != 0;
  s.cursor_ms = st.getColumn(24).getInt64();
  s.version = st.getColumn(25).getInt64();
  s.created_at = st.getColumn(26).getInt64();
  s.updated_at = st.getColumn(27).getInt64();
  return s;
}

void bind_schedule_spec(SQLite::Statement& st, const ScheduleSpec& p) {
  json holidays = p.holidays;
  st.bind(1, p.name);
  st.bind(2, p.cron);
  st.bind(3, p.timezone);
  st.bind(4, p.job_type);
  st.bind(5, p.payload);
  st.bind(6, p.target);
  st.bind(7, p.provider);
  st.bind(8, p.priority);
  st.bind(9, p.retry.max_retries);
  st.bind(10, retry_policy_to_json(p.retry));
  st.bind(11, static_cast<std::int64_t>(p.timeout_ms));
  st.bind(12, p.window);
  st.bind(13, p.days);
  st.bind(14, holidays.dump());
  st.bind(15, std::string(core::to_string(p.window_close)));
  st.bind(16, std::string(core::to_string(p.overlap)));
  st.bind(17, std::string(core::to_string(p.catchup)));
  st.bind(18, static_cast<std::int64_t>(p.catchup_window.count()));
  st.bind(19, p.max_catchup_runs);
  st.bind(20, std::string(core::to_string(p.dst_gap)));
  st.bind(21, std::string(core::to_string(p.dst_fold)));
  st.bind(22, p.enabled ? 1 : 0);
}

Occurrence read_occurrence(SQLite::Statement& st) {
  Occurrence o;
  o.schedule_id = st.getColumn(0).getInt64();
  o.nominal_utc = st.getColumn(1).getInt64();
  o.nominal_local = st.getColumn(2).getString();
  o.dst_shifted = st.getColumn(3).getInt() != 0;
  o.fold_second = st.getColumn(4).getInt() != 0;
  o.outcome = parse_outcome(st.getColumn(5).getString());
  o.reason = st.getColumn(6).getString();
  if (!st.getColumn(7).isNull()) o.job_id = st.getColumn(7).getInt64();
  o.recorded_at = st.getColumn(8).getInt64();
  return o;
}

}  // namespace detail
}  // namespace hypersdk::store
