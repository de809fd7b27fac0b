#include "ops/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hypersdk::ops {
namespace {

ExitStatus decode(int raw) {
  ExitStatus s;
  if (WIFEXITED(raw)) s.code = WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) s.signal = WTERMSIG(raw);
  return s;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void close_pair(int fds[2]) {
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace

// Why a guard process between the server and the command: a command must not outlive a
// server that dies (kill -9, a crash), or a restarted server reruns the job beside it. The
// kernel's parent-death signal (PR_SET_PDEATHSIG) kills only the process that asked for it,
// not the command's own children, and a per-job cgroup or PID namespace needs privileges and
// a delegated hierarchy that a laptop install does not have. So the guard, forked by the
// server, leads a new process group, asks for kGuardParentDied when its parent dies, then
// forks and execs the command in its group. When the signal comes it SIGKILLs the whole
// group (the command and everything it started that stayed in the group). Otherwise it waits
// for the command and exits with the command's status (or dies of its signal), so to the
// server the guard looks like the command itself.
//
// The parent-death signal fires when the *thread* that forked exits, not the process: the
// spawning thread (a worker running the job's handler) waits for the guard and reaps it in
// ~ChildProcess, so it never exits while the guard lives.
//
// Between fork and exec only async-signal-safe calls are made (the server is multi-threaded);
// everything is prepared before the fork.
namespace {

constexpr int kGuardParentDied = SIGUSR2;

struct Prepared {
  std::string program;
  std::vector<std::string> env_strings;
  std::vector<char*> argv;
  std::vector<char*> envp;
  const char* cwd = nullptr;
};

void write_errno(int fd, int e) {
  ssize_t n;
  do {
    n = ::write(fd, &e, sizeof e);
  } while (n < 0 && errno == EINTR);
}

[[noreturn]] void relay_status(int raw) {
  if (WIFEXITED(raw)) ::_exit(WEXITSTATUS(raw));
  const int sig = WIFSIGNALED(raw) ? WTERMSIG(raw) : SIGKILL;
  rlimit none{0, 0};
  ::setrlimit(RLIMIT_CORE, &none);  // the command may have dumped core; the guard must not
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(sig, &dfl, nullptr);
  ::kill(::getpid(), sig);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  ::sigprocmask(SIG_UNBLOCK, &one, nullptr);
  ::_exit(128 + sig);
}

// The guard: runs in the forked child until the command ends or the server dies.
[[noreturn]] void run_guard(const Prepared& p, pid_t server, int out_w, int err_w, int status_w) {
  ::setpgid(0, 0);
  sigset_t blocked;
  sigemptyset(&blocked);
  for (int sig : {SIGCHLD, kGuardParentDied, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE})
    sigaddset(&blocked, sig);
  ::sigprocmask(SIG_SETMASK, &blocked, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  // Should a sandbox refuse prctl, the command still runs, only without this protection.
  ::prctl(PR_SET_PDEATHSIG, kGuardParentDied);
  if (::getppid() != server) ::_exit(127);  // the server died before the line above

  // stdin /dev/null, stdout/stderr the pipes, fd 3 the exec-status pipe; nothing else of the
  // server's (its sockets and database files) is inherited.
  const int o = ::fcntl(out_w, F_DUPFD, 10);
  const int e = ::fcntl(err_w, F_DUPFD, 10);
  const int st = ::fcntl(status_w, F_DUPFD, 10);
  const int null = ::open("/dev/null", O_RDONLY);
  if (o < 0 || e < 0 || st < 0 || null < 0) ::_exit(127);
  ::dup2(null, 0);
  ::dup2(o, 1);
  ::dup2(e, 2);
  ::dup2(st, 3);
  if (::syscall(SYS_close_range, 4U, ~0U, 0U) != 0)
    for (int fd = 4; fd < 4096; ++fd) ::close(fd);
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
  if (p.cwd && ::chdir(p.cwd) != 0) {
    write_errno(3, errno);
    ::_exit(127);
  }

  const pid_t command = ::fork();
  if (command < 0) {
    write_errno(3, errno);
    ::_exit(127);
  }
  if (command == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(p.program.c_str(), p.argv.data(), p.envp.data());
    write_errno(3, errno);
    ::_exit(127);
  }
  ::close(3);

  sigset_t wake;
  sigemptyset(&wake);
  sigaddset(&wake, SIGCHLD);
  sigaddset(&wake, kGuardParentDied);
  for (;;) {
    const int sig = ::sigwaitinfo(&wake, nullptr);
    if (sig == kGuardParentDied && ::getppid() != server) {
      ::kill(0, SIGKILL);  // the whole group, this guard included
      ::_exit(137);
    }
    int raw = 0;
    if (sig == SIGCHLD && ::waitpid(command, &raw, WNOHANG) == command) relay_status(raw);
  }
}

}  // namespace

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& opts) {
  if (opts.argv.empty() || opts.argv[0].empty())
    return make_error(ErrorClass::invalid, "no command given");
  Prepared p;
  // Resolved with the child's PATH, not the server's.
  p.program = opts.argv[0];
  if (p.program.find('/') == std::string::npos) {
    auto it = opts.env.find("PATH");
    std::string path = it != opts.env.end() ? it->second : "/usr/local/bin:/usr/bin:/bin";
    std::size_t start = 0;
    std::string found;
    while (start <= path.size()) {
      auto end = path.find(':', start);
      if (end == std::string::npos) end = path.size();
      std::string candidate = path.substr(start, end - start) + "/" + p.program;
      if (::access(candidate.c_str(), X_OK) == 0) {
        found = candidate;
        break;
      }
      start = end + 1;
    }
    if (found.empty())
      return make_error(ErrorClass::invalid,
                        "cannot run '" + opts.argv[0] + "': " + std::strerror(ENOENT));
    p.program = found;
  }
  for (const auto& a : opts.argv) p.argv.push_back(const_cast<char*>(a.c_str()));
  p.argv.push_back(nullptr);
  for (const auto& [k, v] : opts.env) p.env_strings.push_back(k + "=" + v);
  for (auto& e : p.env_strings) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  if (!opts.cwd.empty()) p.cwd = opts.cwd.c_str();

  int out[2], err[2], status[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return make_error(ErrorClass::internal, "pipe failed");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    close_pair(out);
    return make_error(ErrorClass::internal, "pipe failed");
  }
  if (::pipe2(status, O_CLOEXEC) != 0) {
    close_pair(out);
    close_pair(err);
    return make_error(ErrorClass::internal, "pipe failed");
  }
  const pid_t server = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) run_guard(p, server, out[1], err[1], status[1]);
  const int fork_errno = errno;
  ::close(out[1]);
  ::close(err[1]);
  ::close(status[1]);
  if (pid < 0) {
    ::close(out[0]);
    ::close(err[0]);
    ::close(status[0]);
    return make_error(ErrorClass::internal,
                      "cannot run '" + opts.argv[0] + "': fork: " + std::strerror(fork_errno));
  }
  ::setpgid(pid, pid);  // also done by the guard: whichever runs first, signal_group works
  // The status pipe closes on the command's exec (close-on-exec), or carries the errno of
  // what failed before it.
  int exec_errno = 0;
  std::size_t got = 0;
  while (got < sizeof exec_errno) {
    ssize_t n =
        ::read(status[0], reinterpret_cast<char*>(&exec_errno) + got, sizeof exec_errno - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(status[0]);
  if (got == sizeof exec_errno) {
    ChildProcess failed(pid, out[0], err[0]);
    failed.wait();
    return make_error(exec_errno == ENOENT || exec_errno == EACCES || exec_errno == ENOTDIR
                          ? ErrorClass::invalid
                          : ErrorClass::internal,
                      "cannot run '" + opts.argv[0] + "': " + std::strerror(exec_errno));
  }
  return ChildProcess(pid, out[0], err[0]);
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(o.pid_), out_fd_(o.out_fd_), err_fd_(o.err_fd_), status_(o.status_) {
  o.pid_ = -1;
  o.out_fd_ = -1;
  o.err_fd_ = -1;
}

ChildProcess::~ChildProcess() {
  close_fd(out_fd_);
  close_fd(err_fd_);
  if (pid_ > 0 && !status_) {
    signal_group(SIGKILL);
    wait();
  }
}

void ChildProcess::close_stdout() {
  close_fd(out_fd_);
}
void ChildProcess::close_stderr() {
  close_fd(err_fd_);
}

void ChildProcess::signal_group(int sig) {
  if (pid_ > 0 && !status_) ::kill(-pid_, sig);
}

std::optional<ExitStatus> ChildProcess::try_wait() {
  if (status_ || pid_ <= 0) return status_;
  int raw = 0;
  pid_t r = ::waitpid(pid_, &raw, WNOHANG);
  if (r == pid_) status_ = decode(raw);
  return status_;
}

ExitStatus ChildProcess::wait() {
  if (status_ || pid_ <= 0) return status_.value_or(ExitStatus{});
  int raw = 0;
  while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
  }
  status_ = decode(raw);
  return *status_;
}

}  // namespace hypersdk::ops
