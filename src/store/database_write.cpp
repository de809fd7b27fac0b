// Database::write with group commit: writers that arrive while a transaction is being
// written and synced wait, and the next of them runs all waiting writes in one transaction,
// each inside its own SAVEPOINT, with one COMMIT (one fsync under synchronous=FULL) for all.
// A write refused by its function rolls back to its savepoint and leaves the others alone.
//
// Invariants: write() returns only after its changes committed (or failed); each write's
// function runs once (none is run again: a function may have filled its caller's outputs,
// and a second run would add to them). A write's own full disk fails that write alone; any
// other storage error (I/O) or a failed COMMIT rolls the whole group back and every write of
// it gets that error.
#include <sqlite3.h>

#include <condition_variable>
#include <optional>

#include "store/database.h"

namespace hypersdk::store {

namespace {

// A group never holds more than this many writes (one transaction, one fsync for all).
constexpr std::size_t kMaxGroup = 256;

// Whether an exception from a write's function is a storage failure (the disk, the file)
// rather than the write's own conflict.
bool is_storage_failure(const SQLite::Exception& e) {
  return e.getErrorCode() != SQLITE_CONSTRAINT;
}

// Thrown inside write_group when SQLite rolled the group's transaction back by itself.
struct GroupLost {
  Status why;
};

}  // namespace

struct Database::PendingWrite {
  const std::function<Status(Connection&)>* fn;
  Status result;
  bool done = false;
};

Status Database::write(const std::function<Status(Connection&)>& fn) {
  PendingWrite me{&fn};
  std::unique_lock lock(group_mu_);
  waiting_.push_back(&me);
  // Whoever finds no group being written leads the next one: the oldest waiting writes, which
  // need not include its own; it then waits (or leads again) until its own write is done.
  for (;;) {
    group_cv_.wait(lock, [&] { return me.done || !group_leader_; });
    if (me.done) return me.result;
    group_leader_ = true;
    // While writes fail (a full disk) and for a few successful writes after, each write
    // commits alone, as without grouping: SQLite rolls a whole transaction back when one
    // statement of it finds the disk full (or the COMMIT does), so in a group the one big
    // write that no longer fits (a log append) failed the small ones beside it too (lease
    // renewals, outcomes); their leases lapsed, the jobs ran again, and their repeated
    // output filled the disk once more right after space returned (test_storage's jobs that
    // never succeeded under ASan). Alone, each write gets the answer the disk gives it.
    const WriteHealth health = write_health();
    const std::size_t cap = health.failing || health.failures > 0 ? 1 : kMaxGroup;
    const std::size_t n = std::min(waiting_.size(), cap);
    std::vector<PendingWrite*> group(waiting_.begin(),
                                     waiting_.begin() + static_cast<std::ptrdiff_t>(n));
    waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
    lock.unlock();
    {
      std::lock_guard writer(writer_mu_);
      if (group.size() == 1)
        group[0]->result = write_alone(*group[0]->fn);
      else
        write_group(group);
    }
    lock.lock();
    for (PendingWrite* w : group) w->done = true;
    group_leader_ = false;
    group_cv_.notify_all();
  }
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
// A write whose statement hit a full disk (SQLITE_FULL) while SQLite kept the transaction
// (it rolled back that statement only) is rolled back to its savepoint and gets that error
// alone. Any other storage error, a transaction SQLite rolled back by itself (what a full
// disk does to a one-row statement), or a failed COMMIT fails every write of the group: none
// is acknowledged that did not commit, and none is run again (see write()).
void Database::write_group(const std::vector<PendingWrite*>& group) {
  bool changed = false;
  std::optional<Status> disk_full;  // a write of the group failed for want of space
  std::optional<Status> failed;     // the group's transaction did not commit
  sqlite3* handle = writer_->db().getHandle();
  try {
    const auto before = sqlite3_total_changes64(handle);
    writer_->db().exec("BEGIN IMMEDIATE");
    for (PendingWrite* w : group) {
      writer_->db().exec("SAVEPOINT w");
      bool full = false;
      try {
        w->result = (*w->fn)(*writer_);
      } catch (const SQLite::Exception& e) {
        full = e.getErrorCode() == SQLITE_FULL;
        if (is_storage_failure(e) && !full) throw;
        w->result = translate(e, "database write failed");
      } catch (const std::exception& e) {
        w->result = translate(e, "database write failed");
      }
      writer_->reset_all();
      if (full) {
        disk_full = w->result;
        // SQLite may have rolled the whole transaction back: the earlier writes are gone.
        if (sqlite3_get_autocommit(handle) != 0) throw GroupLost{w->result};
      }
      if (!w->result.ok()) writer_->db().exec("ROLLBACK TO w");
      writer_->db().exec("RELEASE w");
    }
    writer_->db().exec("COMMIT");
    changed = sqlite3_total_changes64(handle) != before;
    ++commits_;
    for (PendingWrite* w : group) writes_ += w->result.ok() ? 1 : 0;
  } catch (const GroupLost& lost) {
    failed = lost.why;
  } catch (const std::exception& e) {
    failed = translate(e, "database write failed");
  }
  if (failed) {
    // The transaction did not commit: every write of the group gets the error.
    for (PendingWrite* w : group) w->result = *failed;
    finish_write(&*failed, false);
    return;
  }
  finish_write(disk_full ? &*disk_full : nullptr, changed);
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
