#include "engine/job_batch.h"

#include "engine/job_events_log.h"

namespace hypersdk::engine {

std::vector<Result<core::Job>> submit_many(JobService& jobs,
                                           const std::vector<core::JobSpec>& specs) {
  std::vector<Result<core::Job>> answers;
  answers.reserve(specs.size());
  std::vector<core::JobSpec> admitted;
  std::vector<std::size_t> where;  // the answer of each admitted spec
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto a = jobs.admit(specs[i]);
    if (!a) {
      answers.emplace_back(a.error());
      continue;
    }
    answers.emplace_back(make_error(ErrorClass::internal, "not submitted"));  // set below
    admitted.push_back(std::move(*a));
    where.push_back(i);
  }
  if (admitted.empty()) return answers;
  auto queued = jobs.store().job_enqueue_many(admitted, jobs.now());
  for (std::size_t k = 0; k < where.size(); ++k) {
    if (!queued) {
      answers[where[k]] = queued.error();
      continue;
    }
    log_job_admitted((*queued)[k], "queued");
    answers[where[k]] = std::move((*queued)[k]);
  }
  if (queued) jobs.notify_change();
  return answers;
}

}  // namespace hypersdk::engine
