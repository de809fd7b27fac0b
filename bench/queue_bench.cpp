// Queue throughput: N no-op jobs enqueued into a fresh WAL database (synchronous=NORMAL),
// then drained by the real WorkerPool (claim batches, worker threads, batched completions).
// Reports enqueue rate and end-to-end drain rate. Usage:
//   queue_bench [--sync=FULL|NORMAL] [--json] [jobs] [workers] [batch] [fill_db]
// With fill_db, only fills that database with the jobs and keeps it (serve_bench.py then
// measures the drain through `hypersdk serve`). --json prints one JSON object (bench/run.py).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engine/clock.h"
#include "engine/handler.h"
#include "engine/worker_pool.h"
#include "store/sqlite_store.h"

using namespace hypersdk;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  bool sync_full = false;
  bool json = false;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--sync=FULL" || a == "--sync=NORMAL")
      sync_full = a == "--sync=FULL";
    else if (a == "--json")
      json = true;
    else
      args.push_back(a);
  }
  const int jobs = args.size() > 0 ? std::atoi(args[0].c_str()) : 20000;
  const int workers = args.size() > 1 ? std::atoi(args[1].c_str()) : 8;
  const int batch = args.size() > 2 ? std::atoi(args[2].c_str()) : 64;
  const bool fill_only = args.size() > 3;
  const auto dir = std::filesystem::temp_directory_path() / "hypersdk-queue-bench";
  std::filesystem::remove_all(dir);
  store::DatabaseOptions opts;
  std::filesystem::create_directories(dir);
  opts.path = fill_only ? args[3] : (dir / "bench.db").string();
  opts.synchronous_full = sync_full;
  auto db = store::Database::open(opts);
  if (!db) {
    std::fprintf(stderr, "%s\n", db.error().message.c_str());
    return 1;
  }
  std::shared_ptr<store::Database> shared = std::move(db.value());
  store::SqliteStore st(shared);
  engine::SystemClock clock;

  core::JobSpec spec;
  spec.type = "noop";
  auto t0 = Clock::now();
  for (int i = 0; i < jobs; ++i)
    if (!st.job_enqueue(spec, clock.now_ms()).ok()) return 1;
  const double enqueue_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (fill_only) {
    std::printf("jobs=%d enqueue=%.0f/s (one tx each) into %s\n", jobs, jobs / enqueue_s,
                opts.path.c_str());
    return 0;
  }

  engine::HandlerRegistry handlers;
  handlers.add("noop", std::make_shared<engine::NoopHandler>());
  engine::WorkerPoolConfig wc;
  wc.workers = workers;
  wc.claim_batch = batch;
  wc.owner = engine::make_owner_id();
  engine::WorkerPool pool(wc, st, handlers, clock, nullptr);
  auto t1 = Clock::now();
  pool.start();
  for (;;) {
    auto counts = st.job_count_by_status();
    if (counts && (*counts)["succeeded"] == jobs) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double drain_s = std::chrono::duration<double>(Clock::now() - t1).count();
  pool.stop(std::chrono::milliseconds(0));
  if (json)
    std::printf(
        "{\"sync\": \"%s\", \"jobs\": %d, \"workers\": %d, \"batch\": %d, "
        "\"enqueue_per_s\": %.0f, \"drain_per_s\": %.0f}\n",
        sync_full ? "FULL" : "NORMAL", jobs, workers, batch, jobs / enqueue_s, jobs / drain_s);
  else
    std::printf("jobs=%d workers=%d batch=%d enqueue=%.0f/s (one tx each) drain=%.0f jobs/s\n",
                jobs, workers, batch, jobs / enqueue_s, jobs / drain_s);
  std::filesystem::remove_all(dir);
  return 0;
}
