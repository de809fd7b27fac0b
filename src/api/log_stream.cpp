#include "api/log_stream.h"

#include <chrono>
#include <memory>

#include "api/errors.h"
#include "api/server_state.h"
#include "api/sse.h"
#include "api/stream_answer.h"
#include "engine/job_service.h"
#include "wire/job_json.h"
#include "wire/progress_json.h"

namespace hypersdk::api {
namespace {

using namespace std::chrono_literals;
constexpr auto kPoll = 200ms;
constexpr auto kPing = 15s;
constexpr int kBatch = 500;

struct Follow {
  ServerState& state;
  core::JobId id;
  std::int64_t after;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
  bool first = true;
  core::TimeMs progress_at = 0;  // updated_at of the last progress event sent

  bool send(httplib::DataSink& sink, const std::string& text) {
    last_write = std::chrono::steady_clock::now();
    return sink.write(text.data(), text.size());
  }

  // One step of the stream: returns false to abort (client gone), calls sink.done() at the end.
  bool step(httplib::DataSink& sink) {
    // When the server stops, one last pass still sends what the job wrote and, if it finished
    // during the drain (serve stops the API after the workers), its "end" event.
    const bool stopping = !first && state.wait_for_stop(kPoll);
    first = false;
    engine::JobService& jobs = state.deps().jobs;
    // The status is read before the lines: when it is terminal already, every line the job
    // will ever have is in the store, so an empty read afterwards means the end.
    auto job = jobs.get(id);
    if (!job) return end_with_error(sink, job.error());
    const bool terminal = core::is_terminal(job->status);
    while (true) {
      auto lines = jobs.logs(id, after, kBatch);
      if (!lines) return end_with_error(sink, lines.error());
      for (const auto& l : *lines) {
        if (!send(sink, format_sse_event("log", wire::log_line_to_json(l).dump(), l.seq)))
          return false;
        after = l.seq;
      }
      if (static_cast<int>(lines->size()) < kBatch) break;
    }
    // The job's progress as a "progress" event whenever its worker stored a newer report.
    if (auto p = jobs.store().job_progress_get(id); p && *p && (*p)->updated_at != progress_at) {
      progress_at = (*p)->updated_at;
      if (!send(sink, format_sse_event("progress", wire::progress_to_json(**p).dump())))
        return false;
    }
    if (terminal) {
      if (!send(sink, format_sse_event("end", wire::job_to_json(*job).dump()))) return false;
      sink.done();
      return true;
    }
    if (stopping) {
      sink.done();
      return true;
    }
    if (std::chrono::steady_clock::now() - last_write >= kPing)
      return send(sink, format_sse_comment("ping"));
    return true;
  }

  bool end_with_error(httplib::DataSink& sink, const Error& e) {
    const nlohmann::json body{{"code", std::string(to_string(e.cls))}, {"message", e.message}};
    send(sink, format_sse_event("error", body.dump()));
    sink.done();
    return true;
  }
};

}  // namespace

void start_log_stream(ServerState& state, core::JobId id, std::int64_t after,
                      httplib::Response& res) {
  if (!state.try_open_stream())
    return write_error(res, 503, "unavailable",
                       "too many log streams are open (at most " +
                           std::to_string(state.max_streams()) +
                           "); retry later or read without follow");
  auto follow = std::make_shared<Follow>(Follow{state, id, after});
  answer_event_stream(state, res, [follow](httplib::DataSink& sink) { return follow->step(sink); });
}

}  // namespace hypersdk::api
