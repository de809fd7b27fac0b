#include "engine/job_output.h"

#include <string>

#include "ops/log.h"

namespace hypersdk::engine {

namespace {
// Memory a buffered line costs beyond its text (the LogLine, its stream, the vector slot).
constexpr std::int64_t kLineOverhead = 96;
}  // namespace

const char* to_string(OutputDrop d) {
  switch (d) {
    case OutputDrop::truncated:
      return "truncated";
    case OutputDrop::buffer_full:
      return "buffer_full";
    case OutputDrop::write_failed:
      return "write_failed";
  }
  return "unknown";
}

void JobOutput::append(core::JobId id, core::TimeMs now, std::string_view stream,
                       std::string_view line) {
  if (line.size() > limits_.max_line_bytes) line = line.substr(0, limits_.max_line_bytes);
  const auto size = static_cast<std::int64_t>(line.size());
  store::LogLine l{0, id, now, std::string(stream), std::string(line)};
  std::lock_guard lock(mu_);
  Attempt& a = attempts_[id];
  if (!a.truncating && a.head_lines + 1 <= limits_.max_lines / 2 &&
      a.head_bytes + size <= limits_.max_bytes / 2) {
    a.head_lines++;
    a.head_bytes += size;
    queue_locked(std::move(l), &a);
    return;
  }
  // Past the head: keep the newest lines within the other half of the cap.
  a.truncating = true;
  a.tail_bytes += size;
  a.tail.push_back(std::move(l));
  const auto tail_lines = static_cast<std::size_t>(limits_.max_lines - limits_.max_lines / 2);
  const std::int64_t tail_bytes = limits_.max_bytes - limits_.max_bytes / 2;
  while (!a.tail.empty() && (a.tail.size() > tail_lines || a.tail_bytes > tail_bytes)) {
    const auto n = static_cast<std::int64_t>(a.tail.front().line.size());
    a.tail_bytes -= n;
    a.omitted_bytes += n;
    a.omitted_lines++;
    dropped_[static_cast<int>(OutputDrop::truncated)]++;
    a.tail.pop_front();
  }
}

void JobOutput::finish(core::JobId id, core::TimeMs now) {
  std::lock_guard lock(mu_);
  auto it = attempts_.find(id);
  if (it == attempts_.end()) return;
  Attempt a = std::move(it->second);
  attempts_.erase(it);
  if (a.omitted_lines > 0)
    queue_locked({0, id, now, "system",
                  "output truncated: " + std::to_string(a.omitted_lines) + " lines (" +
                      std::to_string(a.omitted_bytes) +
                      " bytes) left out, over the cap of jobs.output.max_lines " +
                      std::to_string(limits_.max_lines) + " / jobs.output.max_bytes " +
                      std::to_string(limits_.max_bytes) + "; the last " +
                      std::to_string(a.tail.size()) + " lines follow"},
                 nullptr);
  for (auto& l : a.tail) queue_locked(std::move(l), &a);
  if (a.buffer_dropped > 0)
    queue_locked({0, id, now, "system",
                  std::to_string(a.buffer_dropped) +
                      " lines of output were dropped: the database did not keep up and the "
                      "buffer (jobs.output.buffer_bytes) was full"},
                 nullptr);
}

void JobOutput::queue_locked(store::LogLine line, Attempt* a) {
  const std::int64_t cost = static_cast<std::int64_t>(line.line.size()) + kLineOverhead;
  if (buffer_bytes_ + cost > limits_.buffer_bytes) {
    dropped_[static_cast<int>(OutputDrop::buffer_full)]++;
    if (a && a->buffer_dropped++ == 0)
      ops::log::warn(
          "dropping job output: the database does not keep up and the output buffer is full",
          {{"job.id", core::format_job_id(line.job_id)}, {"buffer_bytes", limits_.buffer_bytes}});
    return;
  }
  buffer_bytes_ += cost;
  buffer_.push_back(std::move(line));
}

std::vector<store::LogLine> JobOutput::take() {
  std::lock_guard lock(mu_);
  std::vector<store::LogLine> out;
  out.swap(buffer_);
  buffer_bytes_ = 0;
  return out;
}

void JobOutput::lost(const std::vector<store::LogLine>& lines) {
  if (lines.empty()) return;
  std::lock_guard lock(mu_);
  dropped_[static_cast<int>(OutputDrop::write_failed)] += static_cast<std::int64_t>(lines.size());
}

std::int64_t JobOutput::dropped(OutputDrop why) const {
  std::lock_guard lock(mu_);
  return dropped_[static_cast<int>(why)];
}

std::int64_t JobOutput::buffered_bytes() const {
  std::lock_guard lock(mu_);
  return buffer_bytes_;
}

}  // namespace hypersdk::engine
