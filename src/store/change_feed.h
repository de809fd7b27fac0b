// Wake-ups from other processes' commits (issue 17 item 2). On PostgreSQL every write
// transaction that changed a row ends with NOTIFY hypersdk (pg_database.cpp); a change feed is
// one node's LISTEN session on it, so an idle node claims a job another node's API accepted
// at once instead of at its next data_version poll. SQLite has no feed: one process, whose own
// writes wake it in-process, and a data_version poll for the CLI's.
//
// Delivery is a hint, never a guarantee: a notification can be lost while the session is down
// (events.listening(false) says so; keep polling fast until listening(true) comes back), so
// readers still compare data_version before trusting that nothing changed.
// Thread safety: start/stop from the owning thread; the callbacks run on the feed's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace hypersdk::store {

struct ChangeFeedEvents {
  // Something was committed (debounced: a burst of commits within a few ms calls it once).
  std::function<void()> changed;
  // The session is listening (true) or lost (false); called on each change of state.
  std::function<void(bool listening)> listening;
};

class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;
  // Connects and listens on a thread of its own, reconnecting with a backoff. Idempotent.
  virtual void start() = 0;
  // Idempotent; safe before start(). Returns once the thread has ended.
  virtual void stop() = 0;
  virtual bool listening() const = 0;
  // Sessions established after the first (each a recovery from a lost one).
  virtual std::int64_t reconnects() const = 0;
};

// A LISTEN session for a postgres:// URL; nullptr for anything else (SQLite).
std::unique_ptr<ChangeFeed> open_change_feed(const std::string& db_url, ChangeFeedEvents events);

}  // namespace hypersdk::store
