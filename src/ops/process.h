// Child processes without a shell: spawn an argv with its own environment, working directory,
// process group and pipes for stdout/stderr; signal the whole group; reap. The process group
// dies with the thread that spawned it (a guard process kills it when that thread or the
// whole process exits, kill -9 included; see process.cpp), so no command outlives its server.
// Thread safety: a ChildProcess is owned by one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace hypersdk::ops {

struct SpawnOptions {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH when it has no '/'
  std::map<std::string, std::string> env;  // the complete environment of the child
  std::string cwd;                         // empty = inherit
};

struct ExitStatus {
  int code = -1;   // exit code when exited normally
  int signal = 0;  // terminating signal, or 0
};

class ChildProcess {
 public:
  static Result<ChildProcess> spawn(const SpawnOptions& opts);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();  // kills the group and reaps if still running

  // The guard's pid, which is also the process group of the command and its children.
  pid_t pid() const { return pid_; }
  int stdout_fd() const { return out_fd_; }
  int stderr_fd() const { return err_fd_; }
  void close_stdout();
  void close_stderr();
  // Sends `sig` to the child's process group.
  void signal_group(int sig);
  // Non-blocking reap; the status once the child has exited.
  std::optional<ExitStatus> try_wait();
  ExitStatus wait();

 private:
  ChildProcess(pid_t pid, int out_fd, int err_fd) : pid_(pid), out_fd_(out_fd), err_fd_(err_fd) {}
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::optional<ExitStatus> status_;
};

// Splits bytes read from a pipe into lines; keeps the unfinished tail for the next read.
class LineSplitter {
 public:
  template <typename F>
  void feed(std::string_view data, F&& on_line) {
    buf_.append(data);
    std::size_t start = 0;
    for (std::size_t nl; (nl = buf_.find('\n', start)) != std::string::npos; start = nl + 1)
      on_line(std::string_view(buf_).substr(start, nl - start));
    buf_.erase(0, start);
  }
  template <typename F>
  void finish(F&& on_line) {
    if (!buf_.empty()) on_line(std::string_view(buf_));
    buf_.clear();
  }

 private:
  std::string buf_;
};

}  // namespace hypersdk::ops
