// hypersdk serve (also `hypervisord`): the API, the workers and maintenance in one process,
// until SIGTERM/SIGINT. SIGHUP reloads the config (logging, API access, worker count and
// holidays apply live), SIGUSR1 reopens the log file; systemd hears
// READY/RELOADING/STOPPING/WATCHDOG over $NOTIFY_SOCKET.
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <iostream>
#include <mutex>

#include "api/server.h"
#include "api/tls_context.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/serve_cluster.h"
#include "cli/serve_reload.h"
#include "cli/server_registration.h"
#include "cli/template_reader.h"
#include "engine/audit_trail.h"
#include "engine/file_clock.h"
#include "engine/notification_service.h"
#include "engine/runtime.h"
#include "engine/schedule_calendars.h"
#include "engine/workflow_service.h"
#include "notify/notifier.h"
#include "ops/log.h"
#include "ops/malloc_tuning.h"
#include "ops/metrics.h"
#include "ops/sd_notify.h"
#include "ops/signals.h"
#include "store/schedule_arm.h"

namespace hypersdk::cli {
namespace {

using std::chrono::milliseconds;

struct ServeFlags {
  std::string listen;
  int workers = 0;
  std::string test_clock_file;  // HYPERSDK_TEST_HOOKS builds only (engine/file_clock.h)
};

// Signals arrive on the SignalWaiter's thread and are handled on the main thread.
class SignalQueue {
 public:
  void push(int sig) {
    {
      std::lock_guard lock(mu_);
      q_.push_back(sig);
    }
    cv_.notify_one();
  }
  int pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !q_.empty(); });
    int sig = q_.front();
    q_.pop_front();
    return sig;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> q_;
};

// export.dir, else exports/ beside the database.
std::string export_dir(const ops::Config& c, const std::string& db_path) {
  const std::string& dir = c.get_string("export.dir");
  if (!dir.empty()) return dir;
  return (std::filesystem::path(db_path).parent_path() / "exports").string();
}

