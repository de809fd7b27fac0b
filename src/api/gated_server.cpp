#include "api/gated_server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "api/request_id.h"
#include "ops/log.h"

// httplib::Server::process_and_close_socket is a private virtual: overriding it is allowed,
// calling the base version from the override is not. The library is Debian's compiled
// libcpp-httplib 0.11, so its definition is called by its symbol (Itanium ABI: `this` first).
// A renamed symbol fails the link, never silently.
bool httplib_server_process_and_close_socket(httplib::Server* self, socket_t sock) __asm__(
    "_ZN7httplib6Server24process_and_close_socketEi");

namespace hypersdk::api {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeadBytes = 64 * 1024;  // past this httplib rejects the request itself

// The Content-Length of a complete head, or 0 when it has none (or an unreadable one: httplib
// answers that).
std::size_t content_length(std::string_view head) {
  std::size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    constexpr std::string_view kName = "content-length:";
    if (head.size() - pos < kName.size()) break;
    bool match = true;
    for (std::size_t i = 0; i < kName.size() && match; ++i)
      match = std::tolower(static_cast<unsigned char>(head[pos + i])) == kName[i];
    if (!match) continue;
    std::size_t i = pos + kName.size(), n = 0;
    while (i < head.size() && head[i] == ' ') ++i;
    for (; i < head.size() && std::isdigit(static_cast<unsigned char>(head[i])); ++i) {
      n = n * 10 + static_cast<std::size_t>(head[i] - '0');
      if (n > kGateBodyBytes) return n;  // large: handed over after the head anyway
    }
    return n;
  }
  return 0;
}

bool is_probe(std::string_view head) {
  for (std::string_view path : {"GET /api/v1/health", "GET /api/v1/ready"})
    if (head.substr(0, path.size()) == path && head.size() > path.size() &&
        (head[path.size()] == ' ' || head[path.size()] == '?'))
      return true;
  return false;
}

}  // namespace

GatedServer::GatedServer(Options options) : options_(options) {
  requests_ = std::make_unique<httplib::ThreadPool>(std::max(1, options_.threads));
  probes_ = std::make_unique<httplib::ThreadPool>(std::max(1, options_.probe_threads));
  // Tasks run inline on the listen thread: the only task is process_and_close_socket below,
  // which returns at once.
  struct Inline : httplib::TaskQueue {
    void enqueue(std::function<void()> fn) override { fn(); }
    void shutdown() override {}
  };
  new_task_queue = [] { return new Inline; };
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
  gate_ = std::thread([this] { run(); });
}

GatedServer::~GatedServer() {
  shutdown_gate();
}

void GatedServer::shutdown_gate() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !gate_.joinable()) return;
    stopping_ = true;
  }
  if (wake_[1] >= 0) {
    [[maybe_unused]] auto n = ::write(wake_[1], "x", 1);
  }
  if (gate_.joinable()) gate_.join();
  if (requests_) requests_->shutdown();
  if (probes_) probes_->shutdown();
  requests_.reset();
  probes_.reset();
  for (int& fd : wake_)
    if (fd >= 0) ::close(fd), fd = -1;
}

bool GatedServer::process_and_close_socket(socket_t sock) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && wake_[1] >= 0) {
      incoming_.push_back(sock);
      sock = -1;
    }
  }
  if (sock >= 0) {  // shutting down
    ::close(sock);
    return false;
  }
  [[maybe_unused]] auto n = ::write(wake_[1], "x", 1);
  return true;
}

GatedServer::Verdict GatedServer::inspect(const Pending& p, std::string_view* peeked) const {
  thread_local std::string buf;
  buf.resize(kMaxHeadBytes + kGateBodyBytes);
  if (peeked) *peeked = {};
  const ssize_t n = ::recv(p.fd, buf.data(), buf.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return Verdict::closed;  // closed before sending anything
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? Verdict::wait : Verdict::closed;
  const std::string_view data(buf.data(), static_cast<std::size_t>(n));
  if (peeked) *peeked = data;
  const Verdict ready = is_probe(data) ? Verdict::probe : Verdict::request;
  const auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos)
    return data.size() >= kMaxHeadBytes ? ready : Verdict::wait;  // httplib answers "too large"
  const std::size_t body = content_length(data.substr(0, end + 2));
  return body > kGateBodyBytes || data.size() >= end + 4 + body ? ready : Verdict::wait;
}

void GatedServer::watch_output(socket_t fd, bool on) const {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (on ? EPOLLOUT : 0u);
  ev.data.fd = fd;
  if (ep_ >= 0) ::epoll_ctl(ep_, EPOLL_CTL_MOD, fd, &ev);
}

