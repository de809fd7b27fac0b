// The scheduler's own cost, in process, without a worker pool or the wall clock (issue 14
// item 4): N schedules in a fresh WAL database (synchronous=NORMAL), D of them due at 09:00
// UTC, the rest once a year. Times, on a pinned clock:
//   load: the first run_once (read every schedule, compile, plan, build the heap), and again
//         after a generation bump (a reload of a running serve);
//   fire: the run_once at 09:00:00.010 that fires the D due occurrences (all chunks), and
//         per fire.
// Seeding copies one real `schedule_create` row with SQL (as schedule_bench.py does): 100k
// creates would take longer than the measurement.
//   ahead: with --ahead, the tick 1.5 s before 09:00 that reads and plans the due schedules
//         (SchedulerConfig::lookahead), so the fire only writes.
// Usage: scheduler_tick_bench [--ahead] [schedules] [due] [rounds]
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/schedule_rules.h"
#include "engine/scheduler.h"
#include "store/sqlite_store.h"

using namespace hypersdk;

namespace {

class PinnedClock final : public engine::Clock {
 public:
  core::TimeMs now_ms() const override { return t; }
  core::TimeMs t = 0;
};

constexpr core::TimeMs kNine = 1748854800000;  // 2025-06-02T09:00:00Z

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

bool exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return true;
  std::fprintf(stderr, "%s: %s\n", sql.c_str(), err ? err : "?");
  sqlite3_free(err);
  return false;
}

// Copies schedule 1 into ids 2..n; the first `due` fire at 09:00 UTC daily.
bool seed(const std::string& path, int n, int due) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return false;
  std::string cols;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('schedules')", -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const std::string c = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    if (c != "id" && c != "name" && c != "cron") cols += (cols.empty() ? "" : ", ") + c;
  }
  sqlite3_finalize(st);
  const bool ok =
      exec(db, "BEGIN") &&
      exec(db, "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                   std::to_string(n) + ") INSERT INTO schedules (name, cron, " + cols +
                   ") SELECT 's' || n.i, CASE WHEN n.i <= " + std::to_string(due) +
                   " THEN '0 9 * * *' ELSE cron END, " + cols +
                   " FROM schedules, n WHERE schedules.id = 1") &&
      exec(db, std::string("UPDATE schedules SET cron = '") +
                   (due >= 1 ? "0 9 * * *" : "0 3 1 1 *") + "' WHERE id = 1") &&
      exec(db, "UPDATE schedule_generation SET generation = generation + 1") && exec(db, "COMMIT");
  sqlite3_close(db);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  bool ahead = false;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--ahead")
      ahead = true;
    else
      args.push_back(argv[i]);
  }
  const int n = args.size() > 0 ? std::atoi(args[0].c_str()) : 100'000;
  const int due = args.size() > 1 ? std::atoi(args[1].c_str()) : 10'000;
  const int rounds = args.size() > 2 ? std::atoi(args[2].c_str()) : 1;
  for (int round = 0; round < rounds; ++round) {
    const auto dir = std::filesystem::temp_directory_path() / "hypersdk-scheduler-tick-bench";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    store::DatabaseOptions opts;
    opts.path = (dir / "bench.db").string();
    opts.synchronous_full = false;
    auto db = store::Database::open(opts);
    if (!db) {
      std::fprintf(stderr, "%s\n", db.error().message.c_str());
      return 1;
    }
    std::shared_ptr<store::Database> shared = std::move(db.value());
    store::SqliteStore st(shared);
    PinnedClock clock;
    clock.t = kNine - 30'000;
    store::ScheduleSpec spec;
    spec.name = "s1";
    spec.cron = "0 3 1 1 *";
    spec.timezone = "UTC";
    spec.job_type = "noop";
    if (!core::validate_schedule(spec).ok() || !st.schedule_create(spec, clock.t).ok()) return 1;
    if (!seed(opts.path, n, due)) return 1;

    engine::SchedulerConfig config;
    config.jump_threshold = std::chrono::milliseconds(3'600'000);  // the clock is moved by hand
    engine::Scheduler scheduler{config, st, clock, {}, nullptr};
    auto t0 = std::chrono::steady_clock::now();
    if (!scheduler.run_once().ok()) return 1;
    const double load_ms = ms_since(t0);
    if (!st.schedule_set_paused("s" + std::to_string(n), true, clock.t).ok())
      return 1;  // bumps generation
    t0 = std::chrono::steady_clock::now();
    if (!scheduler.run_once().ok()) return 1;
    const double reload_ms = ms_since(t0);

    // With --ahead, the tick 1.5 s before the minute plans the due schedules ahead.
    double ahead_ms = 0;
    if (ahead) {
      clock.t = kNine - 1500;
      t0 = std::chrono::steady_clock::now();
      if (!scheduler.run_once().ok()) return 1;
      ahead_ms = ms_since(t0);
    }
    clock.t = kNine + 10;
    t0 = std::chrono::steady_clock::now();
    auto r = scheduler.run_once();
    const double fire_ms = ms_since(t0);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().message.c_str());
      return 1;
    }
    std::printf(
        "{\"schedules\": %d, \"due\": %d, \"load_ms\": %.1f, \"reload_ms\": %.1f, "
        "\"ahead_ms\": %.1f, \"fire_ms\": %.1f, \"fired\": %d, \"us_per_fire\": %.1f}\n",
        n, due, load_ms, reload_ms, ahead_ms, fire_ms, r->fired,
        r->fired ? fire_ms * 1000 / r->fired : 0.0);
    std::filesystem::remove_all(dir);
  }
  return 0;
}
