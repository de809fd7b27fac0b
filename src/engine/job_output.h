// Job output on its way to the store: the per-attempt cap with the tail kept, and the bounded
// buffer of lines not yet written (issue 18 item 3: three jobs printing 2 MB each filled a
// 128 MiB disk in 9 s, and unwritten lines grew the server to 390 MB).
//
// Of an attempt's output the first half of the cap (jobs.output.max_bytes / max_lines) is
// stored as it comes, so `logs --follow` shows it live; past that the lines go round a ring
// holding the other half, and when the attempt ends a "system" line says how much was left
// out, followed by the ring: the head and the tail, never more than the cap. Lines waiting
// for the store take at most jobs.output.buffer_bytes of memory all jobs together; a line
// that finds the buffer full is dropped, counted and logged (once per job) instead.
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace hypersdk::engine {

struct OutputLimits {
  std::int64_t max_bytes = 10 * 1024 * 1024;     // stored per attempt, head + tail
  std::int64_t max_lines = 100'000;              // stored per attempt, head + tail
  std::int64_t buffer_bytes = 16 * 1024 * 1024;  // in memory, not yet written, all jobs
  std::size_t max_line_bytes = 16 * 1024;        // a longer line is cut there
};

// Why lines were not stored; the label of hypersdk_job_output_dropped_lines_total.
enum class OutputDrop { truncated, buffer_full, write_failed };
inline constexpr OutputDrop kOutputDrops[] = {OutputDrop::truncated, OutputDrop::buffer_full,
                                              OutputDrop::write_failed};
const char* to_string(OutputDrop d);

class JobOutput {
 public:
  explicit JobOutput(OutputLimits limits) : limits_(limits) {}

  // One line of a running attempt of job `id`.
  void append(core::JobId id, core::TimeMs now, std::string_view stream, std::string_view line);
  // The attempt ended: queues the truncation notice and the kept tail, forgets the job.
  void finish(core::JobId id, core::TimeMs now);
  // Lines ready for the store, in the order they came; the buffer is empty afterwards.
  std::vector<store::LogLine> take();
  // Lines taken that the store did not accept in the end: counted as write_failed.
  void lost(const std::vector<store::LogLine>& lines);
  // Lines not stored so far, by reason.
  std::int64_t dropped(OutputDrop why) const;
  std::int64_t buffered_bytes() const;

 private:
  struct Attempt {
    std::int64_t head_bytes = 0, head_lines = 0;  // stored (or queued) as they came
    std::deque<store::LogLine> tail;              // past the head, newest last
    std::int64_t tail_bytes = 0;
    std::int64_t omitted_lines = 0, omitted_bytes = 0;  // fell out of the tail
    std::int64_t buffer_dropped = 0;
    bool truncating = false;
  };
  // REQUIRES: mu_ held.
  void queue_locked(store::LogLine line, Attempt* a);

  const OutputLimits limits_;
  mutable std::mutex mu_;
  std::map<core::JobId, Attempt> attempts_;  // GUARDED_BY(mu_)
  std::vector<store::LogLine> buffer_;       // GUARDED_BY(mu_)
  std::int64_t buffer_bytes_ = 0;            // GUARDED_BY(mu_)
  std::int64_t dropped_[3] = {0, 0, 0};      // GUARDED_BY(mu_), by OutputDrop
};

}  // namespace hypersdk::engine
