#include "engine/periodic.h"

#include <algorithm>

#include "ops/log.h"

namespace hypersdk::engine {

PeriodicService::PeriodicService(std::string name, std::chrono::milliseconds interval,
                                 std::function<Status()> run_once,
                                 std::chrono::milliseconds first_delay)
    : name_(std::move(name)),
      interval_(interval),
      run_once_(std::move(run_once)),
      first_delay_(first_delay) {}

PeriodicService::~PeriodicService() {
  stop();
}

void PeriodicService::start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { loop(); });
}

void PeriodicService::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicService::set_next_wait(std::function<std::chrono::milliseconds()> next_wait) {
  next_wait_ = std::move(next_wait);
}

void PeriodicService::poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

bool PeriodicService::wait(std::chrono::milliseconds how_long) {
  std::unique_lock lock(mu_);
  auto woken = [&] { return !running_ || poked_; };
  if (how_long.count() > 0)
    cv_.wait_for(lock, how_long, woken);
  else
    cv_.wait(lock, woken);  // an interval of 0: run when poked only
  poked_ = false;
  return running_;
}

void PeriodicService::loop() {
  if (first_delay_.count() > 0 && !wait(first_delay_)) return;
  for (;;) {
    Status s;
    try {
      s = run_once_();
    } catch (const std::exception& e) {
      s = make_error(ErrorClass::internal, e.what());
    }
    if (!s.ok())
      ops::log::warn("maintenance step failed; retrying next interval",
                     {{"service", name_}, {"error", s.error().to_string()}});
    auto how_long = interval_;
    if (next_wait_ && interval_.count() > 0)
      how_long = std::clamp(next_wait_(), std::chrono::milliseconds(1), interval_);
    if (!wait(how_long)) return;
  }
}

}  // namespace hypersdk::engine
