// The `exec` job type: runs a command (an argv; a shell only when the payload asks and the
// config allows it), streaming stdout/stderr into the job's log. Exit status 0 succeeds;
// other codes map to error classes (default 75 = transient, retried); a timeout or operator
// cancel sends SIGTERM to the process group, then SIGKILL after `kill_grace`.
//
// Payload: {"argv": ["cmd", "arg"...]} or {"shell": "cmd | other"},
//          optional "env": {"K": "V"}, "cwd": "/dir".
// A workflow step's "inputs" (its upstreams' results, set by the store) are also given to the
// command as a JSON file, HYPERSDK_INPUTS_FILE, removed when the step ends.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "engine/handler.h"

namespace hypersdk::engine {

struct ExecConfig {
  bool allow_shell = false;
  std::chrono::milliseconds kill_grace{10'000};
  std::map<int, ErrorClass> exit_codes{{75, ErrorClass::transient}};
  // jobs.exec.allowed: when not empty, the only commands exec jobs may run. An entry ending
  // in '/' admits every program under that directory; any other entry admits exactly that
  // argv[0] ("/usr/local/bin/backup.sh", or a bare name looked up in PATH such as "rsync").
  // A shell job runs /bin/sh, so it needs "/bin/sh" here too.
  std::vector<std::string> allowed;
};

// Whether `program` (argv[0]) may run under `allowed` (see ExecConfig::allowed); a path with
// a ".." segment never matches a directory entry.
bool exec_command_allowed(const std::string& program, const std::vector<std::string>& allowed);

// Checks an exec payload at submit time, so a bad one is a 400, not a failed job.
Status validate_exec_payload(const std::string& payload_json, const ExecConfig& config);

class ExecHandler final : public Handler {
 public:
  explicit ExecHandler(ExecConfig config) : config_(std::move(config)) {}
  Result<std::string> run(JobContext& ctx) override;

 private:
  ExecConfig config_;
};

}  // namespace hypersdk::engine
