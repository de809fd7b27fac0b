// Queue throughput: N no-op jobs enqueued into a fresh WAL database (synchronous=NORMAL),
// then drained by the real WorkerPool (claim batches, worker threads, batched completions).
// Reports enqueue rate and end-to-end drain rate. Usage: queue_bench [jobs] [workers] [batch]
// With a fourth argument, only fills that database with the jobs and keeps it (serve_bench.py
// then measures the drain through `hypersdk serve`).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "engine/clock.h"
#include "engine/handler.h"
#include "engine/worker_pool.h"
#include "store/sqlite_store.h"

using namespace hypersdk;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int workers = argc > 2 ? std::atoi(argv[2]) : 8;
  const int batch = argc > 3 ? std::atoi(argv[3]) : 64;
  const bool fill_only = argc > 4;
  const auto dir = std::filesystem::temp_directory_path() / "hypersdk-queue-bench";
  std::filesystem::remove_all(dir);
  store::DatabaseOptions opts;
  opts.path = fill_only ? std::string(argv[4]) : (dir / "bench.db").string();
  opts.synchronous_full = false;
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
  std::printf("jobs=%d workers=%d batch=%d enqueue=%.0f/s (one tx each) drain=%.0f jobs/s\n", jobs,
              workers, batch, jobs / enqueue_s, jobs / drain_s);
  std::filesystem::remove_all(dir);
  return 0;
}
