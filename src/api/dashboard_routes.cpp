// The built-in web dashboard (issue 16): its page and assets, and the one summary it needs
// beyond the ordinary API routes.
//   GET /                      assets/index.html                                        open
//   GET /ui/{file}             assets/{file} (scripts, styles, icon)                    open
//   GET /favicon.ico           assets/favicon.svg                                       open
//   GET /api/v1/dashboard      overview, queue, success rates over 24 h and 7 d         read
//   GET /api/v1/events         live changes as Server-Sent Events (event_stream.cpp)    read
// The page and its assets hold no data (every figure comes from the token-guarded API), so
// they need no token: a browser must load the page before it can ask for one.
#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "api/event_stream.h"
#include "api/route.h"
#include "api/server_state.h"
#include "engine/job_service.h"
#include "engine/schedule_service.h"
#include "store/backend.h"
#include "web/embedded.h"

namespace hypersdk::api {
namespace {

using nlohmann::json;
using Req = httplib::Request;
using Res = httplib::Response;

// Scripts, styles, images and API calls from this origin only: no inline script or style
// (the page sets no style attribute; bars are <progress> and SVG attributes), no frames,
// no forms posting elsewhere.
constexpr const char* kDashboardCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

constexpr core::TimeMs kDayMs = 24LL * 3600 * 1000;

void serve_asset(Res& res, const std::string& file) {
  const web::EmbeddedFile* f = web::find_embedded("assets/" + file);
  if (f == nullptr) return write_error(res, 404, "not_found", "the dashboard has no file " + file);
  res.status = 200;
  res.set_header("Content-Security-Policy", kDashboardCsp);
  res.set_content(std::string(f->content), std::string(web::media_type(file)));
}

json rate_entry(const store::OutcomeCount& c) {
  const std::int64_t decided = c.succeeded + c.failed;
  return {{"succeeded", c.succeeded},
          {"failed", c.failed},
          {"cancelled", c.cancelled},
          // Cancelled jobs are an operator's choice, not a failure: out of the rate.
          {"rate", decided == 0 ? json(nullptr) : json(double(c.succeeded) / double(decided))}};
}

void add_to(store::OutcomeCount& sum, const store::OutcomeCount& c) {
  sum.succeeded += c.succeeded;
  sum.failed += c.failed;
  sum.cancelled += c.cancelled;
}

// {"by_type": [{type, succeeded, failed, cancelled, rate}], "by_schedule": [{schedule, ...}]}
Result<json> success_rates(ServerState& state, core::TimeMs since,
                           const std::map<std::int64_t, std::string>& schedule_names) {
  auto counts = state.deps().database->job_outcome_counts(since);
  if (!counts) return counts.error();
  std::map<std::string, store::OutcomeCount> by_type, by_schedule;
  for (const auto& c : *counts) {
    add_to(by_type[c.type], c);
    if (!c.schedule_id) continue;
    auto it = schedule_names.find(*c.schedule_id);
    // A deleted schedule's jobs stay; they are shown under its id.
    add_to(
        by_schedule[it != schedule_names.end() ? it->second : "#" + std::to_string(*c.schedule_id)],
        c);
  }
  json out{{"by_type", json::array()}, {"by_schedule", json::array()}};
  for (const auto& [type, c] : by_type) {
    json e = rate_entry(c);
    e["type"] = type;
    out["by_type"].push_back(e);
  }
  for (const auto& [name, c] : by_schedule) {
    json e = rate_entry(c);
    e["schedule"] = name;
    out["by_schedule"].push_back(e);
  }
  return out;
}

void summary(ServerState& state, Res& res) {
  ApiDeps& deps = state.deps();
  if (deps.database == nullptr)
    return write_error(res, 503, "unavailable", "the dashboard summary is not available here");
  const core::TimeMs now = deps.jobs.now();
  json out{{"now", now}};

  bool ready = !state.draining();
  std::string why = ready ? "" : "draining";
  if (deps.readiness) {
    try {
      for (const auto& c : deps.readiness())
        if (!c.ok) {
          ready = false;
          why += (why.empty() ? "" : "; ") + c.name + ": " + c.detail;
        }
    } catch (const std::exception& e) {
      ready = false;
      why = std::string("readiness check threw: ") + e.what();
    }
  }
  out["health"] = "pass";  // this answer is the proof of life
  out["ready"] = {{"status", ready ? "pass" : "fail"}, {"output", why}};
  if (deps.runtime_overview) out.update(deps.runtime_overview());

  store::Store& store = deps.jobs.store();
  auto queue = store.job_count_by_status();
  if (!queue) return write_error(res, queue.error());
  out["queue"] = *queue;
  auto letters = store.dlq_count();
  if (!letters) return write_error(res, letters.error());
  out["dead_letters"] = *letters;

  std::map<std::int64_t, std::string> names;
  out["schedules"] = json::array();
  if (deps.schedules != nullptr) {
    auto list = deps.schedules->list();
    if (!list) return write_error(res, list.error());
    for (const auto& s : *list) {
      names[s.id] = s.spec.name;
      // Occurrences not run in the last day, by outcome: what the daily review looks for.
      std::int64_t missed = 0, skipped = 0;
      if (auto occ = deps.schedules->occurrences(s.spec.name, 200))
        for (const auto& o : *occ) {
          if (o.nominal_utc < now - kDayMs) break;  // newest first
          missed += o.outcome == store::OccurrenceOutcome::missed;
          skipped += o.outcome == store::OccurrenceOutcome::skipped;
        }
      out["schedules"].push_back(
          {{"name", s.spec.name}, {"missed_24h", missed}, {"skipped_24h", skipped}});
    }
  }
  for (const auto& [key, span] : {std::pair{"24h", kDayMs}, std::pair{"7d", 7 * kDayMs}}) {
    auto rates = success_rates(state, now - span, names);
    if (!rates) return write_error(res, rates.error());
    out["success"][key] = *rates;
  }
  write_json(res, 200, out);
}

}  // namespace

std::vector<Route> dashboard_routes(ServerState& state) {
  ServerState* s = &state;
  return {
      {"GET", "/", Access::open, [](const Req&, Res& res) { serve_asset(res, "index.html"); }},
      // Browsers ask for it whatever the page names.
      {"GET", "/favicon.ico", Access::open,
       [](const Req&, Res& res) { serve_asset(res, "favicon.svg"); }},
      {"GET", "/ui/{file}", Access::open,
       [](const Req& req, Res& res) { serve_asset(res, std::string(req.matches[1])); }},
      {"GET", "/api/v1/dashboard", Access::read, [s](const Req&, Res& res) { summary(*s, res); }},
      {"GET", "/api/v1/events", Access::read,
       [s](const Req& req, Res& res) {
         auto heartbeat = int_param(req, "heartbeat", 15, 1, 300);
         if (!heartbeat) return write_error(res, heartbeat.error());
         start_event_stream(*s, std::chrono::seconds(*heartbeat), req, res);
       }},
  };
}

}  // namespace hypersdk::api
