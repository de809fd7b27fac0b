// Database::write with group commit: writers that arrive while a transaction is being
// written and synced wait, and the next of them runs all waiting writes in one transaction,
// each inside its own SAVEPOINT, with one COMMIT (one fsync under synchronous=FULL) for all.
// A write refused by its function rolls back to its savepoint and leaves the others alone.
//
// Invariants: write() returns only after its changes committed (or failed); a write never
// sees another's changes rolled back under it; a storage error inside a group (disk full,
// I/O) rolls the whole group back and each write then runs alone, so every caller gets the
// answer its own write would have had without grouping.
#include <sqlite3.h>

#include <condition_variable>

#include "store/database.h"

namespace hypersdk::store {

namespace {

// A group never holds more than this many writes: the first of them waits for all.
constexpr std::size_t kMaxGroup = 256;

// Whether an exception from a write's function is a storage failure (the disk, the file)
// rather than the write's own conflict.
bool is_storage_failure(const SQLite::Exception& e) {
  return e.getErrorCode() != SQLITE_CONSTRAINT;
}

}  // namespace

struct Database::PendingWrite {
  const std::function<Status(Connection&)>* fn;
  Status result;
  bool done = false;
};

Status Database::write(const std::function<Status(Connection&)>& fn) {
  PendingWrite me{&fn};
  std::vector<PendingWrite*> group;
  {
    std::unique_lock lock(group_mu_);
    waiting_.push_back(&me);
    group_cv_.wait(lock, [&] { return me.done || !group_leader_; });
    if (me.done) return me.result;
    group_leader_ = true;
    const std::size_t n = std::min(waiting_.size(), kMaxGroup);
    // `me` is among the first n: writes join the queue in order and leaders take the front.
    group.assign(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
    waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  {
    std::lock_guard writer(writer_mu_);
    if (group.size() == 1 || !write_group(group))
      for (PendingWrite* w : group) w->result = write_alone(*w->fn);
  }
  {
    std::lock_guard lock(group_mu_);
    for (PendingWrite* w : group) w->done = true;
    group_leader_ = false;
  }
  group_cv_.notify_all();
  return me.result;
}

// REQUIRES: writer_mu_ held.
Status Database::write_alone(const std::function<Status(Connection&)>& fn) {
  Status result;
  bool storage_failed = false;  // an error from SQLite, not a refusal by `fn`
  bool changed = false;
  try {
    const auto before = sqlite3_total_changes64(writer_->db().getHandle());
    writer_->db().exec("BEGIN IMMEDIATE");
    result = fn(*writer_);
    if (result.ok()) {
      writer_->reset_all();
      writer_->db().exec("COMMIT");
      changed = sqlite3_total_changes64(writer_->db().getHandle()) != before;
      ++writes_;
      ++commits_;
    }
  } catch (const SQLite::Exception& e) {
    result = translate(e, "database write failed");
    storage_failed = is_storage_failure(e);
  } catch (const std::exception& e) {
    result = translate(e, "database write failed");
  }
  finish_write(storage_failed ? &result : nullptr, changed);
  return result;
}

// REQUIRES: writer_mu_ held. Runs the group in one transaction and fills each result.
// Returns false, with everything rolled back and no result kept, when the group hit a
// storage error: the caller then runs each write alone.
bool Database::write_group(const std::vector<PendingWrite*>& group) {
  bool changed = false;
  try {
    const auto before = sqlite3_total_changes64(writer_->db().getHandle());
    writer_->db().exec("BEGIN IMMEDIATE");
    for (PendingWrite* w : group) {
      writer_->db().exec("SAVEPOINT w");
      try {
        w->result = (*w->fn)(*writer_);
      } catch (const SQLite::Exception& e) {
        if (is_storage_failure(e)) throw;
        w->result = translate(e, "database write failed");
      } catch (const std::exception& e) {
        w->result = translate(e, "database write failed");
      }
      writer_->reset_all();
      if (!w->result.ok()) writer_->db().exec("ROLLBACK TO w");
      writer_->db().exec("RELEASE w");
    }
    writer_->db().exec("COMMIT");
    changed = sqlite3_total_changes64(writer_->db().getHandle()) != before;
    ++commits_;
    for (PendingWrite* w : group) writes_ += w->result.ok() ? 1 : 0;
  } catch (const std::exception&) {
    finish_write(nullptr, false);
    return false;
  }
  finish_write(nullptr, changed);
  return true;
}

// REQUIRES: writer_mu_ held. Leaves the writer clean on every path and records the
// write's effect on write_health(): `storage_error` failed it, a change clears it.
void Database::finish_write(const Status* storage_error, bool changed) {
  if (!writer_->make_clean()) {
    // A transaction that cannot be rolled back would block every later write: start over
    // with a new connection (SQLite rolls back the old one's when it closes).
    try {
      writer_ = writer_conn();
    } catch (const std::exception&) {
      // The next write tries again; readiness reports the failing writes meanwhile.
    }
  }
  if (storage_error)
    note_write(*storage_error, false);
  else if (changed)
    note_write(Status::Ok(), true);
}

}  // namespace hypersdk::store
