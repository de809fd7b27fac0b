#include "api/event_stream.h"

#include <memory>
#include <nlohmann/json.hpp>

#include "api/errors.h"
#include "api/server_state.h"
#include "api/sse.h"
#include "api/stream_answer.h"
#include "engine/job_service.h"
#include "store/backend.h"

namespace hypersdk::api {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
constexpr auto kPoll = 250ms;
constexpr int kBatch = 200;

struct Feed {
  ServerState& state;
  std::chrono::seconds heartbeat;
  std::int64_t after_event = 0;  // the last stored event sent (or skipped at the start)
  std::optional<std::int64_t> version;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
  bool first = true;

  bool send(httplib::DataSink& sink, const std::string& text) {
    last_write = std::chrono::steady_clock::now();
    return sink.write(text.data(), text.size());
  }

  bool step(httplib::DataSink& sink) {
    // A client that left is noticed at once, not at the next write: its slot is freed for
    // the page that replaces it (a reload, a new token).
    if (!sink.is_writable()) return false;
    if (!first && state.wait_for_stop(kPoll)) {
      sink.done();
      return true;
    }
    store::Store& store = state.deps().jobs.store();
    auto v = store.data_version();
    // Unreadable: assume a change, as data_version's contract says.
    const bool changed = first || !v || !version || *v != *version;
    first = false;
    if (v) version = *v;
    if (changed) {
      json events = json::array();
      auto list = store.event_list(after_event, kBatch);
      if (list)
        for (const auto& e : *list) {
          events.push_back({{"id", e.id},
                            {"kind", e.kind},
                            {"severity", e.severity},
                            {"subject", e.subject},
                            {"at", e.created_at}});
          after_event = e.id;
        }
      const json body{{"data_version", v ? json(*v) : json(nullptr)}, {"events", events}};
      return send(sink, format_sse_event("change", body.dump(), after_event));
    }
    if (std::chrono::steady_clock::now() - last_write >= heartbeat) {
      const json body{{"at", state.deps().jobs.now()}};
      return send(sink, format_sse_event("heartbeat", body.dump()));
    }
    return true;
  }
};

}  // namespace

void start_event_stream(ServerState& state, std::chrono::seconds heartbeat,
                        const httplib::Request& req, httplib::Response& res) {
  std::int64_t after = -1;
  if (req.has_header("Last-Event-ID")) {
    try {
      after = std::stoll(req.get_header_value("Last-Event-ID"));
    } catch (const std::exception&) {
      return write_error(res, 400, "invalid",
                         "Last-Event-ID must be the id of an event this stream sent");
    }
  }
  if (!state.try_open_stream())
    return write_error(res, 503, "unavailable",
                       "too many event streams are open (at most " +
                           std::to_string(state.max_streams()) + "); retry later");
  // A new client starts after the newest event (it loads the current state itself), so its
  // first "change" carries no backlog.
  if (after < 0) {
    auto last = state.deps().database ? state.deps().database->event_last_id()
                                      : Result<std::int64_t>(std::int64_t{0});
    if (!last) {
      state.close_stream();
      return write_error(res, last.error());
    }
    after = *last;
  }
  auto feed = std::make_shared<Feed>(Feed{state, heartbeat, after});
  answer_event_stream(state, res, [feed](httplib::DataSink& sink) { return feed->step(sink); });
}

}  // namespace hypersdk::api
