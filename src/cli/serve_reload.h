// SIGHUP handling of serve: load and validate the config again, swap it in atomically, apply
// what can change live (logging, and the live parts serve registers: API access, worker count
// and holiday calendars), name the changed keys that only take effect after a restart, and keep the
// old config when the new one is broken or cannot be applied. A reload never ends the process:
// every error, exception included, keeps the old config. ReloadWorker runs reloads on a thread
// of their own so that the signal loop stays free: SIGTERM is honoured during any reload.
// Thread safety: reload() from one thread at a time; current() and shut() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/context.h"
#include "ops/config.h"
#include "ops/log.h"
#include "ops/metrics.h"

namespace hypersdk::cli {

// The logging settings of a config (log.level, log.format, log.file).
ops::LogOptions log_options(const ops::Config& config);

// A part of the running process that a reload reconfigures, and the config keys it covers.
// prepare() checks the new config against the running process and returns how to apply it,
// or why it cannot. A reload applies nothing until every part has prepared; applying cannot
// fail. No prepare: the keys are read from current() where they are used.
struct LivePart {
  std::vector<std::string> keys;
  std::function<Result<std::function<void()>>(const ops::Config& next)> prepare;
};

// Keys whose value differs between `before` and `after` and that are not in `live`.
std::vector<std::string> keys_needing_restart(const ops::Config& before, const ops::Config& after,
                                              const std::vector<std::string>& live);

class ReloadState {
 public:
  ReloadState(const Context& ctx, std::shared_ptr<const ops::Config> initial,
              ops::Metrics& metrics);
  // Returns true when the new config is in effect. Sends RELOADING=1 (with MONOTONIC_USEC)
  // and then READY=1 to $NOTIFY_SOCKET either way. A reload whose loading and checking take
  // longer than kReloadTimeout, or that finishes after shut(), applies nothing.
  bool reload();
  // Serve is stopping: once this returns, no reload applies anything (one already applying
  // finishes first; applying is quick and cannot block on input).
  void shut();
  static constexpr std::chrono::seconds kReloadTimeout{30};
  // REQUIRES: before the first reload().
  void add_live_part(LivePart part);
  // Called after each reload with its outcome and, when it failed, why (the audit trail).
  // REQUIRES: before the first reload().
  void set_on_reload(std::function<void(bool ok, const std::string& why)> fn) {
    on_reload_ = std::move(fn);
  }
  std::shared_ptr<const ops::Config> current() const;

 private:
  bool fail(const std::string& why);
  bool reload_once();

  const Context& ctx_;
  ops::Metrics& metrics_;
  std::vector<LivePart> parts_;
  std::function<void(bool, const std::string&)> on_reload_;
  std::string last_error_;  // of the last failed reload; reload() runs on one thread
  mutable std::mutex mu_;
  std::shared_ptr<const ops::Config> config_;  // GUARDED_BY(mu_)
  std::mutex apply_mu_;                        // held while applying, and by shut()
  bool shut_ = false;                          // GUARDED_BY(apply_mu_)
};

// Runs ReloadState::reload() on its own thread, one at a time; SIGHUPs that arrive during a
// reload coalesce into one more.
class ReloadWorker {
 public:
  explicit ReloadWorker(ReloadState& state) : state_(state) {}
  ~ReloadWorker();
  ReloadWorker(const ReloadWorker&) = delete;
  ReloadWorker& operator=(const ReloadWorker&) = delete;

  void start();
  void request();
  // Takes no more requests and waits up to `wait` for a running reload to end; false when it is
  // still running (the caller is exiting and must not wait for it: see cmd_serve.cpp).
  bool stop(std::chrono::milliseconds wait);

 private:
  void loop();

  ReloadState& state_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;   // GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  bool busy_ = false;      // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace hypersdk::cli
