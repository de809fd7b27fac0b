// Internal to src/api: the state an ApiServer shares with its route handlers — the
// configuration, the dependencies, the draining flag, and the stop signal that ends
// long-lived responses (SSE streams) when the server stops.
//
// Thread safety: every member function may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "api/server.h"

namespace hypersdk::api {

class ServerState {
 public:
  ServerState(ApiConfig config, ApiDeps deps)
      : config_(std::move(config)),
        deps_(std::move(deps)),
        max_streams_(std::max(1, config_.threads - 2)) {}

  const ApiConfig& config() const { return config_; }
  ApiDeps& deps() { return deps_; }
  std::chrono::steady_clock::time_point started() const { return started_; }

  void set_draining(bool on) { draining_ = on; }
  bool draining() const { return draining_; }

  // Long-lived responses wait here between polls. Returns true once the server is stopping.
  bool wait_for_stop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return stopping_; });
  }
  bool stopping() {
    std::lock_guard lock(mu_);
    return stopping_;
  }
  void begin_stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
  }

  // Streams hold an HTTP thread each for their whole life; at most threads - 2 run at once
  // so that probes and ordinary requests always find a thread.
  bool try_open_stream() {
    int n = streams_.load();
    while (n < max_streams_)
      if (streams_.compare_exchange_weak(n, n + 1)) return true;
    return false;
  }
  void close_stream() { --streams_; }
  int max_streams() const { return max_streams_; }

 private:
  const ApiConfig config_;
  ApiDeps deps_;
  const int max_streams_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<bool> draining_{false};
  std::atomic<int> streams_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
};

}  // namespace hypersdk::api
