// Routes of /api/v1/notifications (notification_routes.cpp); declared apart from route.h so
// that adding them does not rebuild every route file.
#pragma once

#include <vector>

#include "api/route.h"

namespace hypersdk::api {

std::vector<Route> notification_routes(ServerState& state);

}  // namespace hypersdk::api
