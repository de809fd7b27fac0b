// An httplib::Server that hands a connection to a request thread only once its request has
// arrived, so slow or stalled clients cannot take the threads that everyone else needs
// (issue 18 item 4: eight clients trickling one header line every 4 s made /health answer
// after 35 s, since httplib 0.11 gives each connection a pool thread at accept and its read
// timeout restarts with every byte).
//
// How: accepted sockets go to one gate thread that watches them all (epoll) and peeks (MSG_PEEK, so
// httplib later reads the same bytes) until the head ("\r\n\r\n") and a body of up to
// kGateBodyBytes have arrived. A connection that has not sent that within head_timeout gets
// 408 and is closed; no request thread was used. Complete requests go to the request pool,
// except GET /api/v1/health and /api/v1/ready, which go to a pool of their own so liveness and
// readiness answer whatever the other clients do.
//
// What the gate cannot see, a watchdog bounds: the next request on a keep-alive connection
// and bodies larger than kGateBodyBytes (handed over once their head is complete) must
// arrive within head_timeout of the previous answer (or of the hand-over), else the socket
// is shut down under httplib's blocked read. A probe connection gets only probe_idle between
// an answer and its next request, so idle keep-alive clients cannot park the probe pool. The owner
// reports request boundaries with request_started() (pre-routing) and request_finished() (after the
// answer).
//
// GET /api/v1/health in its plainest form is answered by the gate thread itself when
// Options::inline_health is set (inline_health.h): the request is read, the answer written
// (what a client that does not read its answers leaves unwritten waits at the gate for its
// socket to drain, EPOLLOUT, and nothing more is read from it meanwhile), and the connection
// stays at the gate for its next request; an idle one is closed after kKeepAliveSeconds as
// httplib would.
//
// Plain HTTP only: with TLS the bytes are encrypted, so ApiServer uses httplib's pool as is.
//
// Thread safety: constructed and shut down by the owner; everything else runs on httplib's
// listen thread, the gate thread and the pools.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/inline_health.h"

namespace hypersdk::api {

// Small enough to fit any socket receive buffer (peeked bytes stay in it until httplib reads).
inline constexpr std::size_t kGateBodyBytes = 16 * 1024;

class GatedServer : public httplib::Server {
 public:
  struct Options {
    int threads = 8;        // request threads (SSE streams included)
    int probe_threads = 2;  // for /health and /ready only
    std::chrono::milliseconds head_timeout{5000};
    // How long a probe connection may sit idle after an answer before its thread is freed:
    // a client keeping /health connections open must not hold the few probe threads.
    std::chrono::milliseconds probe_idle{200};
    std::size_t max_pending = 1024;  // connections waiting at the gate; the oldest is dropped
    // Answers plain GET /api/v1/health on the gate thread; nullptr: the probe pool does.
    // Must outlive the server.
    InlineHealth* inline_health = nullptr;
  };

  explicit GatedServer(Options options);
  ~GatedServer() override;

  // Stops the gate (closing connections still waiting) and joins the pools after their
  // requests finish. Call after listen returned. Idempotent.
  void shutdown_gate();

  // Called on the thread serving a request: its head and body were read / its answer was
  // written. Outside a gated connection they do nothing.
  void request_started();
  void request_finished();

 private:
  // httplib calls this for each accepted socket on its listen thread (through a task queue
  // that runs tasks inline); it only hands the socket to the gate.
  bool process_and_close_socket(socket_t sock) override;

  struct Pending {
    socket_t fd;
    std::chrono::steady_clock::time_point deadline;
    std::uint64_t order;  // arrival order, for dropping the oldest
    int answered = 0;     // health requests the gate answered on this connection
    bool idle = false;    // answered, no byte of a next request yet: closed silently at deadline
    // The end of an inline answer the client's socket did not take yet: written when the
    // socket is writable again (EPOLLOUT), before anything more is read.
    std::string unsent;
    bool close_after = false;  // ... and that answer closes the connection
  };
  enum class Verdict { wait, request, probe, closed };

  struct Watched {
    std::chrono::steady_clock::time_point deadline;  // for the next request to be read
    bool handling;                                   // a handler runs: no deadline
    bool probe;                                      // served by the probe pool
  };

  void run();
  void serve(socket_t fd, bool probe);  // on a pool thread
  // Shuts down watched connections past their deadline; the time to the next deadline.
  std::chrono::milliseconds check_watched(std::chrono::steady_clock::time_point now);
  // Peeks at the connection's bytes; `data` sees them until the next call on this thread.
  Verdict inspect(const Pending& p, std::string_view* data = nullptr) const;
  // inspect(), after answering every complete inline health request at the front.
  Verdict examine(Pending& p);
  void watch_output(socket_t fd, bool on) const;  // EPOLLOUT in fd's events or not
  void reject_slow(socket_t fd) const;

  Options options_;
  std::unique_ptr<httplib::ThreadPool> requests_, probes_;
  int wake_[2] = {-1, -1};
  int ep_ = -1;  // the gate's epoll set; used on the gate thread only
  std::mutex mu_;
  std::vector<socket_t> incoming_;  // GUARDED_BY(mu_)
  bool stopping_ = false;           // GUARDED_BY(mu_)
  std::thread gate_;
  std::mutex watch_mu_;
  std::unordered_map<int, Watched> watched_;  // GUARDED_BY(watch_mu_); key: the dup'd fd
};

}  // namespace hypersdk::api
