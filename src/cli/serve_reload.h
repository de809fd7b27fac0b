// SIGHUP handling of serve: load and validate the config again, swap it in atomically, apply
// what can change live (logging, and the live parts serve registers: API access, worker count
// and holiday calendars), name the changed keys that only take effect after a restart, and keep the
// old config when the new one is broken or cannot be applied. Thread safety: reload() from the main
// thread; current() from any thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
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
  // and then READY=1 to $NOTIFY_SOCKET either way.
  bool reload();
  // REQUIRES: before the first reload().
  void add_live_part(LivePart part);
  std::shared_ptr<const ops::Config> current() const;

 private:
  bool fail(const std::string& why);

  const Context& ctx_;
  ops::Metrics& metrics_;
  std::vector<LivePart> parts_;
  mutable std::mutex mu_;
  std::shared_ptr<const ops::Config> config_;  // GUARDED_BY(mu_)
};

}  // namespace hypersdk::cli
