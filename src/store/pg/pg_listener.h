// The PostgreSQL change feed (store/change_feed.h): a connection of its own, LISTEN hypersdk,
// then poll() on the connection's socket and a stop pipe; PQconsumeInput/PQnotifies drain what
// arrived. Notifications are debounced: the first after a quiet spell calls `changed` at once,
// any more within `debounce` are folded into one call at the end of it (a node that commits
// 1,000 jobs in 1,000 transactions wakes the others a handful of times, not 1,000).
// A lost session (the server restarted, pg_terminate_backend, a network cut: TCP keepalives
// notice a silent one within ~20 s) is reported through `listening(false)`, then reconnected
// with a backoff (100 ms doubling to 5 s).
// Thread safety: as ChangeFeed.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "store/change_feed.h"

typedef struct pg_conn PGconn;

namespace hypersdk::store::pg {

// The channel every write transaction notifies (pg_database.cpp).
inline constexpr const char* kChangeChannel = "hypersdk";

struct PgListenerConfig {
  std::chrono::milliseconds debounce{5};
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5'000};
};

class PgListener : public ChangeFeed {
 public:
  PgListener(std::string url, ChangeFeedEvents events, PgListenerConfig config = {});
  ~PgListener() override;
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  void start() override;
  void stop() override;
  bool listening() const override { return listening_.load(); }
  std::int64_t reconnects() const override { return reconnects_.load(); }

 private:
  void loop();
  // Connects and LISTENs; nullptr (and the reason in `why`) on failure.
  PGconn* connect(std::string& why);
  // Runs one session until it is lost or stop() is called; the reason it ended in `why`.
  void session(PGconn* c, std::string& why);
  // Waits up to `d` for the stop pipe; true when stop() was called.
  bool wait_stop(std::chrono::milliseconds d);
  void set_listening(bool on, const std::string& why);

  const std::string url_;
  const ChangeFeedEvents events_;
  const PgListenerConfig config_;
  std::mutex mu_;
  bool started_ = false;  // GUARDED_BY(mu_)
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::atomic<std::int64_t> sessions_{0};
  std::atomic<std::int64_t> reconnects_{0};
  std::atomic<bool> warned_{false};  // the first connect's failure was logged
  std::thread thread_;
};

}  // namespace hypersdk::store::pg
