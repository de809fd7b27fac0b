// SIGHUP handling of serve: load and validate the config again, swap it in atomically, apply
// what can change live (log.level, log.format, log.file), name the changed keys that only
// take effect after a restart, and keep the old config when the new one is broken.
// Thread safety: reload() from the main thread; current() from any thread.
#pragma once

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

// Keys whose value differs between `before` and `after` and that a reload does not apply.
std::vector<std::string> keys_needing_restart(const ops::Config& before, const ops::Config& after);

class ReloadState {
 public:
  ReloadState(const Context& ctx, std::shared_ptr<const ops::Config> initial,
              ops::Metrics& metrics);
  // Returns true when the new config is in effect. Sends RELOADING=1 (with MONOTONIC_USEC)
  // and then READY=1 to $NOTIFY_SOCKET either way.
  bool reload();
  std::shared_ptr<const ops::Config> current() const;

 private:
  bool fail(const std::string& why);

  const Context& ctx_;
  ops::Metrics& metrics_;
  mutable std::mutex mu_;
  std::shared_ptr<const ops::Config> config_;  // GUARDED_BY(mu_)
};

}  // namespace hypersdk::cli
