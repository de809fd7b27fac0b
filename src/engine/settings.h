// Translation of the effective configuration into the options of each engine part. The
// only place that knows which config key feeds which knob.
#pragma once

#include <filesystem>
#include <string>

#include "engine/job_service.h"
#include "engine/scheduler.h"
#include "engine/worker_pool.h"
#include "ops/config.h"
#include "store/database.h"

namespace hypersdk::engine {

// REQUIRES: db_path already resolved (ops::resolve_db_path).
store::DatabaseOptions database_options(const ops::Config& c, const std::string& db_path);
core::RetryPolicy default_retry_policy(const ops::Config& c);
ExecConfig exec_config(const ops::Config& c);
AdmissionPolicy admission_policy(const ops::Config& c);
WorkerPoolConfig worker_pool_config(const ops::Config& c, std::string owner);
SchedulerConfig scheduler_config(const ops::Config& c);
// export.dir, or exports/ beside the database when it is empty.
std::filesystem::path export_dir(const ops::Config& c, const std::string& db_path);

}  // namespace hypersdk::engine
