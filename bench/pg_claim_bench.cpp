// PostgreSQL claims (issue 17): batched FOR UPDATE SKIP LOCKED claims against a one-row,
// one-transaction claim loop, in one run on one server. Each phase enqueues N jobs into a
// fresh schema and claims them all (claims only: the claim is what is measured); it prints
// jobs/s of both and their ratio (target >= 10x). Usage, beside a throwaway server:
//   tests/pg/with_pg.sh build/pg_claim_bench [jobs] [batch]
// (the server is $HYPERSDK_TEST_PG_URL).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "store/pg/pg_store.h"

using namespace hypersdk;
using Clock = std::chrono::steady_clock;

namespace {

// Enqueues `jobs` into a fresh schema, then claims them `batch` at a time; returns jobs/s.
double claim_rate(const std::string& base, int jobs, int batch) {
  std::random_device rd;
  const std::string schema = "bench_" + std::to_string(rd());
  if (auto s = store::pg::exec_once(base, "CREATE SCHEMA " + schema); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    std::exit(1);
  }
  double rate = 0;
  {
    const std::string url = base + (base.find('?') == std::string::npos ? "?" : "&") +
                            "options=-csearch_path%3D" + schema;
    auto db = store::pg::PgDatabase::open(url);
    if (!db) {
      std::fprintf(stderr, "%s\n", db.error().message.c_str());
      std::exit(1);
    }
    store::pg::PgStore store(std::move(db.value()));
    std::vector<core::JobSpec> specs(jobs);
    for (auto& s : specs) s.type = "noop";
    if (auto r = store.job_enqueue_many(specs, 1000); !r) {
      std::fprintf(stderr, "%s\n", r.error().message.c_str());
      std::exit(1);
    }
    const auto t0 = Clock::now();
    int claimed = 0;
    for (;;) {
      auto r = store.job_claim(batch, 2000, std::chrono::minutes(10), "bench");
      if (!r) {
        std::fprintf(stderr, "%s\n", r.error().message.c_str());
        std::exit(1);
      }
      if (r->empty()) break;
      claimed += static_cast<int>(r->size());
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (claimed != jobs) {
      std::fprintf(stderr, "claimed %d of %d jobs\n", claimed, jobs);
      std::exit(1);
    }
    rate = jobs / secs;
  }
  (void)store::pg::exec_once(base, "DROP SCHEMA " + schema + " CASCADE");
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  const char* url = std::getenv("HYPERSDK_TEST_PG_URL");
  if (!url) {
    std::fprintf(stderr, "HYPERSDK_TEST_PG_URL is not set: run under tests/pg/with_pg.sh\n");
    return 2;
  }
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 5000;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 100;
  const double one = claim_rate(url, jobs, 1);
  const double batched = claim_rate(url, jobs, batch);
  std::printf(
      "pg claims of %d jobs: one row per transaction %.0f jobs/s, batches of %d %.0f jobs/s, "
      "%.1fx\n",
      jobs, one, batch, batched, batched / one);
  return 0;
}
