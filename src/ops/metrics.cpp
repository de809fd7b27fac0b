#include "ops/metrics.h"

#include <sys/resource.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <type_traits>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "core/error.h"
#include "ops/log.h"

namespace hypersdk::ops {
namespace {

using prometheus::Histogram;

// Exports and backups run from seconds to hours.
const Histogram::BucketBoundaries kJobDurationBuckets = {1,   5,    15,   30,   60,    120,  300,
                                                         600, 1800, 3600, 7200, 14400, 28800};
// From a slow WAN upload (1 MB/s) to a local NVMe copy (2 GB/s).
// A tick is late by under a second; a catch-up after downtime by hours.
const Histogram::BucketBoundaries kLatenessBuckets = {0.5, 1,   5,    15,    60,
                                                      300, 900, 3600, 21600, 86400};
const Histogram::BucketBoundaries kThroughputBuckets = {1e6, 5e6,   1e7, 2.5e7, 5e7,
                                                        1e8, 2.5e8, 5e8, 1e9,   2e9};
const Histogram::BucketBoundaries kHttpBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                  0.5,   1,    2.5,   5,    10};

// Registers a family and describes it in `described`, so that serialize() can show a family
// before its first series exists (its HELP and TYPE: what can be queried and alerted on).
template <typename Builder>
auto& family(Builder builder, const char* name, const char* help, prometheus::Registry& registry,
             std::vector<prometheus::MetricFamily>& described) {
  auto& f = builder.Name(name).Help(help).Register(registry);
  using F = std::remove_reference_t<decltype(f)>;
  prometheus::MetricFamily d;
  d.name = name;
  d.help = help;
  if constexpr (std::is_same_v<F, prometheus::Family<prometheus::Counter>>) {
    d.type = prometheus::MetricType::Counter;
  } else if constexpr (std::is_same_v<F, prometheus::Family<prometheus::Gauge>>) {
    d.type = prometheus::MetricType::Gauge;
  } else {
    d.type = prometheus::MetricType::Histogram;
  }
  described.push_back(std::move(d));
  return f;
}

prometheus::MetricFamily single(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
  return f;
}

// process_* as the official Go and Python clients export them, from /proc/self.
std::vector<prometheus::MetricFamily> process_metrics() {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));

  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
  const auto close = stat.rfind(')');
  if (close != std::string::npos && ticks > 0) {
    std::istringstream rest(stat.substr(close + 1));
    std::vector<std::string> f;  // f[0] is field 3 (state) of proc(5)
    for (std::string tok; rest >> tok;) f.push_back(tok);
    if (f.size() > 21) {
      const double utime = std::stod(f[11]), stime = std::stod(f[12]);
      const double start_ticks = std::stod(f[19]);
      out.push_back(single("process_cpu_seconds_total",
                           "Total user and system CPU time spent in seconds.", MetricType::Counter,
                           (utime + stime) / ticks));
      out.push_back(single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                           MetricType::Gauge, std::stod(f[20])));
      out.push_back(single("process_resident_memory_bytes", "Resident memory size in bytes.",
                           MetricType::Gauge, std::stod(f[21]) * page));
      // Boot time from the clocks, not /proc/stat's btime: the hardened unit (ProcSubset=pid)
      // shows only /proc/<pid>.
      timespec real{}, boot{};
      if (::clock_gettime(CLOCK_REALTIME, &real) == 0 &&
          ::clock_gettime(CLOCK_BOOTTIME, &boot) == 0) {
        const double booted = static_cast<double>(real.tv_sec - boot.tv_sec) +
                              static_cast<double>(real.tv_nsec - boot.tv_nsec) / 1e9;
        out.push_back(single("process_start_time_seconds",
                             "Start time of the process since unix epoch in seconds.",
                             MetricType::Gauge, booted + start_ticks / ticks));
      }
    }
  }

  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++fds;
  if (!ec)
    out.push_back(
        single("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, fds));
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0)
    out.push_back(single("process_max_fds", "Maximum number of open file descriptors.",
                         MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  return out;
}

}  // namespace

Metrics::Metrics() : Metrics(HYPERSDK_VERSION) {}

Metrics::Metrics(const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()),
      jobs_total_(family(prometheus::BuildCounter(), "hypersdk_jobs_total",
                         "Finished jobs by type, final status and provider.", *registry_,
                         described_)),
      job_duration_(family(prometheus::BuildHistogram(), "hypersdk_job_duration_seconds",
                           "Duration of finished job attempts in seconds.", *registry_,
                           described_)),
      export_throughput_(
          family(prometheus::BuildHistogram(), "hypersdk_export_throughput_bytes_per_second",
                 "Throughput of finished exports in bytes per second.", *registry_, described_)),
      exported_bytes_(family(prometheus::BuildCounter(), "hypersdk_exported_bytes_total",
                             "Bytes written by exports and backups.", *registry_, described_)),
      queue_depth_(family(prometheus::BuildGauge(), "hypersdk_queue_depth",
                          "Jobs in the queue by status.", *registry_, described_)),
      jobs_running_(family(prometheus::BuildGauge(), "hypersdk_jobs_running",
                           "Jobs running in this process.", *registry_, described_)),
      dead_letters_(family(prometheus::BuildGauge(), "hypersdk_dead_letters",
                           "Entries in the dead-letter table.", *registry_, described_)),
      job_retries_(family(prometheus::BuildCounter(), "hypersdk_job_retries_total",
                          "Job attempts scheduled for retry after a failure.", *registry_,
                          described_)),
      schedule_fires_(family(prometheus::BuildCounter(), "hypersdk_schedule_fires_total",
                             "Schedule occurrences that enqueued a run.", *registry_, described_)),
      schedule_missed_(family(prometheus::BuildCounter(), "hypersdk_schedule_missed_total",
                              "Schedule occurrences not run, by reason.", *registry_, described_)),
      fs_free_(family(prometheus::BuildGauge(), "hypersdk_filesystem_free_bytes",
                      "Free bytes on the filesystem of the export directory or the database.",
                      *registry_, described_)),
      fs_size_(family(prometheus::BuildGauge(), "hypersdk_filesystem_size_bytes",
                      "Size of the filesystem of the export directory or the database in bytes.",
                      *registry_, described_)),
      db_wal_(family(prometheus::BuildGauge(), "hypersdk_db_wal_bytes",
                     "Size of the SQLite write-ahead log in bytes.", *registry_, described_)),
      db_size_(
          family(prometheus::BuildGauge(), "hypersdk_db_size_bytes",
                 "Size of the database in bytes (SQLite: its file; PostgreSQL: pg_database_size).",
                 *registry_, described_)),
      reload_ok_(family(prometheus::BuildGauge(), "hypersdk_config_last_reload_successful",
                        "Whether the last configuration load or reload succeeded (1) or not (0).",
                        *registry_, described_)),
      reload_ts_(family(
          prometheus::BuildGauge(), "hypersdk_config_last_reload_success_timestamp_seconds",
          "Time of the last successful configuration load or reload.", *registry_, described_)),
      http_requests_(family(prometheus::BuildCounter(), "hypersdk_http_requests_total",
                            "HTTP requests by route template, method and status code.", *registry_,
                            described_)),
      http_duration_(family(prometheus::BuildHistogram(), "hypersdk_http_request_duration_seconds",
                            "HTTP request latency in seconds by route template and method.",
                            *registry_, described_)),
      build_info_(family(prometheus::BuildGauge(), "hypersdk_build_info",
                         "Build information; the value is always 1.", *registry_, described_)),
      internal_errors_(family(prometheus::BuildCounter(), "hypersdk_internal_errors_total",
                              "Errors handled by logging, a fallback and a backoff, by component.",
                              *registry_, described_)),
      job_failures_(family(prometheus::BuildCounter(), "hypersdk_job_failures_total",
                           "Failed job attempts (retried or final) by error class.", *registry_,
                           described_)),
      queue_oldest_age_(family(prometheus::BuildGauge(), "hypersdk_queue_oldest_age_seconds",
                               "Seconds the oldest queued job has been due without starting.",
                               *registry_, described_)),
      schedule_lateness_(family(prometheus::BuildHistogram(), "hypersdk_schedule_lateness_seconds",
                                "Seconds between an occurrence's nominal time and its firing.",
                                *registry_, described_)) {
  build_info_.Add({{"version", version}}).Set(1);
  // Series without labels exist from the start, so a dashboard shows 0 rather than nothing.
  exported_bytes_.Add({});
  jobs_running_.Add({});
  dead_letters_.Add({});
  // Not the database's sizes: the store's scrape hook sets the ones its driver has (SQLite's
  // file and WAL, PostgreSQL's pg_database_size), so no driver shows a 0 it does not measure.
  reload_ok_.Add({});
  reload_ts_.Add({});
  export_throughput_.Add({}, kThroughputBuckets);
  queue_oldest_age_.Add({});
  // Every class from the start: increase() misses a counter's first value, so a series born
  // at 1 would hide the first failure of its class from the panel.
  for (int c = 0; c <= static_cast<int>(ErrorClass::internal); ++c)
    job_failures_.Add({{"class", std::string(to_string(static_cast<ErrorClass>(c)))}});
}

prometheus::Counter& Metrics::jobs_total(const std::string& type, const std::string& status,
                                         const std::string& provider) {
  return jobs_total_.Add({{"type", type}, {"status", status}, {"provider", provider}});
}

prometheus::Histogram& Metrics::job_duration_seconds(const std::string& type) {
  return job_duration_.Add({{"type", type}}, kJobDurationBuckets);
}

prometheus::Histogram& Metrics::export_throughput_bytes_per_second() {
  return export_throughput_.Add({}, kThroughputBuckets);
}

prometheus::Counter& Metrics::exported_bytes_total() {
  return exported_bytes_.Add({});
}

prometheus::Gauge& Metrics::queue_depth(const std::string& status) {
  return queue_depth_.Add({{"status", status}});
}

prometheus::Counter& Metrics::internal_errors_total(const std::string& component) {
  return internal_errors_.Add({{"component", component}});
}

prometheus::Gauge& Metrics::jobs_running() {
  return jobs_running_.Add({});
}
prometheus::Gauge& Metrics::dead_letters() {
  return dead_letters_.Add({});
}

prometheus::Counter& Metrics::job_retries_total(const std::string& type) {
  return job_retries_.Add({{"type", type}});
}

prometheus::Counter& Metrics::job_failures_total(const std::string& error_class) {
  return job_failures_.Add({{"class", error_class}});
}

prometheus::Gauge& Metrics::queue_oldest_age_seconds() {
  return queue_oldest_age_.Add({});
}

prometheus::Histogram& Metrics::schedule_lateness_seconds(const std::string& schedule) {
  return schedule_lateness_.Add({{"schedule", schedule}}, kLatenessBuckets);
}

prometheus::Counter& Metrics::schedule_fires_total(const std::string& schedule) {
  return schedule_fires_.Add({{"schedule", schedule}});
}

prometheus::Counter& Metrics::schedule_missed_total(const std::string& schedule,
                                                    const std::string& reason) {
  return schedule_missed_.Add({{"schedule", schedule}, {"reason", reason}});
}

prometheus::Gauge& Metrics::filesystem_free_bytes(FsPathKind kind) {
  return fs_free_.Add({{"path_kind", kind == FsPathKind::export_dir ? "export" : "database"}});
}

prometheus::Gauge& Metrics::filesystem_size_bytes(FsPathKind kind) {
  return fs_size_.Add({{"path_kind", kind == FsPathKind::export_dir ? "export" : "database"}});
}

bool Metrics::observe_filesystem(FsPathKind kind, const std::string& path) {
  std::filesystem::path p = path.empty() ? std::filesystem::path(".") : std::filesystem::path(path);
  struct statvfs st {};
  for (;;) {
    if (::statvfs(p.c_str(), &st) == 0) break;
    if (errno != ENOENT || !p.has_relative_path()) return false;
    p = p.parent_path();
  }
  filesystem_free_bytes(kind).Set(static_cast<double>(st.f_bavail) * st.f_frsize);
  filesystem_size_bytes(kind).Set(static_cast<double>(st.f_blocks) * st.f_frsize);
  return true;
}

prometheus::Gauge& Metrics::db_wal_bytes() {
  return db_wal_.Add({});
}
prometheus::Gauge& Metrics::db_size_bytes() {
  return db_size_.Add({});
}
prometheus::Gauge& Metrics::config_last_reload_successful() {
  return reload_ok_.Add({});
}
prometheus::Gauge& Metrics::config_last_reload_success_timestamp_seconds() {
  return reload_ts_.Add({});
}

prometheus::Counter& Metrics::http_requests_total(const std::string& route,
                                                  const std::string& method, int code) {
  return http_requests_.Add({{"route", route}, {"method", method}, {"code", std::to_string(code)}});
}

prometheus::Histogram& Metrics::http_request_duration_seconds(const std::string& route,
                                                              const std::string& method) {
  return http_duration_.Add({{"route", route}, {"method", method}}, kHttpBuckets);
}

void Metrics::add_scrape_hook(std::function<void()> hook) {
  std::lock_guard lock(hooks_mu_);
  hooks_.push_back(std::move(hook));
}

std::string Metrics::serialize() {
  {
    std::lock_guard lock(hooks_mu_);
    for (const auto& hook : hooks_) {
      try {
        hook();
      } catch (const std::exception& e) {
        log::warn("metrics scrape hook failed", {{"error", e.what()}});
      }
    }
  }
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (const auto& d : described_) {
    const bool present = std::any_of(families.begin(), families.end(),
                                     [&](const auto& f) { return f.name == d.name; });
    if (!present) families.push_back(d);
  }
  try {
    for (auto& f : process_metrics()) families.push_back(std::move(f));
  } catch (const std::exception& e) {  // std::stod on an unexpected /proc format
    log::warn("process metrics unavailable", {{"error", e.what()}});
  }
  return prometheus::TextSerializer().Serialize(families);
}

std::optional<std::uint64_t> available_bytes(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace hypersdk::ops
