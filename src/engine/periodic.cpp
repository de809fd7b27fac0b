#include "engine/periodic.h"

#include "ops/log.h"

namespace hypersdk::engine {

PeriodicService::PeriodicService(std::string name, std::chrono::milliseconds interval,
                                 std::function<Status()> run_once)
    : name_(std::move(name)), interval_(interval), run_once_(std::move(run_once)) {}

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

void PeriodicService::poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

void PeriodicService::loop() {
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
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, interval_, [&] { return !running_ || poked_; });
    poked_ = false;
    if (!running_) return;
  }
}

}  // namespace hypersdk::engine
