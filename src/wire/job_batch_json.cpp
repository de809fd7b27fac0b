#include "wire/job_batch_json.h"

#include <optional>

#include "wire/job_json.h"

namespace hypersdk::wire {
using nlohmann::json;

Result<std::vector<json>> job_batch_items(const json& body) {
  const json* list = &body;
  if (body.is_object()) {
    if (body.size() != 1 || !body.contains("jobs"))
      return make_error(ErrorClass::invalid,
                        "a batch is an array of job requests, or {\"jobs\": [...]} and nothing "
                        "else");
    list = &body["jobs"];
  }
  if (!list->is_array())
    return make_error(ErrorClass::invalid, "a batch is an array of job requests");
  if (list->empty()) return make_error(ErrorClass::invalid, "a batch needs at least one job");
  if (list->size() > kMaxBatchJobs)
    return make_error(ErrorClass::invalid, "a batch holds at most " +
                                               std::to_string(kMaxBatchJobs) + " jobs, not " +
                                               std::to_string(list->size()));
  return std::vector<json>(list->begin(), list->end());
}

json submit_job_batch(const std::vector<json>& items, const core::RetryPolicy& defaults,
                      const SubmitMany& submit_many) {
  std::vector<std::optional<Error>> refused(items.size());
  std::vector<core::JobSpec> specs;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto spec = items[i].is_object()
                    ? parse_job_request(items[i], defaults)
                    : Result<core::JobSpec>(
                          make_error(ErrorClass::invalid, "a job request must be a JSON object"));
    if (!spec) {
      refused[i] = spec.error();
      continue;
    }
    specs.push_back(std::move(*spec));
  }
  std::vector<Result<core::Job>> jobs;
  if (!specs.empty()) jobs = submit_many(specs);
  json results = json::array();
  std::size_t accepted = 0, k = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::optional<Error> err = refused[i];
    json entry;
    if (!err) {
      const auto& job = jobs.at(k++);
      if (job) {
        entry = {{"job", job_to_json(*job)}};
        ++accepted;
      } else {
        err = job.error();
      }
    }
    if (err)
      entry = {{"error", {{"code", std::string(to_string(err->cls))}, {"message", err->message}}}};
    results.push_back(std::move(entry));
  }
  return {{"results", std::move(results)},
          {"accepted", accepted},
          {"rejected", items.size() - accepted}};
}

}  // namespace hypersdk::wire
