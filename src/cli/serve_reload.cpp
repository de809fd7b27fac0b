#include "cli/serve_reload.h"

#include <time.h>

#include <algorithm>
#include <chrono>

#include "ops/sd_notify.h"

namespace hypersdk::cli {
namespace {

// What reload() itself applies; the live parts add theirs.
const std::vector<std::string> kLogKeys = {"log.level", "log.format", "log.file"};

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// CLOCK_MONOTONIC in microseconds: systemd (Type=notify-reload, v253+) wants it beside
// RELOADING=1 to tell this reload from an earlier one.
std::string monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::to_string(static_cast<long long>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000);
}

}  // namespace

ops::LogOptions log_options(const ops::Config& c) {
  ops::LogOptions o;
  o.level = ops::parse_log_level(c.get_string("log.level")).value_or(ops::LogLevel::info);
  o.format = ops::parse_log_format(c.get_string("log.format")).value_or(ops::LogFormat::automatic);
  o.file = c.get_string("log.file");
  return o;
}

std::vector<std::string> keys_needing_restart(const ops::Config& before, const ops::Config& after,
                                              const std::vector<std::string>& live) {
  std::vector<std::string> out;
  const auto a = before.entries(/*redact=*/false), b = after.entries(/*redact=*/false);
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].value == b[i].value) continue;
    if (std::find(live.begin(), live.end(), a[i].key) != live.end()) continue;
    out.push_back(a[i].key);
  }
  return out;
}

void ReloadState::add_live_part(LivePart part) {
  parts_.push_back(std::move(part));
}

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

bool ReloadState::fail(const std::string& why) {
  last_error_ = why;
  metrics_.config_last_reload_successful().Set(0);
  ops::log::error("config reload failed; keeping the previous configuration", {{"error", why}});
  ops::sd_notify_send("READY=1\nSTATUS=serving (config reload failed: previous config in use)");
  return false;
}

void ReloadState::shut() {
  std::lock_guard lock(apply_mu_);
  shut_ = true;
}

bool ReloadState::reload() {
  bool ok = false;
  try {
    ok = reload_once();
  } catch (const std::exception& e) {
    // yaml-cpp conversions and the like: a bug to fix, but never a reason to end the daemon.
    ok = fail(std::string("unexpected error: ") + e.what());
  }
  if (on_reload_) on_reload_(ok, ok ? std::string() : last_error_);
  return ok;
}

bool ReloadState::reload_once() {
  const auto started = std::chrono::steady_clock::now();
  ops::sd_notify_send("RELOADING=1\nMONOTONIC_USEC=" + monotonic_usec() +
                      "\nSTATUS=reloading configuration");
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
  if (!loaded) return fail(loaded.error().message);
  for (const auto& w : loaded->warnings) ops::log::warn("config", {{"warning", w.to_string()}});
  auto next = std::make_shared<const ops::Config>(std::move(loaded->config));
  const auto previous = current();

  std::vector<std::function<void()>> apply;
  std::vector<std::string> live = kLogKeys;
  for (const auto& part : parts_) {
    live.insert(live.end(), part.keys.begin(), part.keys.end());
    if (!part.prepare) continue;
    auto prepared = part.prepare(*next);
    if (!prepared) return fail(prepared.error().message);
    apply.push_back(std::move(*prepared));
  }
  if (std::chrono::steady_clock::now() - started > kReloadTimeout)
    return fail("loading and checking the new configuration took longer than " +
                std::to_string(kReloadTimeout.count()) + " s");
  std::lock_guard apply_lock(apply_mu_);
  if (shut_) return fail("serve is stopping");
  // Logging is the one thing that can fail while being applied (a log file that cannot be
  // opened): do it first, so that a failure leaves everything as it was.
  const ops::LogOptions old_log = log_options(*previous), new_log = log_options(*next);
  if (new_log.file != old_log.file || new_log.format != old_log.format) {
    if (Status s = ops::log_init(new_log); !s.ok()) return fail(s.error().message);
  } else {
    ops::log_set_level(new_log.level);
  }
  for (const auto& f : apply) f();
  {
    std::lock_guard lock(mu_);
    config_ = next;
  }
  metrics_.config_last_reload_successful().Set(1);
  metrics_.config_last_reload_success_timestamp_seconds().Set(unix_seconds());
  const ops::LogFields fields{
      {"file", next->file() ? next->file()->string() : std::string("(none)")},
      {"config.log.level", next->get_string("log.level")}};
  if (const auto pending = keys_needing_restart(*previous, *next, live); pending.empty()) {
    ops::log::info("configuration reloaded", fields);
  } else {
    std::string keys;
    for (const auto& k : pending) keys += (keys.empty() ? "" : ", ") + k;
    ops::LogFields f = fields;
    f.push_back({"restart_needed", keys});
    ops::log::info("configuration reloaded", fields);
    ops::log::warn("configuration reloaded; some changes need a restart", f);
  }
  ops::sd_notify_send("READY=1\nSTATUS=serving");
  return true;
}

ReloadWorker::~ReloadWorker() {
  stop(std::chrono::milliseconds::max());
}

void ReloadWorker::start() {
  thread_ = std::thread([this] { loop(); });
}

void ReloadWorker::request() {
  {
    std::lock_guard lock(mu_);
    pending_ = true;
  }
  cv_.notify_all();
}

bool ReloadWorker::stop(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  stopping_ = true;
  cv_.notify_all();
  const bool idle = wait == std::chrono::milliseconds::max()
                        ? (cv_.wait(lock, [&] { return !busy_; }), true)
                        : cv_.wait_for(lock, wait, [&] { return !busy_; });
  lock.unlock();
  if (!idle) return false;
  if (thread_.joinable()) thread_.join();
  return true;
}

void ReloadWorker::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return pending_ || stopping_; });
    if (stopping_) return;
    pending_ = false;
    busy_ = true;
    lock.unlock();
    state_.reload();
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace hypersdk::cli
