#include "api/sse.h"

namespace hypersdk::api {

std::string format_sse_event(std::string_view event, std::string_view data,
                             std::optional<std::int64_t> id) {
  std::string out = "event: ";
  out.append(event);
  out += '\n';
  if (id) out += "id: " + std::to_string(*id) + "\n";
  std::size_t start = 0;
  while (true) {
    const auto nl = data.find('\n', start);
    out += "data: ";
    out.append(data.substr(start, nl == std::string_view::npos ? nl : nl - start));
    out += '\n';
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  out += '\n';
  return out;
}

std::string format_sse_comment(std::string_view text) {
  std::string out = ": ";
  out.append(text);
  out += "\n\n";
  return out;
}

bool SseParser::feed(std::string_view chunk, const std::function<bool(const SseEvent&)>& on_event) {
  buffer_.append(chunk);
  std::size_t start = 0;
  bool go_on = true;
  while (go_on) {
    const auto nl = buffer_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view l(buffer_.data() + start, nl - start);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    go_on = line(l, on_event);
    start = nl + 1;
  }
  buffer_.erase(0, start);
  return go_on;
}

bool SseParser::line(std::string_view l, const std::function<bool(const SseEvent&)>& on_event) {
  if (l.empty()) {  // dispatch
    bool go_on = true;
    if (has_data_) go_on = on_event(current_);
    const std::string last_id = current_.id;  // the id persists across events
    current_ = SseEvent{};
    current_.id = last_id;
    has_data_ = false;
    return go_on;
  }
  if (l.front() == ':') return true;  // comment
  const auto colon = l.find(':');
  std::string_view field = l.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    current_.event = std::string(value);
  } else if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "id") {
    current_.id = std::string(value);
  }
  return true;
}

}  // namespace hypersdk::api
