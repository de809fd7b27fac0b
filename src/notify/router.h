// Routing (DESIGN §8): which receivers an event goes to. Routes are tried in order; the first
// that matches decides, unless it says `continue: true`, in which case later routes are tried
// too; an event no route matched goes to notifications.default_receivers. A matcher's fields
// must all hold: event (globs, "job.*"), severity, labels (the job's), retries_exhausted and
// final (job.failed). Pure.
#pragma once

#include <string>
#include <vector>

#include "ops/notify_config.h"
#include "store/schedule_types.h"

namespace hypersdk::notify {

// Each receiver once, in the order the routes name them.
std::vector<std::string> route_event(const ops::NotifyConfig& config, const store::Event& event);

}  // namespace hypersdk::notify
