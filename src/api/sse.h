// Server-Sent Events (the text/event-stream format of the HTML Living Standard): writing
// events on the server, and an incremental parser for the CLI's `logs --follow` client.
//
// Thread safety: the functions are pure; an SseParser belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace hypersdk::api {

// "event: log\nid: 7\ndata: {...}\n\n". A data value containing newlines becomes several
// data lines, which the receiver joins back with "\n".
std::string format_sse_event(std::string_view event, std::string_view data,
                             std::optional<std::int64_t> id = std::nullopt);
// ": text\n\n" (ignored by receivers; keeps proxies from timing out, detects gone clients).
std::string format_sse_comment(std::string_view text);

struct SseEvent {
  std::string event = "message";  // the default type when no event: line was sent
  std::string data;
  std::string id;
};

class SseParser {
 public:
  // Consumes a chunk of the stream (chunks may split lines anywhere) and calls on_event for
  // every complete event. Returns false as soon as on_event returns false.
  bool feed(std::string_view chunk, const std::function<bool(const SseEvent&)>& on_event);

 private:
  bool line(std::string_view l, const std::function<bool(const SseEvent&)>& on_event);

  std::string buffer_;  // an incomplete line
  SseEvent current_;
  bool has_data_ = false;
};

}  // namespace hypersdk::api
