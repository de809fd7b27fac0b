#include "cli/cli_model.h"

#include "core/backoff.h"
#include "core/job.h"
#include "core/schedule.h"
#include "engine/job_service.h"

namespace hypersdk::cli {
namespace {

std::vector<std::string> job_statuses() {
  std::vector<std::string> out;
  for (auto s : {core::JobStatus::waiting, core::JobStatus::queued, core::JobStatus::running,
                 core::JobStatus::retrying, core::JobStatus::succeeded, core::JobStatus::failed,
                 core::JobStatus::cancelled, core::JobStatus::upstream_failed})
    out.emplace_back(core::to_string(s));
  return out;
}

// The values of a flag, by its long name and the command it belongs to. The CLI's flags are
// strings parsed later (so their errors can name the rule), so CLI11 does not know these sets.
void enumerate(const std::string& command, const std::string& parent, CliOption& o) {
  const std::string& n = o.names.front();
  if (n == "--status") {
    o.values = job_statuses();
  } else if (n == "--type") {
    const auto types = engine::AdmissionPolicy{}.known_types;
    o.values.assign(types.begin(), types.end());
  } else if (n == "--retry-backoff") {
    for (auto k :
         {core::BackoffKind::exponential, core::BackoffKind::linear, core::BackoffKind::fixed})
      o.values.emplace_back(core::to_string(k));
  } else if (n == "--overlap") {
    for (auto p : {core::OverlapPolicy::skip, core::OverlapPolicy::buffer_one,
                   core::OverlapPolicy::allow, core::OverlapPolicy::cancel_other})
      o.values.emplace_back(core::to_string(p));
  } else if (n == "--catchup") {
    for (auto p :
         {core::CatchupPolicy::none, core::CatchupPolicy::latest, core::CatchupPolicy::all})
      o.values.emplace_back(core::to_string(p));
  } else if (n == "--dst-gap") {
    o.values = {"shift", "skip"};
  } else if (n == "--dst-fold") {
    o.values = {"auto", "first", "both"};
  } else if (n == "--window-close") {
    o.values = {"let_finish", "cancel"};
  } else if (n == "--config" || n == "--db" || n == "--file" || n == "--test-clock-file") {
    o.dynamic = "file";
  } else if (n == "--name" && parent == "schedule" && command != "create" && command != "list") {
    o.dynamic = "schedules";  // an existing schedule (create names a new one, list a glob)
  }
}

CliCommand describe(const CLI::App& app, const std::string& parent) {
  CliCommand c;
  c.name = app.get_name();
  c.description = app.get_description();
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    CliOption o;
    for (const auto& l : opt->get_lnames()) o.names.push_back("--" + l);
    for (const auto& s : opt->get_snames()) o.names.push_back("-" + s);
    o.positional = o.names.empty();
    if (o.positional) o.names.push_back(opt->get_name());
    // Long names first (the completion offers them), then short ones.
    o.description = opt->get_description();
    o.takes_value = opt->get_expected_max() > 0;  // flags expect no value
    if (!o.positional) enumerate(c.name, parent, o);
    c.options.push_back(std::move(o));
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* a) {
         return !a->get_group().empty();  // hidden subcommands (helpers) stay out
       }))
    c.subcommands.push_back(describe(*sub, c.name));
  return c;
}

}  // namespace

CliCommand describe_cli(const CLI::App& app) {
  CliCommand root = describe(app, "");
  root.name = "hypersdk";
  return root;
}

}  // namespace hypersdk::cli
