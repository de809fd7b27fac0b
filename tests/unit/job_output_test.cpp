// Job output caps and the bounded buffer (issue 18 item 3).
#include <doctest/doctest.h>

#include "engine/job_output.h"

using namespace hypersdk;
using namespace hypersdk::engine;

namespace {
std::vector<std::string> texts(const std::vector<store::LogLine>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(l.line);
  return out;
}
}  // namespace

TEST_CASE("output past the line cap keeps the head live and the tail after a notice") {
  JobOutput out({.max_bytes = 1 << 20, .max_lines = 10, .buffer_bytes = 1 << 20});
  for (int i = 0; i < 100; ++i) out.append(7, i, "stdout", "l" + std::to_string(i));
  // The head (half the cap) went out as it came: `logs --follow` shows it live.
  CHECK(texts(out.take()) == std::vector<std::string>{"l0", "l1", "l2", "l3", "l4"});
  out.finish(7, 1000);
  auto end = out.take();
  REQUIRE(end.size() == 6);
  CHECK(end[0].stream == "system");
  CHECK(end[0].line.find("output truncated: 90 lines") != std::string::npos);
  CHECK(end[0].line.find("the last 5 lines follow") != std::string::npos);
  CHECK(texts({end.begin() + 1, end.end()}) ==
        std::vector<std::string>{"l95", "l96", "l97", "l98", "l99"});
  CHECK(end[5].ts == 99);  // the tail keeps its own times
  CHECK(out.dropped(OutputDrop::truncated) == 90);
}

TEST_CASE("output past the byte cap is cut the same way, within the caps nothing is added") {
  JobOutput out({.max_bytes = 2000, .max_lines = 1000, .buffer_bytes = 1 << 20});
  const std::string hundred(100, 'x');
  for (int i = 0; i < 50; ++i) out.append(1, i, "stderr", hundred);
  out.append(2, 0, "stdout", "small");
  out.finish(1, 60);
  out.finish(2, 60);
  auto lines = out.take();
  std::int64_t bytes_of_1 = 0;
  int notices = 0;
  for (const auto& l : lines) {
    if (l.job_id == 1 && l.stream != "system")
      bytes_of_1 += static_cast<std::int64_t>(l.line.size());
    if (l.stream == "system") ++notices;
  }
  CHECK(bytes_of_1 <= 2000);
  CHECK(bytes_of_1 >= 1800);
  CHECK(notices == 1);  // for job 1 only: job 2 stayed within its cap
  CHECK(out.dropped(OutputDrop::truncated) == 50 - 20);
}

TEST_CASE("a full buffer drops lines, counts them and says so in the job's log") {
  JobOutput out({.max_bytes = 1 << 20, .max_lines = 100000, .buffer_bytes = 4096});
  const std::string line(100, 'y');
  for (int i = 0; i < 1000; ++i) out.append(3, i, "stdout", line);
  CHECK(out.buffered_bytes() <= 4096);
  const auto dropped = out.dropped(OutputDrop::buffer_full);
  CHECK(dropped > 900);
  const auto kept = out.take();
  CHECK(static_cast<std::int64_t>(kept.size()) + dropped == 1000);
  out.finish(3, 2000);
  auto end = out.take();
  REQUIRE(end.size() == 1);
  CHECK(end[0].line == std::to_string(dropped) +
                           " lines of output were dropped: the database did not keep up and the "
                           "buffer (jobs.output.buffer_bytes) was full");
  out.lost(kept);
  CHECK(out.dropped(OutputDrop::write_failed) == static_cast<std::int64_t>(kept.size()));
}

TEST_CASE("a long line is cut at the line limit") {
  JobOutput out({});
  out.append(1, 0, "stdout", std::string(100'000, 'z'));
  auto lines = out.take();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].line.size() == 16 * 1024);
}
