#include "cli/serve_reload.h"

#include <chrono>

#include "ops/log.h"
#include "ops/sd_notify.h"

namespace hypersdk::cli {
namespace {
double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

ReloadState::ReloadState(const Context& ctx, std::shared_ptr<const ops::Config> initial,
                         ops::Metrics& metrics)
    : ctx_(ctx), metrics_(metrics), config_(std::move(initial)) {
  metrics_.config_last_reload_successful().Set(1);
  metrics_.config_last_reload_success_timestamp_seconds().Set(unix_seconds());
}

std::shared_ptr<const ops::Config> ReloadState::current() const {
  std::lock_guard lock(mu_);
  return config_;
}

bool ReloadState::reload() {
  ops::sd_notify_send("RELOADING=1\nSTATUS=reloading configuration");
  ops::LoadOptions lo;
  if (!ctx_.global.config_path.empty()) lo.path = ctx_.global.config_path;
  lo.env = ops::environ_map();
  auto loaded = ops::load_config(lo);
  // Flags given at start keep beating the file, as they did at start.
  if (loaded && !ctx_.global.db_path.empty())
    if (Status s = loaded->config.set_override("db.path", ctx_.global.db_path, "--db"); !s.ok())
      loaded = s.error();
  if (loaded)
    for (const auto& [key, value, flag] : ctx_.overrides)
      if (Status s = loaded->config.set_override(key, value, flag); !s.ok()) {
        loaded = s.error();
        break;
      }
  if (!loaded) {
    metrics_.config_last_reload_successful().Set(0);
    ops::log::error("config reload failed; keeping the previous configuration",
                    {{"error", loaded.error().message}});
    ops::sd_notify_send("READY=1\nSTATUS=serving (config reload failed)");
    return false;
  }
  for (const auto& w : loaded->warnings) ops::log::warn("config", {{"warning", w.to_string()}});
  auto next = std::make_shared<const ops::Config>(std::move(loaded->config));
  if (auto level = ops::parse_log_level(next->get_string("log.level"))) ops::log_set_level(*level);
  {
    std::lock_guard lock(mu_);
    config_ = next;
  }
  metrics_.config_last_reload_successful().Set(1);
  metrics_.config_last_reload_success_timestamp_seconds().Set(unix_seconds());
  ops::log::info("configuration reloaded",
                 {{"file", next->file() ? next->file()->string() : std::string("(none)")},
                  {"log.level", next->get_string("log.level")}});
  ops::sd_notify_send("READY=1\nSTATUS=serving");
  return true;
}

}  // namespace hypersdk::cli