// What a SIGHUP changes in the running serve beyond logging (serve_reload.h).
void add_live_parts(ReloadState& reload, api::ApiServer& server, engine::Runtime& rt) {
  // Token rotation and new rate limits need no restart.
  reload.add_live_part({{"api.tokens", "api.rate_limit.requests_per_second", "api.rate_limit.burst",
                         "api.allow_remote_without_token"},
                        [&server](const ops::Config& next) -> Result<std::function<void()>> {
                          auto c = api::api_config_from(next, ops::environ_map());
                          if (!c) return c.error();
                          if (Status s = server.check_access(*c); !s.ok()) return s.error();
                          return std::function<void()>([&server, c = std::move(*c)] {
                            if (Status s = server.update_access(c); !s.ok())
                              ops::log::error("applying the API access settings failed",
                                              {{"error", s.error().message}});
                          });
                        }});
  // A renewed certificate (same paths or new ones) for the connections that follow; open
  // connections keep theirs. Switching TLS on or off needs a restart.
  if (server.serves_tls())
    reload.add_live_part({{"api.tls.cert", "api.tls.key"},
                          [&server](const ops::Config& next) -> Result<std::function<void()>> {
                            const std::string cert = next.get_string("api.tls.cert");
                            const std::string key = next.get_string("api.tls.key");
                            if (cert.empty() || key.empty())
                              return make_error(
                                  ErrorClass::invalid,
                                  "api.tls.cert/api.tls.key: switching TLS off needs a restart");
                            auto creds = api::TlsCredentials::load(cert, key);
                            if (!creds) return creds.error();
                            return std::function<void()>([&server, c = std::move(*creds)] {
                              if (Status s = server.update_tls(c); !s.ok())
                                ops::log::error("applying the TLS certificate failed",
                                                {{"error", s.error().message}});
                            });
                          }});
  // Read from the current config when serve stops.
  reload.add_live_part({{"workers.shutdown_grace"}, nullptr});
  // More or fewer workers (fewer: the extra ones leave when idle; no job is interrupted).
  reload.add_live_part(
      {{"workers.count"}, [&rt](const ops::Config& next) -> Result<std::function<void()>> {
         const int n = static_cast<int>(next.get_int("workers.count"));
         return std::function<void()>([&rt, n] { rt.pool().resize(n); });
       }});
  // New receivers and routes (secrets resolved again) for the events that follow.
  reload.add_live_part(
      {{"notifications.receivers", "notifications.routes", "notifications.default_receivers",
        "notifications.retry.max_attempts", "notifications.retry.base", "notifications.retry.cap",
        "notifications.circuit_breaker.failures", "notifications.circuit_breaker.cooldown"},
       [&rt](const ops::Config& next) -> Result<std::function<void()>> {
         auto plan = notify::make_plan(next, ops::environ_map());
         if (!plan) return plan.error();
         return std::function<void()>(
             [&rt, p = std::move(*plan)]() mutable { rt.notifier().update(std::move(p)); });
       }});
  // New holiday dates (config or .ics) count for the jobs and fires that follow.
  reload.add_live_part(
      {{"holidays"}, [&rt](const ops::Config& next) -> Result<std::function<void()>> {
         auto calendars = engine::load_holiday_calendars(next);
         if (!calendars) return calendars.error();
         return std::function<void()>([&rt, c = std::move(*calendars)]() mutable {
           rt.holidays().replace(std::move(c));
           // Occurrences armed ahead were planned with the old calendars: undo them, the
           // fire decides with the new ones (the scheduler's tick also checks; this closes
           // the gap before it, when a job's run_at comes first).
           if (auto arming = store::make_schedule_arming(rt.store()))
             if (auto n = arming->disarm_all(); !n)
               ops::log::error("undoing armed schedule occurrences failed",
                               {{"error", n.error().to_string()}});
         });
       }});
  // Targets: the uploads and tests that start after the reload use the new settings.
  reload.add_live_part(
      {{"targets"}, [&rt](const ops::Config& next) -> Result<std::function<void()>> {
         auto set = targets::parse_targets(next.get_node("targets"), ops::environ_map());
         if (!set) return set.error();
         auto shared = std::make_shared<const targets::TargetSet>(std::move(*set));
         return std::function<void()>([&rt, shared] { rt.targets().replace(shared); });
       }});
  // Providers added, removed or changed: jobs that start afterwards see the new registry.
  reload.add_live_part(
      {{"providers"}, [&rt](const ops::Config& next) -> Result<std::function<void()>> {
         auto built = providers::build_providers(next.get_node("providers"), ops::environ_map());
         if (!built) return built.error();
         return std::function<void()>(
             [&rt, p = std::move(*built)]() mutable { rt.providers().replace(std::move(p)); });
       }});
}

