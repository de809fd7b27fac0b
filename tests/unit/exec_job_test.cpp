// The exec handler with real processes: output, exit-code classes, the environment, timeout
// (SIGTERM, then SIGKILL after the grace), cancel, and a process tree that dies with the
// process that started it.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/exec_job.h"
#include "ops/process.h"
#include "test_support.h"

using namespace hypersdk;
using namespace std::chrono_literals;

namespace {

struct Run {
  Result<std::string> result = std::string();
  std::vector<std::pair<std::string, std::string>> lines;  // (stream, line)
  bool has(const std::string& stream, const std::string& needle) const {
    for (const auto& [s, l] : lines)
      if (s == stream && l.find(needle) != std::string::npos) return true;
    return false;
  }
};

struct ExecFixture {
  engine::SystemClock clock;
  engine::ExecConfig config;
  engine::CancelToken cancel;
  std::mutex mu;
  Run out;

  Run run(const std::vector<std::string>& argv,
          engine::SteadyTime deadline = engine::SteadyTime::max()) {
    core::Job job;
    job.id = 42;
    job.attempt = 2;
    job.spec.type = "exec";
    job.spec.payload = nlohmann::json{{"argv", argv}}.dump();
    engine::JobContext ctx{job,
                           cancel,
                           deadline,
                           [this](std::string_view stream, std::string_view line) {
                             std::lock_guard lock(mu);
                             out.lines.emplace_back(std::string(stream), std::string(line));
                           },
                           {},
                           clock};
    engine::ExecHandler handler(config);
    out.result = handler.run(ctx);
    std::lock_guard lock(mu);
    return out;
  }
  bool saw(const std::string& stream, const std::string& needle) {
    std::lock_guard lock(mu);
    return out.has(stream, needle);
  }
};

// A process that is gone, or a zombie nobody reaped yet (it no longer runs).
bool process_gone(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (stat.empty()) return true;
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

pid_t read_pid(const std::string& path) {
  for (int i = 0; i < 1000; ++i) {
    std::ifstream in(path);
    pid_t pid = 0;
    if (in >> pid && pid > 0) return pid;
    std::this_thread::sleep_for(10ms);
  }
  return 0;
}

}  // namespace

TEST_CASE("exec: output lines, exit 0 succeeds, the job's identity is in the environment") {
  ExecFixture f;
  auto r = f.run({"/bin/sh", "-c",
                  "echo out-$HYPERSDK_JOB_ID-$HYPERSDK_JOB_ATTEMPT; echo err >&2; "
                  "echo key-$HYPERSDK_IDEMPOTENCY_KEY"});
  REQUIRE(r.result.ok());
  CHECK(nlohmann::json::parse(r.result.value())["exit_code"] == 0);
  CHECK(r.has("stdout", "out-j-42-2"));
  CHECK(r.has("stdout", "key-j-42"));
  CHECK(r.has("stderr", "err"));
}

TEST_CASE("exec: exit codes map to error classes (75 transient, others internal)") {
  ExecFixture f;
  auto temp = f.run({"/bin/sh", "-c", "exit 75"});
  REQUIRE_FALSE(temp.result.ok());
  CHECK(temp.result.error().cls == ErrorClass::transient);
  ExecFixture g;
  auto other = g.run({"/bin/sh", "-c", "exit 3"});
  REQUIRE_FALSE(other.result.ok());
  CHECK(other.result.error().cls == ErrorClass::internal);
  CHECK(other.result.error().message.find("status 3") != std::string::npos);
}

TEST_CASE("exec: a command that cannot start is an invalid job, not a crash") {
  ExecFixture f;
  auto r = f.run({"/nonexistent/command"});
  REQUIRE_FALSE(r.result.ok());
  CHECK(r.result.error().cls == ErrorClass::invalid);
  CHECK(r.result.error().message.find("cannot run") != std::string::npos);
}

TEST_CASE("exec: at the deadline SIGTERM, then SIGKILL after the grace, and a timeout error") {
  ExecFixture f;
  f.config.kill_grace = 300ms;
  const auto start = std::chrono::steady_clock::now();
  auto r = f.run({"/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"},
                 start + 300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.result.ok());
  CHECK(r.result.error().cls == ErrorClass::timeout);
  CHECK(r.has("system", "SIGTERM"));
  CHECK(r.has("system", "SIGKILL"));
  CHECK(took >= 600ms);
  CHECK(took < 10s);
}

TEST_CASE("exec: a cancel stops the command and its children") {
  ExecFixture f;
  test::TempDir dir;
  const std::string pidfile = dir.file("child.pid");
  pid_t child = 0;
  std::thread canceller([&] {
    child = read_pid(pidfile);
    f.cancel.cancel(engine::CancelReason::operator_request);
  });
  auto r = f.run({"/bin/sh", "-c", "sleep 60 & echo $! > " + pidfile + "; wait"});
  canceller.join();
  REQUIRE_FALSE(r.result.ok());
  CHECK(r.result.error().cls == ErrorClass::cancelled);
  REQUIRE(child > 0);
  bool gone = false;
  for (int i = 0; i < 500 && !(gone = process_gone(child)); ++i) std::this_thread::sleep_for(10ms);
  CHECK(gone);
}

TEST_CASE("exec: the command's process tree dies with the process that started it (kill -9)") {
  test::TempDir dir;
  const std::string pidfile = dir.file("grandchild.pid");
  // A stand-in for serve: starts the command, then is killed without any cleanup.
  const pid_t server = ::fork();
  REQUIRE(server >= 0);
  if (server == 0) {
    auto spawned = ops::ChildProcess::spawn(
        {{"/bin/sh", "-c", "sleep 60 & echo $! > " + pidfile + "; wait"}, {}, ""});
    if (!spawned) ::_exit(3);
    // Keep the ChildProcess alive (no destructor runs) and die as kill -9 would kill serve.
    new ops::ChildProcess(std::move(spawned.value()));
    for (int i = 0; i < 1000; ++i) {
      std::ifstream in(pidfile);
      pid_t p = 0;
      if (in >> p && p > 0) break;
      std::this_thread::sleep_for(10ms);
    }
    ::kill(::getpid(), SIGKILL);
    ::_exit(4);
  }
  int raw = 0;
  REQUIRE(::waitpid(server, &raw, 0) == server);
  REQUIRE(WIFSIGNALED(raw));
  const pid_t grandchild = read_pid(pidfile);
  REQUIRE(grandchild > 0);
  bool gone = false;
  for (int i = 0; i < 500 && !(gone = process_gone(grandchild)); ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(gone);
  if (!gone) ::kill(grandchild, SIGKILL);
}
