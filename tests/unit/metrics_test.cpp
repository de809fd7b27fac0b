#include "ops/metrics.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using hypersdk::ops::FsPathKind;
using hypersdk::ops::Metrics;

namespace {

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Every family with at least one series, as a running serve would show them.
void record_some(Metrics& m) {
  m.jobs_total("export", "succeeded", "vsphere").Increment();
  m.jobs_total("exec", "failed", "").Increment(2);
  m.job_duration_seconds("export").Observe(42.5);
  m.export_throughput_bytes_per_second().Observe(1.5e8);
  m.exported_bytes_total().Increment(1e9);
  m.queue_depth("queued").Set(3);
  m.queue_depth("waiting").Set(1);
  m.jobs_running().Set(2);
  m.dead_letters().Set(1);
  m.job_retries_total("exec").Increment();
  m.schedule_fires_total("nightly").Increment();
  m.schedule_missed_total("nightly", "overlap_skip").Increment();
  m.filesystem_free_bytes(FsPathKind::export_dir).Set(1e10);
  m.filesystem_free_bytes(FsPathKind::database).Set(2e10);
  m.db_wal_bytes().Set(4096);
  m.db_size_bytes().Set(65536);
  m.config_last_reload_successful().Set(1);
  m.config_last_reload_success_timestamp_seconds().Set(1.7e9);
  m.http_requests_total("/api/v1/jobs/{id}", "GET", 200).Increment();
  m.http_request_duration_seconds("/api/v1/jobs/{id}", "GET").Observe(0.003);
}

}  // namespace

TEST_CASE("metrics: every family is exposed with its type") {
  Metrics m("1.2.3");
  record_some(m);
  const std::string text = m.serialize();
  for (const char* counter :
       {"hypersdk_jobs_total", "hypersdk_exported_bytes_total", "hypersdk_job_retries_total",
        "hypersdk_schedule_fires_total", "hypersdk_schedule_missed_total",
        "hypersdk_http_requests_total", "process_cpu_seconds_total"})
    CHECK_MESSAGE(contains(text, std::string("# TYPE ") + counter + " counter"), counter);
  for (const char* hist :
       {"hypersdk_job_duration_seconds", "hypersdk_export_throughput_bytes_per_second",
        "hypersdk_http_request_duration_seconds"})
    CHECK_MESSAGE(contains(text, std::string("# TYPE ") + hist + " histogram"), hist);
  for (const char* gauge :
       {"hypersdk_queue_depth", "hypersdk_jobs_running", "hypersdk_dead_letters",
        "hypersdk_filesystem_free_bytes", "hypersdk_db_wal_bytes", "hypersdk_db_size_bytes",
        "hypersdk_config_last_reload_successful",
        "hypersdk_config_last_reload_success_timestamp_seconds", "hypersdk_build_info",
        "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds",
        "process_max_fds", "process_start_time_seconds"})
    CHECK_MESSAGE(contains(text, std::string("# TYPE ") + gauge + " gauge"), gauge);

  CHECK(contains(text, "hypersdk_build_info{version=\"1.2.3\"} 1"));
  CHECK(contains(
      text, "hypersdk_jobs_total{provider=\"vsphere\",status=\"succeeded\",type=\"export\"} 1"));
  CHECK(contains(text, "hypersdk_filesystem_free_bytes{path_kind=\"export\"}"));
  CHECK(contains(text, "hypersdk_filesystem_free_bytes{path_kind=\"database\"}"));
  CHECK(contains(text,
                 "hypersdk_http_requests_total{code=\"200\",method=\"GET\","
                 "route=\"/api/v1/jobs/{id}\"} 1"));
  CHECK(contains(text, "hypersdk_job_duration_seconds_bucket{type=\"export\",le=\"60\"} 1"));
  CHECK(contains(text, "hypersdk_job_duration_seconds_bucket{type=\"export\",le=\"+Inf\"} 1"));
}

TEST_CASE("metrics: series without labels exist before anything is recorded") {
  Metrics m;
  const std::string text = m.serialize();
  CHECK(contains(text, "\nhypersdk_jobs_running 0"));
  CHECK(contains(text, "\nhypersdk_exported_bytes_total 0"));
  CHECK(contains(text, "hypersdk_build_info{version=\"" HYPERSDK_VERSION "\"} 1"));
}

TEST_CASE("metrics: the same labels return the same series") {
  Metrics m;
  auto& a = m.jobs_total("exec", "succeeded", "local");
  auto& b = m.jobs_total("exec", "succeeded", "local");
  CHECK(&a == &b);
  a.Increment();
  CHECK(b.Value() == 1);
  CHECK(&m.job_duration_seconds("exec") == &m.job_duration_seconds("exec"));
}

TEST_CASE("metrics: label values are escaped") {
  Metrics m;
  m.schedule_fires_total("we\"ird\\name\nx").Increment();
  const std::string text = m.serialize();
  CHECK(contains(text, R"(hypersdk_schedule_fires_total{schedule="we\"ird\\name\nx"} 1)"));
}

TEST_CASE("metrics: scrape hooks refresh gauges before serialization") {
  Metrics m;
  int calls = 0;
  m.add_scrape_hook([&] { m.db_wal_bytes().Set(++calls * 100.0); });
  CHECK(contains(m.serialize(), "\nhypersdk_db_wal_bytes 100"));
  CHECK(contains(m.serialize(), "\nhypersdk_db_wal_bytes 200"));
}

TEST_CASE("metrics: process metrics describe this process") {
  Metrics m;
  const std::string text = m.serialize();
  CHECK(contains(text, "\nprocess_open_fds "));
  CHECK(contains(text, "\nprocess_max_fds "));
  CHECK_FALSE(contains(text, "\nprocess_resident_memory_bytes 0\n"));
  CHECK(hypersdk::ops::available_bytes("/").has_value());
  CHECK_FALSE(hypersdk::ops::available_bytes("/nonexistent/hypersdk").has_value());
}

// The real linter operators use. promtool is installed by `make deps` (Debian's prometheus
// package); a missing promtool is a failure, not a skip.
TEST_CASE("metrics: promtool check metrics accepts the exposition") {
  const char* promtool = "/usr/bin/promtool";
  REQUIRE_MESSAGE(::access(promtool, X_OK) == 0, "promtool missing: run `make deps`");

  Metrics m("0.1.0");
  record_some(m);
  m.schedule_missed_total("odd \"name\"", "catchup_window").Increment();
  std::string tmpl = (fs::temp_directory_path() / "hypersdk-metrics-XXXXXX").string();
  const int fd = ::mkstemp(tmpl.data());
  REQUIRE(fd >= 0);
  ::close(fd);
  {
    std::ofstream out(tmpl);
    out << m.serialize();
  }
  const std::string cmd = std::string(promtool) + " check metrics < " + tmpl + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string output;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) output += buf;
  const int status = ::pclose(p);
  fs::remove(tmpl);
  INFO("promtool output: " << output);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
