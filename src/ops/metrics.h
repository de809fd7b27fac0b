// The Prometheus metrics of hypersdk (DESIGN §11), on prometheus-cpp's core registry.
//
// One Metrics object is created by whoever owns the running system (serve) and handed by
// reference to the services that record into it; GET /api/v1/metrics returns serialize().
// Names follow the Prometheus conventions (_total, _seconds, _bytes); label values are
// escaped by the library, HELP strings are not, so they are single-line constants here.
// Label values must come from small closed sets: route templates ("/api/v1/jobs/{id}"),
// never raw paths; job types; schedule names.
//
// Families (labels):
//   hypersdk_jobs_total{type,status,provider}           counter   finished jobs by outcome
//   hypersdk_job_duration_seconds{type}                 histogram
//   hypersdk_export_throughput_bytes_per_second         histogram
//   hypersdk_exported_bytes_total                       counter
//   hypersdk_queue_depth{status}                        gauge
//   hypersdk_jobs_running                               gauge
//   hypersdk_dead_letters                               gauge
//   hypersdk_job_retries_total{type}                    counter
//   hypersdk_job_failures_total{class}                  counter   failed attempts by error class
//   hypersdk_queue_oldest_age_seconds                   gauge     how long the oldest due job waits
//   hypersdk_schedule_fires_total{schedule}             counter
//   hypersdk_schedule_missed_total{schedule,reason}     counter
//   hypersdk_schedule_lateness_seconds{schedule}        histogram fire time - nominal time
//   hypersdk_filesystem_free_bytes{path_kind}           gauge     path_kind = export|database
//   hypersdk_filesystem_size_bytes{path_kind}           gauge     (free / size: the disk alert)
//   hypersdk_db_wal_bytes, hypersdk_db_size_bytes       gauge
//   hypersdk_db_writes_total, hypersdk_db_commits_total counter (engine/job_metrics.cpp)
//   hypersdk_config_last_reload_successful              gauge     0|1
//   hypersdk_config_last_reload_success_timestamp_seconds gauge
//   hypersdk_http_requests_total{route,method,code}     counter
//   hypersdk_http_request_duration_seconds{route,method} histogram
//   hypersdk_build_info{version}                        gauge = 1
//   hypersdk_internal_errors_total{component}           counter   errors handled by logging,
//                                                        falling back and backing off
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds   (read at scrape time)
//
// Thread safety: every method may be called from any thread; the returned metric references
// stay valid as long as the Metrics object and are themselves thread-safe (atomic).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace hypersdk::ops {

enum class FsPathKind { export_dir, database };  // label values "export", "database"

class Metrics {
 public:
  Metrics();  // build_info version = HYPERSDK_VERSION
  explicit Metrics(const std::string& version);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Jobs and the queue.
  prometheus::Counter& jobs_total(const std::string& type, const std::string& status,
                                  const std::string& provider);
  prometheus::Histogram& job_duration_seconds(const std::string& type);
  prometheus::Histogram& export_throughput_bytes_per_second();
  prometheus::Counter& exported_bytes_total();
  prometheus::Gauge& queue_depth(const std::string& status);
  prometheus::Gauge& jobs_running();
  prometheus::Gauge& dead_letters();
  prometheus::Counter& job_retries_total(const std::string& type);
  // Every failed attempt (retried or final), by its error class (core::to_string(ErrorClass)).
  prometheus::Counter& job_failures_total(const std::string& error_class);
  prometheus::Gauge& queue_oldest_age_seconds();

  // Schedules.
  prometheus::Counter& schedule_fires_total(const std::string& schedule);
  prometheus::Counter& schedule_missed_total(const std::string& schedule,
                                             const std::string& reason);
  // How late an occurrence fired after its nominal time (scheduler ticks, downtime catch-up).
  prometheus::Histogram& schedule_lateness_seconds(const std::string& schedule);

  // Storage and configuration.
  prometheus::Gauge& filesystem_free_bytes(FsPathKind kind);
  prometheus::Gauge& filesystem_size_bytes(FsPathKind kind);
  // Sets both from statvfs of `path`, or of its nearest existing parent (a directory that
  // is not created yet fills the filesystem it will be created on). False when unreadable.
  bool observe_filesystem(FsPathKind kind, const std::string& path);
  prometheus::Gauge& db_wal_bytes();
  prometheus::Gauge& db_size_bytes();
  prometheus::Gauge& config_last_reload_successful();
  prometheus::Gauge& config_last_reload_success_timestamp_seconds();

  // HTTP. REQUIRES: route is the route template, not the request path.
  prometheus::Counter& http_requests_total(const std::string& route, const std::string& method,
                                           int code);
  prometheus::Histogram& http_request_duration_seconds(const std::string& route,
                                                       const std::string& method);

  // An error the running system handled itself (logged, fell back, backed off) instead of
  // returning it. REQUIRES: component from a small closed set ("claim", "heartbeat", ...).
  prometheus::Counter& internal_errors_total(const std::string& component);

  // Runs before every serialize(): refresh gauges that are cheaper to read on demand than
  // to keep current (queue depth, WAL size, free bytes). A hook must not call serialize().
  void add_scrape_hook(std::function<void()> hook);

  // Prometheus text exposition format 0.0.4 (Content-Type: text/plain; version=0.0.4),
  // including the process_* metrics read from /proc now.
  std::string serialize();

  // For families not named above (add a named accessor when one becomes permanent).
  prometheus::Registry& registry() { return *registry_; }

 private:
  // Every family below, without series: declared first, filled as they are registered.
  std::vector<prometheus::MetricFamily> described_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& jobs_total_;
  prometheus::Family<prometheus::Histogram>& job_duration_;
  prometheus::Family<prometheus::Histogram>& export_throughput_;
  prometheus::Family<prometheus::Counter>& exported_bytes_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& jobs_running_;
  prometheus::Family<prometheus::Gauge>& dead_letters_;
  prometheus::Family<prometheus::Counter>& job_retries_;
  prometheus::Family<prometheus::Counter>& schedule_fires_;
  prometheus::Family<prometheus::Counter>& schedule_missed_;
  prometheus::Family<prometheus::Gauge>& fs_free_;
  prometheus::Family<prometheus::Gauge>& fs_size_;
  prometheus::Family<prometheus::Gauge>& db_wal_;
  prometheus::Family<prometheus::Gauge>& db_size_;
  prometheus::Family<prometheus::Gauge>& reload_ok_;
  prometheus::Family<prometheus::Gauge>& reload_ts_;
  prometheus::Family<prometheus::Counter>& http_requests_;
  prometheus::Family<prometheus::Histogram>& http_duration_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Counter>& internal_errors_;
  prometheus::Family<prometheus::Counter>& job_failures_;
  prometheus::Family<prometheus::Gauge>& queue_oldest_age_;
  prometheus::Family<prometheus::Histogram>& schedule_lateness_;

  std::mutex hooks_mu_;
  std::vector<std::function<void()>> hooks_;  // GUARDED_BY(hooks_mu_)
};

// Bytes available to an unprivileged user on the filesystem holding `path` (statvfs), or
// nullopt when it cannot be read. For filesystem_free_bytes().
std::optional<std::uint64_t> available_bytes(const std::string& path);

}  // namespace hypersdk::ops
