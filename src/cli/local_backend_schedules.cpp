// The schedule operations of the LocalBackend: the ScheduleService over the database, with
// the API's JSON shapes.
#include "cli/local_backend.h"
#include "wire/job_json.h"
#include "wire/schedule_json.h"

namespace hypersdk::cli {
using nlohmann::json;

Result<json> LocalBackend::schedule_create(const json& request) {
  auto spec = wire::parse_schedule_request(request, schedules_.defaults(), true);
  if (!spec) return spec.error();
  auto s = schedules_.create(*spec);
  if (!s) return s.error();
  return wire::schedule_to_json(*s);
}

Result<json> LocalBackend::schedule_update(const std::string& name, const json& patch) {
  auto current = schedules_.get(name);
  if (!current) return current.error();
  auto spec = wire::parse_schedule_request(patch, current->spec, false);
  if (!spec) return spec.error();
  auto s = schedules_.update(name, *spec);
  if (!s) return s.error();
  return wire::schedule_to_json(*s);
}

Result<json> LocalBackend::schedule_list(const ScheduleQuery& q) {
  store::ScheduleFilter f;
  f.name_glob = q.name;
  f.provider = q.provider;
  f.after = q.cursor;
  f.limit = q.limit;
  if (!q.paused.empty()) f.paused = q.paused == "true";
  auto page = schedules_.page(f);
  if (!page) return page.error();
  json out{{"schedules", json::array()}, {"next_cursor", nullptr}};
  // Next fire times for this page only.
  for (const auto& s : *page) out["schedules"].push_back(wire::schedule_to_json(s));
  if (static_cast<int>(page->size()) == f.limit) out["next_cursor"] = page->back().spec.name;
  return out;
}

Result<json> LocalBackend::schedule_get(const std::string& name, int occurrences) {
  auto s = schedules_.get(name);
  if (!s) return s.error();
  json out = wire::schedule_to_json(*s);
  out["occurrences"] = json::array();
  if (occurrences > 0) {
    auto occ = store_.schedule_occurrences(s->id, occurrences);
    if (!occ) return occ.error();
    for (const auto& o : *occ) out["occurrences"].push_back(wire::occurrence_to_json(o));
  }
  return out;
}

Result<json> LocalBackend::schedule_delete(const std::string& name) {
  if (Status s = schedules_.remove(name); !s.ok()) return s.error();
  return json{{"deleted", name}};
}

Result<json> LocalBackend::schedule_pause(const std::string& name, bool paused) {
  auto s = paused ? schedules_.pause(name) : schedules_.resume(name);
  if (!s) return s.error();
  return wire::schedule_to_json(*s);
}

Result<json> LocalBackend::schedule_run(const std::string& name, const json& request) {
  const bool emergency = request.value("emergency", false);
  const std::string reason = request.value("reason", "");
  auto job = schedules_.run(name, emergency, engine::local_actor(), reason);
  if (!job) return job.error();
  return wire::job_to_json(*job);
}

Result<json> LocalBackend::audit_list(int limit) {
  auto entries = schedules_.audit(limit);
  if (!entries) return entries.error();
  json out{{"entries", json::array()}};
  for (const auto& a : *entries) out["entries"].push_back(wire::audit_to_json(a));
  return out;
}

}  // namespace hypersdk::cli
