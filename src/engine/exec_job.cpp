#include "engine/exec_job.h"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ops/process.h"

extern char** environ;

namespace hypersdk::engine {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// How long output is still read after the command exited (see run()).
constexpr auto kOutputDrainAfterExit = milliseconds(1000);

// Variables a command inherits from the server; everything else must be given in "env", so
// the server's secrets never leak into jobs.
constexpr const char* kInherited[] = {"PATH", "HOME",   "USER", "LOGNAME",
                                      "LANG", "LC_ALL", "TZ",   "TMPDIR"};

struct ExecRequest {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string cwd;
  std::optional<std::string> inputs;  // a workflow step's upstream results (JSON object)
};

// A workflow step's inputs as a private file for the command (HYPERSDK_INPUTS_FILE): created
// before the spawn, removed when the step ends, whatever the outcome. Environment variables
// hold the same, but a file has no size limit (ARG_MAX) and suits `jq`.
class InputsFile {
 public:
  InputsFile() = default;
  InputsFile(const InputsFile&) = delete;
  InputsFile& operator=(const InputsFile&) = delete;
  ~InputsFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  // Writes `text` to a new file (mode 0600) in $TMPDIR or /tmp. Errors: internal.
  Status create(const core::Job& job, const std::string& text) {
    const char* tmp = std::getenv("TMPDIR");
    std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/hypersdk-inputs-" +
                       core::format_job_id(job.id) + "-XXXXXX";
    int fd = ::mkstemp(path.data());  // mode 0600
    if (fd < 0)
      return make_error(ErrorClass::internal,
                        "cannot create the step's inputs file " + path + ": " + strerror(errno));
    path_ = path;
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const std::string why = strerror(errno);
        ::close(fd);
        return make_error(ErrorClass::internal, "cannot write " + path_ + ": " + why);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0)
      return make_error(ErrorClass::internal, "cannot write " + path_ + ": " + strerror(errno));
    return Status::Ok();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

bool exec_command_allowed(const std::string& program, const std::vector<std::string>& allowed) {
  const bool climbs = program.find("/../") != std::string::npos || program.starts_with("../") ||
                      program.ends_with("/..");
  for (const auto& entry : allowed) {
    if (entry.empty()) continue;
    if (entry.back() != '/') {
      if (program == entry) return true;
    } else if (entry.front() == '/' && !climbs && program.starts_with(entry) &&
               program.size() > entry.size()) {
      return true;
    }
  }
  return false;
}

namespace {

Result<ExecRequest> parse_request(const std::string& payload, const ExecConfig& config) {
  auto j = json::parse(payload, nullptr, false);
  if (!j.is_object()) return make_error(ErrorClass::invalid, "exec payload must be a JSON object");
  ExecRequest req;
  if (j.contains("argv")) {
    if (!j["argv"].is_array() || j["argv"].empty())
      return make_error(ErrorClass::invalid, "exec payload: \"argv\" must be a non-empty array");
    for (const auto& a : j["argv"]) {
      if (!a.is_string())
        return make_error(ErrorClass::invalid, "exec payload: every argv item must be a string");
      req.argv.push_back(a.get<std::string>());
    }
  } else if (j.contains("shell")) {
    if (!config.allow_shell)
      return make_error(ErrorClass::invalid,
                        "exec payload asks for a shell, which the config forbids: pass an argv, "
                        "or set jobs.exec.allow_shell=true");
    if (!j["shell"].is_string() || j["shell"].get<std::string>().empty())
      return make_error(ErrorClass::invalid, "exec payload: \"shell\" must be a command string");
    req.argv = {"/bin/sh", "-c", j["shell"].get<std::string>()};
  } else {
    return make_error(ErrorClass::invalid, "exec payload needs \"argv\" (or \"shell\")");
  }
  if (!config.allowed.empty() && !exec_command_allowed(req.argv.front(), config.allowed))
    return make_error(ErrorClass::invalid,
                      "exec payload: '" + req.argv.front() +
                          "' is not among the commands jobs.exec.allowed permits");
  if (j.contains("env")) {
    if (!j["env"].is_object())
      return make_error(ErrorClass::invalid, "exec payload: \"env\" must be an object");
    for (const auto& [k, v] : j["env"].items()) {
      if (!v.is_string() || k.empty() || k.find('=') != std::string::npos)
        return make_error(ErrorClass::invalid, "exec payload: bad env entry '" + k + "'");
      req.env[k] = v.get<std::string>();
    }
  }
  if (j.contains("cwd")) {
    if (!j["cwd"].is_string())
      return make_error(ErrorClass::invalid, "exec payload: \"cwd\" must be a string");
    req.cwd = j["cwd"].get<std::string>();
  }
  if (j.contains("inputs")) {
    if (!j["inputs"].is_object())
      return make_error(ErrorClass::invalid, "exec payload: \"inputs\" must be an object");
    req.inputs = j["inputs"].dump();
  }
  return req;
}

std::map<std::string, std::string> child_env(const ExecRequest& req, const core::Job& job) {
  std::map<std::string, std::string> env;
  for (const char* name : kInherited)
    if (const char* v = std::getenv(name)) env[name] = v;
  if (!env.count("PATH")) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& [k, v] : req.env) env[k] = v;
  env["HYPERSDK_JOB_ID"] = core::format_job_id(job.id);
  env["HYPERSDK_JOB_ATTEMPT"] = std::to_string(job.attempt);
  // Stable across attempts: a command can use it to make its effect idempotent.
  env["HYPERSDK_IDEMPOTENCY_KEY"] =
      job.spec.idempotency_key.empty() ? core::format_job_id(job.id) : job.spec.idempotency_key;
  return env;
}

}  // namespace

Status validate_exec_payload(const std::string& payload_json, const ExecConfig& config) {
  auto r = parse_request(payload_json, config);
  if (!r) return r.error();
  return Status::Ok();
}

Result<std::string> ExecHandler::run(JobContext& ctx) {
  auto req = parse_request(ctx.job.spec.payload, config_);
  if (!req) return req.error();
  auto env = child_env(*req, ctx.job);
  InputsFile inputs;
  if (req->inputs) {
    if (Status st = inputs.create(ctx.job, *req->inputs); !st.ok()) return st.error();
    env["HYPERSDK_INPUTS_FILE"] = inputs.path();
  }
  auto spawned = ops::ChildProcess::spawn({req->argv, env, req->cwd});
  if (!spawned) return spawned.error();
  ops::ChildProcess& child = spawned.value();
  ctx.log("system", "started pid " + std::to_string(child.pid()) + ": " + req->argv[0]);

  ops::LineSplitter out_lines, err_lines;
  auto emit_out = [&](std::string_view l) { ctx.log("stdout", l); };
  auto emit_err = [&](std::string_view l) { ctx.log("stderr", l); };
  const Clock& clock = ctx.clock;
  std::optional<SteadyTime> term_sent, exited_at;
  bool kill_sent = false;
  char buf[8192];
  for (;;) {
    pollfd fds[2];
    int n = 0;
    if (child.stdout_fd() >= 0) fds[n++] = {child.stdout_fd(), POLLIN, 0};
    if (child.stderr_fd() >= 0) fds[n++] = {child.stderr_fd(), POLLIN, 0};
    if (n == 0) {
      if (child.try_wait()) break;
      clock.sleep_for(milliseconds(20));  // pipes closed (the command closed them), it runs
    } else {
      ::poll(fds, n, 100);
    }
    for (int i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const bool is_out = fds[i].fd == child.stdout_fd();
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        if (is_out)
          out_lines.feed({buf, static_cast<std::size_t>(got)}, emit_out);
        else
          err_lines.feed({buf, static_cast<std::size_t>(got)}, emit_err);
      } else if (got == 0) {
        is_out ? child.close_stdout() : child.close_stderr();
      }
    }
    const bool stop_wanted = ctx.cancel.cancelled() || clock.steady_now() >= ctx.deadline;
    if (stop_wanted && !term_sent) {
      if (!ctx.cancel.cancelled()) ctx.cancel.cancel(CancelReason::timeout);
      ctx.log("system", "stopping: sending SIGTERM to the process group");
      child.signal_group(SIGTERM);
      term_sent = clock.steady_now();
    }
    if (term_sent && !kill_sent && clock.steady_now() - *term_sent >= config_.kill_grace) {
      ctx.log("system", "still running after the grace period: sending SIGKILL");
      child.signal_group(SIGKILL);
      kill_sent = true;
    }
    if (n == 0 && child.try_wait()) break;
    // The command is done but something it started in the background still holds its
    // output (`daemon &`). As under cron, that process is left to run; the job ends with the
    // command, after its last output had a moment to arrive.
    if (!exited_at && child.try_wait()) exited_at = clock.steady_now();
    if (exited_at && clock.steady_now() - *exited_at >= kOutputDrainAfterExit) {
      ctx.log("system",
              "the command exited; a process it left running still holds its output, which is "
              "no longer read");
      child.close_stdout();
      child.close_stderr();
      break;
    }
  }
  out_lines.finish(emit_out);
  err_lines.finish(emit_err);
  const ops::ExitStatus st = child.wait();

  if (ctx.cancel.cancelled())
    return make_error(
        ctx.cancel.reason() == CancelReason::timeout ? ErrorClass::timeout : ErrorClass::cancelled,
        "command stopped");
  if (st.signal != 0)
    return make_error(ErrorClass::internal,
                      "command killed by signal " + std::to_string(st.signal));
  if (st.code == 0) return json{{"exit_code", 0}}.dump();
  auto it = config_.exit_codes.find(st.code);
  const ErrorClass cls = it != config_.exit_codes.end() ? it->second : ErrorClass::internal;
  return make_error(cls, "command exited with status " + std::to_string(st.code));
}

}  // namespace hypersdk::engine
