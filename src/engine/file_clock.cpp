#include "engine/file_clock.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/time_text.h"
#include "ops/log.h"

namespace hypersdk::engine {

namespace {
// Often enough that a test sees a jump at once, rarely enough to cost nothing.
constexpr std::chrono::milliseconds kPollInterval{20};
}  // namespace

FileClock::FileClock(std::filesystem::path path) : path_(std::move(path)) {
  std::lock_guard lock(mu_);
  poll();
}

core::TimeMs FileClock::now_ms() const {
  std::lock_guard lock(mu_);
  if (std::chrono::steady_clock::now() >= next_poll_) poll();
  return SystemClock().now_ms() + offset_;
}

void FileClock::poll() const {
  next_poll_ = std::chrono::steady_clock::now() + kPollInterval;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path_, ec);
  if (ec) return;
  std::ifstream in(path_);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string content = buf.str();
  while (!content.empty() && std::isspace(static_cast<unsigned char>(content.back())))
    content.pop_back();
  if (content.empty() || (mtime == mtime_ && content == content_)) return;
  mtime_ = mtime;
  content_ = content;
  auto t = core::parse_time(content);
  if (!t) {
    ops::log::warn("test clock file holds no time; clock unchanged",
                   {{"path", path_.string()}, {"error", t.error().message}});
    return;
  }
  offset_ = *t - SystemClock().now_ms();
  ops::log::debug("test clock set", {{"path", path_.string()}, {"now", core::format_time(*t)}});
}

std::unique_ptr<Clock> cli_clock() {
#ifdef HYPERSDK_TEST_HOOKS
  if (const char* path = std::getenv("HYPERSDK_TEST_CLOCK_FILE"); path && *path)
    return std::make_unique<FileClock>(path);
#endif
  return std::make_unique<SystemClock>();
}

}  // namespace hypersdk::engine
