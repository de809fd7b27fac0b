#include "cli/output.h"

#include <algorithm>
#include <ostream>

#include "wire/progress_json.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {
std::string text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// Keeps table cells on one line.
std::string one_line(std::string s, std::size_t max = 60) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}
}  // namespace

void print_json(std::ostream& out, const json& j) {
  out << j.dump(2) << "\n";
}

void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      s += cells[i];
      if (i + 1 < cells.size()) s += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    out << s << "\n";
  };
  line(headers);
  for (const auto& r : rows) line(r);
}

std::string short_time(const json& t) {
  if (!t.is_string()) return "-";
  std::string s = t.get<std::string>();
  if (s.size() >= 19) {
    s[10] = ' ';
    return s.substr(0, 19) + "Z";
  }
  return s;
}

void print_jobs(std::ostream& out, const json& jobs) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& j : jobs) {
    std::string err = "-";
    if (j.contains("error") && j["error"].is_object())
      err = text(j["error"]["class"]) + ": " + text(j["error"]["message"]);
    // A workflow step: "w-3/export" (its workflow and step name).
    std::string step = "-";
    if (j.contains("workflow_id") && j["workflow_id"].is_string())
      step = text(j["workflow_id"]) + "/" + text(j["step"]);
    rows.push_back({text(j["id"]), text(j["type"]), text(j["status"]),
                    std::to_string(j.value("attempt", 0)) + "/" +
                        std::to_string(j.value("max_retries", 0) + 1),
                    step, short_time(j["created_at"]), one_line(err)});
  }
  print_table(out, {"ID", "TYPE", "STATUS", "ATTEMPT", "WORKFLOW", "CREATED", "ERROR"}, rows);
}

namespace {
// "window 22:00-06:00 on mon-fri (Europe/Berlin), not on holidays of us; opens 2026-..."
std::string waiting_for(const json& job) {
  const json& w = job["window"];
  std::string s = "window ";
  s += w.contains("window") && w["window"].is_string() ? text(w["window"]) : "all day";
  const std::string days = w.contains("days") ? text(w["days"]) : "";
  if (!days.empty() && days != "*") s += " on " + days;
  s += " (" + (w.contains("timezone") ? text(w["timezone"]) : std::string("UTC")) + ")";
  if (w.contains("holidays") && w["holidays"].is_array() && !w["holidays"].empty()) {
    std::string names;
    for (const auto& h : w["holidays"]) names += (names.empty() ? "" : ", ") + text(h);
    s += ", not on holidays of " + names;
    // The holidays from its creation up to the opening: the ones it waits out.
    const std::string from = text(job["created_at"]).substr(0, 10);
    const std::string until = text(job["run_at"]).substr(0, 10);
    std::string hit;
    if (w.contains("holiday_dates") && w["holiday_dates"].is_object())
      for (const auto& [cal, dates] : w["holiday_dates"].items())
        for (const auto& d : dates)
          if (d.is_string() && d.get<std::string>() >= from && d.get<std::string>() <= until)
            hit += (hit.empty() ? "" : ", ") + d.get<std::string>() + " (" + cal + ")";
    if (!hit.empty()) s += "; holiday " + hit;
  }
  if (job.contains("run_at")) s += "; opens " + short_time(job["run_at"]);
  return s;
}
}  // namespace

void print_job(std::ostream& out, const json& job) {
  std::vector<std::vector<std::string>> rows;
  for (const char* key : {"id", "type", "status", "workflow_id", "step", "priority", "attempt",
                          "max_retries", "target", "created_at", "run_at", "started_at",
                          "finished_at", "duration_seconds", "timeout", "idempotency_key"}) {
    if (!job.contains(key)) continue;
    const json& v = job[key];
    if (v.is_string() && v.get<std::string>().empty()) continue;
    if (v.is_null() && (std::string_view(key) == "workflow_id" || std::string_view(key) == "step"))
      continue;  // not a workflow step
    rows.push_back(
        {std::string(key) + ":", std::string(key).ends_with("_at") ? short_time(v) : text(v)});
  }
  if (job.contains("payload")) rows.push_back({"payload:", one_line(job["payload"].dump(), 200)});
  if (job.contains("dead_letter"))
    rows.push_back({"dead letter:", text(job["dead_letter"]["reason"]) + " at " +
                                        short_time(job["dead_letter"]["at"])});
  if (job.contains("error") && job["error"].is_object())
    rows.push_back({"error:", text(job["error"]["class"]) + ": " + text(job["error"]["message"])});
  if (job.contains("progress") && job["progress"].is_object())
    rows.push_back({"progress:", wire::progress_text(job["progress"])});
  if (job.value("status", "") == "waiting" && job.contains("window") && job["window"].is_object())
    rows.push_back({"waiting for:", waiting_for(job)});
  for (const auto& r : rows)
    out << r[0] << std::string(std::max<std::size_t>(1, 18 - r[0].size()), ' ') << r[1] << "\n";
  if (job.contains("errors") && !job["errors"].empty()) {
    out << "error history:\n";
    for (const auto& e : job["errors"])
      out << "  attempt " << e.value("attempt", 0) << "  " << short_time(e["at"]) << "  "
          << text(e["class"]) << ": " << text(e["message"]) << "\n";
  }
}

}  // namespace hypersdk::cli