int serve(Context& ctx, const ServeFlags& flags) {
  // Before any thread exists, so every thread inherits the mask and signals reach only the
  // SignalWaiter.
  if (Status s = ops::block_daemon_signals(); !s.ok()) return ctx.fail(s.error());
  ops::limit_malloc_arenas();  // idle RSS (ops/malloc_tuning.h); also before any thread
  auto cfg = ctx.config();
  if (!cfg) return ctx.fail(cfg.error());
  if (Status s = ops::log_init(log_options(**cfg)); !s.ok()) return ctx.fail(s.error());
  auto db_path = ctx.db_path();
  if (!db_path) return ctx.fail(db_path.error());

  ops::Metrics metrics;
  engine::SystemClock system_clock;
  const engine::Clock* clock = &system_clock;
  std::unique_ptr<engine::FileClock> test_clock;
  if (!flags.test_clock_file.empty()) {
    test_clock = std::make_unique<engine::FileClock>(flags.test_clock_file);
    clock = test_clock.get();
    ops::log::warn("using a test clock: time comes from a file", {{"path", flags.test_clock_file}});
  }
  auto runtime = engine::Runtime::open({*cfg, *db_path, clock, &metrics, template_reader()});
  if (!runtime) {
    ops::log::error("cannot open the database",
                    {{"db", ctx.database_name()}, {"error", runtime.error().message}});
    return ctx.fail(runtime.error());
  }
  engine::Runtime& rt = **runtime;
  auto api_cfg = api::api_config_from(**cfg, ops::environ_map());
  if (!api_cfg) return ctx.fail(api_cfg.error());

  ReloadState reload(ctx, *cfg, metrics);
  metrics.add_scrape_hook([&reload, path = *db_path, &metrics] {
    metrics.observe_filesystem(ops::FsPathKind::export_dir, export_dir(*reload.current(), path));
  });
  api::ApiDeps deps{rt.jobs(), &metrics,
                    [&rt] {
                      std::vector<api::ReadyCheck> checks;
                      for (auto& c : rt.readiness()) checks.push_back({c.name, c.ok, c.detail});
                      return checks;
                    },
                    [&reload] { return reload.current()->to_json(true); }};
  deps.schedules = &rt.schedules();
  engine::AuditTrail audit(rt.backend().audit, *clock);
  deps.audit = &audit;
  reload.set_on_reload([&audit](bool ok, const std::string& why) {
    (void)audit.record({.actor = "signal:SIGHUP",
                        .action = ok ? "config.reload" : "config.reload_failed",
                        .source = "serve",
                        .details = nlohmann::json{{"error", why}}.dump()});
  });
  engine::WorkflowService workflows(rt.jobs());
  deps.workflows = &workflows;
  deps.targets = &rt.targets();
  deps.providers = &rt.providers();
  deps.backups = &rt.backups();
  engine::NotificationService notifications(rt.notifier().outbox(), rt.clock());
  deps.notifications = &notifications;
  deps.database = &rt.backend();
  deps.runtime_overview = [&rt, &reload, path = *db_path] {
    const auto cfg = reload.current();
    nlohmann::json disk = nlohmann::json::array();
    for (const auto& [kind, dir] :
         {std::pair{"database", std::filesystem::path(path).parent_path().string()},
          std::pair{"export", export_dir(*cfg, path)}}) {
      if (std::string_view(kind) == "database" && !rt.backend().sqlite()) continue;  // a server
      // A directory not created yet will be on its nearest existing parent's filesystem.
      std::filesystem::path at(dir);
      std::error_code ec;
      while (!at.empty() && at != at.root_path() && !std::filesystem::exists(at, ec))
        at = at.parent_path();
      const auto free = ops::available_bytes(at.string());
      disk.push_back({{"path_kind", kind},
                      {"path", dir},
                      {"free_bytes", free ? nlohmann::json(*free) : nlohmann::json(nullptr)}});
    }
    return nlohmann::json{
        {"workers", {{"busy", rt.pool().running()}, {"total", cfg->get_int("workers.count")}}},
        {"disk", disk}};
  };
  // The CLI on this database talks to this server once registered (cli/live_server.h).
  ServerRegistration registration(rt.backend().servers);
  add_cluster_parts(deps, rt, registration);
  api::ApiServer server(*api_cfg, deps);

  add_live_parts(reload, server, rt);

  if (Status s = rt.start(); !s.ok()) return ctx.fail(s.error());
  if (Status s = server.start(); !s.ok()) {
    ops::log::error("cannot start the API",
                    {{"listen", api_cfg->listen}, {"error", s.error().message}});
    rt.stop(milliseconds(0));
    return ctx.fail(s.error());
  }
  (void)registration.start(server_address(*api_cfg, server.port()), rt.pool().owner());
  ops::log::info("hypersdk serve started", {{"version", HYPERSDK_VERSION},
                                            {"listen", api_cfg->listen},
                                            {"port", server.port()},
                                            {"db", rt.backend().describe()},
                                            {"workers", (*cfg)->get_int("workers.count")}});
  ops::sd_notify_send("READY=1\nSTATUS=serving on " + api_cfg->listen);

  std::unique_ptr<ops::Watchdog> watchdog;
  if (auto interval = ops::watchdog_interval()) {
    watchdog = std::make_unique<ops::Watchdog>(ops::WatchdogConfig{
        *interval, [&rt] { return rt.pool().healthy() && rt.database_reachable(); }, nullptr});
    watchdog->start();
  }

  // Read at shutdown from the config then in effect, so a reload can change it.
  std::chrono::milliseconds grace{0};
  SignalQueue signals;
  ops::SignalWaiter waiter([&signals](int sig) { signals.push(sig); });
  if (Status s = waiter.start(); !s.ok()) return ctx.fail(s.error());
  ReloadWorker reloader(reload);
  reloader.start();
  for (;;) {
    const int sig = signals.pop();
    if (sig == SIGHUP) {
      reloader.request();  // on the reloader's thread: this loop stays free for SIGTERM
    } else if (sig == SIGUSR1) {
      if (Status s = ops::log_reopen(); !s.ok()) {
        ops::log::error("reopening the log file failed", {{"error", s.error().message}});
      } else if (const std::string file = reload.current()->get_string("log.file"); !file.empty()) {
        // Marks the switch in the new file (logrotate checks, and people reading it).
        ops::log::info("log file reopened", {{"file", file}});
      }
    } else {
      grace = reload.current()->get_duration("workers.shutdown_grace");
      ops::log::info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                                       {"grace_seconds", grace.count() / 1000}});
      break;
    }
  }
  // A reload still loading applies nothing from here on.
  reload.shut();
  // Drain: readiness fails at once so traffic moves away; no new claims; running jobs get the
  // grace period and are then handed back; in-flight HTTP requests finish.
  server.set_draining(true);
  // CLI commands from here on work on the database (this server no longer takes submits).
  registration.stop();
  ops::sd_notify_send("STOPPING=1\nSTATUS=draining: " + std::to_string(rt.pool().running()) +
                      " running job(s) get " + std::to_string(grace.count() / 1000) + " s");
  rt.stop(grace);
  server.stop(milliseconds(10'000));
  if (watchdog) watchdog->stop();
  waiter.stop();
  if (!reloader.stop(milliseconds(5'000))) {
    // Its inputs are bounded, so this is a stuck file system: the reload holds no lock and
    // applies nothing after shut(), and waiting for it would keep a stopped daemon alive.
    ops::log::warn("a config reload is still reading its files; exiting without waiting for it");
    ops::log::info("hypersdk serve stopped");
    std::_Exit(kExitOk);
  }
  ops::log::info("hypersdk serve stopped");
  return kExitOk;
}

}  // namespace

void add_serve_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand("serve", "Run the API, the scheduler and the workers");
  cmd->add_option("--listen", f->listen, "HOST:PORT for the API (default 127.0.0.1:8080)");
  cmd->add_option("--workers", f->workers, "Worker threads (overrides workers.count)")
      ->check(CLI::Range(1, 1024));
#ifdef HYPERSDK_TEST_HOOKS
  // Test builds only (HYPERSDK_TEST_HOOKS, OFF by default, on in `make build/test`): the
  // engine's clock jumps to the ISO time in this file whenever it changes.
  cmd->add_option("--test-clock-file", f->test_clock_file)->group("");
#endif
  cmd->callback([&ctx, f] {
    if (!f->listen.empty()) ctx.overrides.emplace_back("api.listen", f->listen, "--listen");
    if (f->workers > 0)
      ctx.overrides.emplace_back("workers.count", std::to_string(f->workers), "--workers");
    ctx.action = [&ctx, f] { return serve(ctx, *f); };
  });
}

}  // namespace hypersdk::cli
