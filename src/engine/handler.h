// The job handler port: one implementation per job type (noop, exec, export, ...).
// A handler runs on a worker thread; it must return when its CancelToken fires or its
// deadline passes, and reports the outcome as a Result (JSON text on success).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/job.h"
#include "engine/clock.h"

namespace hypersdk::engine {

// shutdown: the server stops and hands the job back; lease_lost: the job's lease went to
// someone else (rescued after a stall), so this attempt's outcome no longer counts.
enum class CancelReason { none, operator_request, timeout, shutdown, lease_lost };

// Cooperative cancellation, checked by handlers at convenient points. The first reason wins.
class CancelToken {
 public:
  void cancel(CancelReason why) {
    int expected = static_cast<int>(CancelReason::none);
    reason_.compare_exchange_strong(expected, static_cast<int>(why));
  }
  bool cancelled() const { return reason() != CancelReason::none; }
  CancelReason reason() const { return static_cast<CancelReason>(reason_.load()); }

 private:
  std::atomic<int> reason_{static_cast<int>(CancelReason::none)};
};

struct JobContext {
  const core::Job& job;
  CancelToken& cancel;
  // Deadline on `clock`'s monotonic time, counted from the handler's start;
  // time_point::max() when the job has no timeout.
  SteadyTime deadline;
  // Appends one line to the job's log; stream is "stdout", "stderr" or "system".
  std::function<void(std::string_view stream, std::string_view line)> log;
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  // The pool's clock: handlers measure grace periods and the deadline with it.
  const Clock& clock;
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Returns the result as JSON object text, or an Error whose class decides retries.
  virtual Result<std::string> run(JobContext& ctx) = 0;
};

// Job type name -> handler. Filled before the worker pool starts; read-only afterwards.
class HandlerRegistry {
 public:
  void add(std::string type, std::shared_ptr<Handler> h) {
    handlers_[std::move(type)] = std::move(h);
  }
  Handler* find(const std::string& type) const {
    auto it = handlers_.find(type);
    return it == handlers_.end() ? nullptr : it->second.get();
  }
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& [name, h] : handlers_) out.push_back(name);
    return out;
  }

 private:
  std::map<std::string, std::shared_ptr<Handler>> handlers_;
};

// The built-in `noop` job type: succeeds at once. For benchmarks and smoke tests.
class NoopHandler final : public Handler {
 public:
  Result<std::string> run(JobContext&) override { return std::string("{}"); }
};

}  // namespace hypersdk::engine
