#include "store/schedule_events.h"

#include <date/date.h>

#include <map>
#include <nlohmann/json.hpp>

namespace hypersdk::store::detail {

namespace {

constexpr std::size_t kEventOccurrencesListed = 50;

std::string iso(core::TimeMs t) {
  return date::format("%FT%TZ",
                      date::floor<std::chrono::seconds>(
                          date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(t))));
}

}  // namespace

OccurrenceOutcome parse_outcome(const std::string& s) {
  for (auto o : {OccurrenceOutcome::fired, OccurrenceOutcome::buffered, OccurrenceOutcome::skipped,
                 OccurrenceOutcome::missed})
    if (to_string(o) == s) return o;
  return OccurrenceOutcome::missed;
}

std::vector<std::string> missed_event_payloads(ScheduleId id, const std::string& name,
                                               const std::vector<Occurrence>& recorded) {
  using nlohmann::json;
  std::map<std::string, std::vector<const Occurrence*>> by_reason;
  for (const auto& o : recorded)
    if (o.outcome == OccurrenceOutcome::missed || o.outcome == OccurrenceOutcome::skipped)
      by_reason[o.reason].push_back(&o);
  std::vector<std::string> out;
  for (const auto& [reason, list] : by_reason) {
    json occ = json::array();
    for (std::size_t i = 0; i < list.size() && i < kEventOccurrencesListed; ++i)
      occ.push_back({{"nominal_utc", iso(list[i]->nominal_utc)},
                     {"nominal_local", list[i]->nominal_local},
                     {"outcome", std::string(to_string(list[i]->outcome))}});
    json payload{{"schedule", name},
                 {"schedule_id", id},
                 {"reason", reason},
                 {"count", list.size()},
                 {"first", iso(list.front()->nominal_utc)},
                 {"last", iso(list.back()->nominal_utc)},
                 {"occurrences", occ}};
    out.push_back(payload.dump());
  }
  return out;
}

}  // namespace hypersdk::store::detail
