#include "api/stream_answer.h"

#include "api/server_state.h"

namespace hypersdk::api {

void answer_event_stream(ServerState& state, httplib::Response& res,
                         std::function<bool(httplib::DataSink&)> step) {
  ServerState* s = &state;
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");  // reverse proxies: do not buffer the stream
  res.set_chunked_content_provider(
      "text/event-stream",
      [step = std::move(step)](std::size_t, httplib::DataSink& sink) { return step(sink); },
      [s](bool) { s->close_stream(); });
}

}  // namespace hypersdk::api
