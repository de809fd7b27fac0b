// Internal to src/api: the answer shared by the Server-Sent Events routes (log_stream.h,
// event_stream.h): 200, text/event-stream, no caching or proxy buffering, a body produced by
// `step` until it returns false.
// Thread safety: the body is produced on the request's HTTP thread.
#pragma once

#include <httplib.h>

#include <functional>

namespace hypersdk::api {

class ServerState;

// REQUIRES: the caller took a stream slot (ServerState::try_open_stream); it is given back
// once the stream is over, whether it ended, failed or was never started.
void answer_event_stream(ServerState& state, httplib::Response& res,
                         std::function<bool(httplib::DataSink&)> step);

}  // namespace hypersdk::api
