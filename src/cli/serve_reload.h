// SIGHUP handling of serve: load and validate the config again, swap it in atomically, apply
// what can change live (log level), and keep the old config when the new one is broken.
// Thread safety: reload() from the main thread; current() from any thread.
#pragma once

#include <memory>
#include <mutex>

#include "cli/context.h"
#include "ops/config.h"
#include "ops/metrics.h"

namespace hypersdk::cli {

class ReloadState {
 public:
  ReloadState(const Context& ctx, std::shared_ptr<const ops::Config> initial,
              ops::Metrics& metrics);
  // Returns true when the new config is in effect.
  bool reload();
  std::shared_ptr<const ops::Config> current() const;

 private:
  const Context& ctx_;
  ops::Metrics& metrics_;
  mutable std::mutex mu_;
  std::shared_ptr<const ops::Config> config_;  // GUARDED_BY(mu_)
};

}  // namespace hypersdk::cli