GatedServer::Verdict GatedServer::examine(Pending& p) {
  if (!p.unsent.empty()) {
    const ssize_t n = ::send(p.fd, p.unsent.data(), p.unsent.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return Verdict::closed;
    if (n > 0) p.unsent.erase(0, static_cast<std::size_t>(n));
    if (!p.unsent.empty()) return Verdict::wait;  // the next EPOLLOUT brings us back
    watch_output(p.fd, false);
    if (p.close_after) return Verdict::closed;
    p.idle = true;
    p.deadline = Clock::now() + std::chrono::seconds(kKeepAliveSeconds);
    // Requests pipelined meanwhile raised their edge long ago: look at them now.
  }
  for (;;) {
    std::string_view data;
    const Verdict v = inspect(p, &data);
    if (v == Verdict::wait && !data.empty() && p.idle) {
      // The next request has begun: it gets the time a new connection's first one gets.
      p.idle = false;
      p.deadline = Clock::now() + options_.head_timeout;
    }
    if (v != Verdict::probe || options_.inline_health == nullptr) return v;
    const auto req = parse_inline_health(data);
    if (!req) return v;
    const bool last = p.answered + 1 >= kKeepAliveMaxCount;
    auto answer =
        options_.inline_health->answer(*req, last, [fd = p.fd] { return peer_address(fd); });
    if (!answer) return v;
    const bool all_read = data.size() == req->length;
    // Read exactly this request (its bytes were peeked, so they are in the socket): a
    // pipelined next request stays there for the next turn or for httplib.
    char sink[1024];
    for (std::size_t left = req->length; left > 0;) {
      const ssize_t n = ::recv(p.fd, sink, std::min(left, sizeof sink), MSG_DONTWAIT);
      if (n <= 0) return Verdict::closed;
      left -= static_cast<std::size_t>(n);
    }
    ++p.answered;
    const bool close = req->close || last;
    const ssize_t sent = ::send(p.fd, answer->data(), answer->size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return Verdict::closed;
    const auto done = static_cast<std::size_t>(std::max<ssize_t>(sent, 0));
    if (done < answer->size()) {
      // The client does not read its answers (it pipelines faster than it reads): the gate
      // must not block on it, so the rest waits for the socket to drain, with head_timeout
      // to do so, and nothing more is read from this client meanwhile.
      p.unsent = answer->substr(done);
      p.close_after = close;
      p.idle = false;
      p.deadline = Clock::now() + options_.head_timeout;
      watch_output(p.fd, true);
      ops::log::debug("HTTP client slow to read its answers; the rest waits",
                      {{"unsent_bytes", p.unsent.size()}});
      return Verdict::wait;
    }
    if (close) return Verdict::closed;
    p.idle = true;
    p.deadline = Clock::now() + std::chrono::seconds(kKeepAliveSeconds);
    // Everything peeked was this request: new bytes raise a new edge, no need to look again.
    if (all_read) return Verdict::wait;
  }
}

void GatedServer::reject_slow(socket_t fd) const {
  const std::string id = generate_request_id();
  const std::string body = nlohmann::json{
      {"error",
       {{"code", "timeout"},
        {"message", "the request was not received within " +
                        std::to_string(options_.head_timeout.count()) + " ms"},
        {"request_id", id}}}}.dump();
  const std::string answer =
      "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nConnection: "
      "close\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n"
      "Cache-Control: no-store\r\nContent-Security-Policy: default-src 'none'\r\nX-Request-ID: " +
      id + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  [[maybe_unused]] auto n = ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

namespace {
thread_local int t_watch = -1;  // the watched copy of the connection this thread serves
}  // namespace

void GatedServer::serve(socket_t fd, bool probe) {
  // A second descriptor of the same socket, ours until we close it: the watchdog may shut
  // the socket down through it without racing httplib's close (and a reuse of the number).
  const int watch = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (watch >= 0) {
    std::lock_guard lock(watch_mu_);
    watched_[watch] = Watched{Clock::now() + options_.head_timeout, false, probe};
    t_watch = watch;
  }
  httplib_server_process_and_close_socket(this, fd);
  if (watch >= 0) {
    {
      std::lock_guard lock(watch_mu_);
      watched_.erase(watch);
    }
    ::close(watch);
    t_watch = -1;
  }
}

void GatedServer::request_started() {
  if (t_watch < 0) return;
  std::lock_guard lock(watch_mu_);
  if (auto it = watched_.find(t_watch); it != watched_.end()) it->second.handling = true;
}

void GatedServer::request_finished() {
  if (t_watch < 0) return;
  std::lock_guard lock(watch_mu_);
  if (auto it = watched_.find(t_watch); it != watched_.end()) {
    // Before this, two idle keep-alive /health clients held both probe threads for httplib's
    // whole keep-alive timeout (2 s), and every other probe waited that long.
    const bool probe = it->second.probe;
    it->second =
        Watched{Clock::now() + (probe ? options_.probe_idle : options_.head_timeout), false, probe};
  }
}

std::chrono::milliseconds GatedServer::check_watched(Clock::time_point now) {
  auto next = options_.head_timeout;
  std::lock_guard lock(watch_mu_);
  for (auto& [watch, w] : watched_) {
    // request_finished() sets a probe's short deadline without waking the gate (a wake per
    // answer would cost a syscall each), so while probes are served the gate looks every
    // probe_idle: an idle probe connection is cut within 2 * probe_idle.
    if (w.probe) next = std::min(next, options_.probe_idle);
    if (w.handling) continue;
    if (now >= w.deadline) {
      // The next request on this keep-alive connection (or a body past the gate's 16 KiB)
      // is too slow: httplib's blocked read returns and it closes the connection.
      ::shutdown(watch, SHUT_RDWR);
      w.handling = true;  // once is enough
      continue;
    }
    next = std::min(next, std::chrono::duration_cast<std::chrono::milliseconds>(w.deadline - now));
  }
  return next;
}

void GatedServer::run() {
  // Edge-triggered: the bytes stay in the socket (only peeked), so a level-triggered poll
  // would report every waiting socket as readable on every turn. An edge is new data.
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  ep_ = ep;
  if (ep < 0) {
    ops::log::error("HTTP gate: epoll_create1 failed; requests are not gated",
                    {{"error.message", std::strerror(errno)}});
  } else {
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.fd = wake_[0];
    ::epoll_ctl(ep, EPOLL_CTL_ADD, wake_[0], &wake);
  }
  std::unordered_map<socket_t, Pending> pending;
  std::uint64_t arrivals = 0;

  auto dispatch = [this, ep, &pending](socket_t fd, Verdict v) {
    if (v == Verdict::wait) return;
    pending.erase(fd);
    if (ep >= 0) ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    if (v == Verdict::closed) {
      ::close(fd);
      return;
    }
    const bool probe = v == Verdict::probe;
    (probe ? probes_ : requests_)->enqueue([this, fd, probe] { serve(fd, probe); });
  };

  std::vector<epoll_event> events(256);
  for (;;) {
    std::vector<socket_t> fresh;
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      fresh.swap(incoming_);
    }
    const auto now = Clock::now();
    for (socket_t fd : fresh) {
      Pending p{fd, now + options_.head_timeout, ++arrivals};
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
      ev.data.fd = fd;
      if (ep < 0 || ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        requests_->enqueue([this, fd] { serve(fd, false); });
        continue;
      }
      auto& entry = pending.emplace(fd, p).first->second;
      dispatch(fd, examine(entry));  // the request may have arrived whole before we looked
    }
    // Over the cap, the oldest go first: a flood of stalled connections cannot keep a new
    // probe from being seen.
    while (pending.size() > options_.max_pending) {
      auto oldest = pending.begin();
      for (auto it = pending.begin(); it != pending.end(); ++it)
        if (it->second.order < oldest->second.order) oldest = it;
      dispatch(oldest->first, Verdict::closed);
    }
    auto wait = std::min(options_.head_timeout, check_watched(now));
    for (const auto& [fd, p] : pending)
      wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::max(p.deadline - now, Clock::duration::zero())));
    const int n = ep < 0 ? 0
                         : ::epoll_wait(ep, events.data(), static_cast<int>(events.size()),
                                        static_cast<int>(wait.count()) + 1);
    for (int i = 0; i < n; ++i) {
      const socket_t fd = events[i].data.fd;
      if (fd == wake_[0]) {
        char drain[64];
        while (::read(wake_[0], drain, sizeof drain) > 0) {
        }
        continue;
      }
      auto it = pending.find(fd);
      if (it == pending.end()) continue;
      Verdict v = examine(it->second);
      // The client closed its side before the request was whole: httplib 0.11 would not
      // answer a half-closed connection anyway. One still reading inline answers keeps its
      // connection until they are written.
      const auto ev = events[i].events;
      if (v == Verdict::wait &&
          ((ev & (EPOLLHUP | EPOLLERR)) || ((ev & EPOLLRDHUP) && it->second.unsent.empty())))
        v = Verdict::closed;
      dispatch(fd, v);
    }
    const auto after = Clock::now();
    std::vector<socket_t> late;
    for (const auto& [fd, p] : pending)
      if (after >= p.deadline) late.push_back(fd);
    for (socket_t fd : late) {
      // Idle after an answer, or not reading one: closed as httplib closes a keep-alive
      // connection, no 408 (there is no request to answer).
      const bool idle = pending.at(fd).idle || !pending.at(fd).unsent.empty();
      pending.erase(fd);
      if (ep >= 0) ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
      if (idle) {
        ::close(fd);
        continue;
      }
      ops::log::debug("HTTP request not received in time; connection closed",
                      {{"timeout_ms", options_.head_timeout.count()}});
      reject_slow(fd);
    }
  }
  for (const auto& [fd, p] : pending) ::close(fd);
  if (ep >= 0) ::close(ep);
  std::lock_guard lock(mu_);
  for (socket_t fd : incoming_) ::close(fd);
  incoming_.clear();
}

}  // namespace hypersdk::api
