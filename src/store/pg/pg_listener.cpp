#include "store/pg/pg_listener.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ops/log.h"
#include "store/pg/pg_database.h"

namespace hypersdk::store::pg {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

namespace {

void ignore_notice(void*, const char*) {}

std::string conn_error(PGconn* c) {
  std::string s = c ? PQerrorMessage(c) : "out of memory";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// One statement on the session; false (and the reason) unless it succeeded.
bool run(PGconn* c, const char* sql, std::string& why) {
  PGresult* r = PQexec(c, sql);
  const bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) why = r ? PQresultErrorMessage(r) : conn_error(c);
  PQclear(r);
  return ok;
}

int poll_ms(milliseconds d) {
  return static_cast<int>(std::clamp<std::int64_t>(d.count(), 0, 60'000));
}

}  // namespace

PgListener::PgListener(std::string url, ChangeFeedEvents events, PgListenerConfig config)
    : url_(std::move(url)), events_(std::move(events)), config_(config) {}

PgListener::~PgListener() {
  stop();
}

void PgListener::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  if (::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    // Without a pipe there is no way to interrupt poll(): no feed; the fast poll stays.
    ops::log::error("cannot listen for other nodes' changes: pipe() failed; polling instead",
                    {{"error", std::string(std::strerror(errno))}});
    return;
  }
  started_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void PgListener::stop() {
  std::lock_guard lock(mu_);
  if (!started_) return;
  started_ = false;
  stopping_ = true;
  const char b = 1;
  (void)!::write(stop_pipe_[1], &b, 1);
  if (thread_.joinable()) thread_.join();
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  stop_pipe_[0] = stop_pipe_[1] = -1;
  listening_ = false;
}

bool PgListener::wait_stop(milliseconds d) {
  if (stopping_) return true;
  pollfd fd{stop_pipe_[0], POLLIN, 0};
  (void)::poll(&fd, 1, poll_ms(d));
  return stopping_.load();
}

void PgListener::set_listening(bool on, const std::string& why) {
  if (listening_.exchange(on) == on) {
    // Never listened yet: say once why not (the fast poll is on meanwhile).
    if (!on && sessions_.load() == 0 && !warned_.exchange(true))
      ops::log::warn(
          "cannot listen for other nodes' changes yet; polling the database fast until it "
          "works",
          {{"error", why}});
    return;
  }
  if (on) {
    if (sessions_.fetch_add(1) > 0) {
      ++reconnects_;
      ops::log::info("listening for other nodes' changes again (LISTEN/NOTIFY); slow poll resumes",
                     {{"channel", kChangeChannel}, {"reconnects", reconnects_.load()}});
    } else {
      ops::log::info("listening for other nodes' changes (LISTEN/NOTIFY)",
                     {{"channel", kChangeChannel}});
    }
  } else {
    ops::log::warn(
        "lost the LISTEN session for other nodes' changes; polling the database fast until it "
        "is back",
        {{"error", why}});
  }
  if (events_.listening) events_.listening(on);
}

PGconn* PgListener::connect(std::string& why) {
  // The URL's own settings (later keywords override it), plus: a bound on the connect, so
  // stop() is never held up for long by an unreachable server; and TCP keepalives, so a
  // session cut silently (no FIN, no RST: a network partition, a dead host) turns the socket
  // readable with an error within ~20 s instead of the system's two hours, without this
  // thread ever blocking in a round trip of its own.
  const char* keys[] = {"dbname",          "connect_timeout",     "application_name", "keepalives",
                        "keepalives_idle", "keepalives_interval", "keepalives_count", nullptr};
  const char* values[] = {url_.c_str(), "5", "hypersdk-listener", "1", "10", "3", "3", nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (!c || PQstatus(c) != CONNECTION_OK) {
    why = conn_error(c);
    PQfinish(c);
    return nullptr;
  }
  PQsetNoticeProcessor(c, ignore_notice, nullptr);
  if (!run(c, "LISTEN hypersdk", why)) {
    PQfinish(c);
    return nullptr;
  }
  return c;
}

void PgListener::session(PGconn* c, std::string& why) {
  const int sock = PQsocket(c);
  if (sock < 0) {
    why = "no socket";
    return;
  }
  bool pending = false;            // notifications folded into the end of the debounce window
  Steady::time_point last_wake{};  // when `changed` was last called
  while (!stopping_) {
    // Nothing to time but the debounce: a lost session shows on the socket (keepalives).
    milliseconds wait(-1);
    if (pending)
      wait =
          std::max(milliseconds(0),
                   std::chrono::ceil<milliseconds>(last_wake + config_.debounce - Steady::now()));
    pollfd fds[2] = {{sock, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    const int n = ::poll(fds, 2, wait.count() < 0 ? -1 : poll_ms(wait));
    if (n < 0 && errno != EINTR) {
      why = std::string("poll: ") + std::strerror(errno);
      return;
    }
    if (stopping_) return;
    bool heard = false;
    if (n > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP))) {
      if (!PQconsumeInput(c)) {
        why = conn_error(c);
        return;
      }
      while (PGnotify* note = PQnotifies(c)) {
        heard = true;
        PQfreemem(note);
      }
      if (PQstatus(c) != CONNECTION_OK) {
        why = conn_error(c);
        return;
      }
    }
    const auto t = Steady::now();
    if (heard) {
      if (t - last_wake >= config_.debounce) {
        last_wake = t;
        pending = false;
        if (events_.changed) events_.changed();
      } else {
        pending = true;
      }
    } else if (pending && t - last_wake >= config_.debounce) {
      last_wake = t;
      pending = false;
      if (events_.changed) events_.changed();
    }
  }
}

void PgListener::loop() {
  milliseconds backoff = config_.min_backoff;
  std::string why;
  while (!stopping_) {
    PGconn* c = connect(why);
    if (c) {
      set_listening(true, "");
      // Anything committed while no session listened went unannounced: look now.
      if (events_.changed) events_.changed();
      backoff = config_.min_backoff;
      why.clear();
      session(c, why);
      PQfinish(c);
      if (stopping_) break;
    }
    set_listening(false, why.empty() ? "connection lost" : why);
    if (wait_stop(backoff)) break;
    backoff = std::min(backoff * 2, config_.max_backoff);
  }
  listening_ = false;
}

}  // namespace hypersdk::store::pg

namespace hypersdk::store {

std::unique_ptr<ChangeFeed> open_change_feed(const std::string& db_url, ChangeFeedEvents events) {
  if (!pg::is_postgres_url(db_url)) return nullptr;
  return std::make_unique<pg::PgListener>(db_url, std::move(events));
}

}  // namespace hypersdk::store
