#include "notify/router.h"

#include <fnmatch.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace hypersdk::notify {

namespace {

using nlohmann::json;

bool any_glob(const std::vector<std::string>& globs, const std::string& value) {
  if (globs.empty()) return true;
  return std::any_of(globs.begin(), globs.end(), [&](const std::string& g) {
    return fnmatch(g.c_str(), value.c_str(), 0) == 0;
  });
}

bool flag_matches(const std::optional<bool>& want, const json& payload, const char* field) {
  if (!want) return true;
  auto it = payload.find(field);
  return it != payload.end() && it->is_boolean() && it->get<bool>() == *want;
}

bool matches(const ops::RouteConfig& r, const store::Event& e, const json& payload) {
  if (!any_glob(r.events, e.kind)) return false;
  if (!r.severities.empty() &&
      std::find(r.severities.begin(), r.severities.end(), e.severity) == r.severities.end())
    return false;
  if (!flag_matches(r.retries_exhausted, payload, "retries_exhausted")) return false;
  if (!flag_matches(r.final, payload, "final")) return false;
  if (!r.labels.empty()) {
    const json labels = payload.contains("job") && payload["job"].is_object()
                            ? payload["job"].value("labels", json::object())
                            : payload.value("labels", json::object());
    for (const auto& [k, v] : r.labels) {
      auto it = labels.find(k);
      if (it == labels.end() || !it->is_string() ||
          fnmatch(v.c_str(), it->get<std::string>().c_str(), 0) != 0)
        return false;
    }
  }
  return true;
}

void add(std::vector<std::string>& out, const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
}

}  // namespace

std::vector<std::string> route_event(const ops::NotifyConfig& config, const store::Event& event) {
  json payload = json::parse(event.payload, nullptr, false);
  if (!payload.is_object()) payload = json::object();
  std::vector<std::string> out;
  bool matched = false;
  for (const auto& r : config.routes) {
    if (!matches(r, event, payload)) continue;
    matched = true;
    add(out, r.receivers);
    if (!r.continue_matching) break;
  }
  if (!matched) add(out, config.default_receivers);
  return out;
}

}  // namespace hypersdk::notify
