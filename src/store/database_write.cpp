// Database::write with group commit: writers that arrive while a transaction is being
// written and synced wait, and the next of them runs all waiting writes in one transaction,
// each inside its own SAVEPOINT, with one COMMIT (one fsync under synchronous=FULL) for all.
// A write refused by its function rolls back to its savepoint and leaves the others alone.
//
// Invariants: write() returns only after its changes committed (or failed); each write's
// function runs once; a storage error inside a group (disk full, I/O) or a failed COMMIT
// rolls the whole group back and every write of it gets that error (none is run again: a
// function may have filled its caller's outputs, and a second run would add to them).
//
// Groups only while writes are healthy. On a full disk SQLite fails a whole shared
// transaction, so one job's big log write would also fail its neighbours' lease renewals and
// completions, which alone might still have fit; their leases then lapse and the jobs run
// again, filling the disk again. So the first storage error switches to single writes
// (single_), and only a commit that finds DatabaseOptions::regroup_free_bytes free on the
// filesystem switches grouping back on: a disk-full episode runs exactly as it does with
// grouping off.
#include <sqlite3.h>
#include <sys/statvfs.h>

#include <condition_variable>
#include <filesystem>

#include "store/database.h"

namespace hypersdk::store {

namespace {

// A group never holds more than this many writes (bounds the time one transaction holds the
// writer; bulk submits are one write already).
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
  std::unique_lock lock(group_mu_);
  waiting_.push_back(&me);
  // Whoever finds no group being written leads the next one: the oldest waiting writes, which
  // need not include its own; it then waits (or leads again) until its own write is done.
  for (;;) {
    group_cv_.wait(lock, [&] { return me.done || !group_leader_; });
    if (me.done) return me.result;
    group_leader_ = true;
    const std::size_t n = std::min(waiting_.size(), single_ ? std::size_t{1} : kMaxGroup);
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

// REQUIRES: writer_mu_ held. Runs the group in one transaction and fills each result; on a
// storage error everything is rolled back and every result is that error.
void Database::write_group(const std::vector<PendingWrite*>& group) {
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
  } catch (const std::exception& e) {
    const Status failed = translate(e, "database write failed");
    for (PendingWrite* w : group) w->result = failed;
    finish_write(&failed, false);
    return;
  }
  finish_write(nullptr, changed);
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
  if (storage_error) {
    single_ = true;
    note_write(*storage_error, false);
  } else if (changed) {
    // A commit that wrote something shows writes work; grouping waits for room as well.
    if (single_ && space_to_regroup()) single_ = false;
    note_write(Status::Ok(), true);
  }
}

// Whether the database's filesystem has regroup_free_bytes free (false when it cannot tell).
bool Database::space_to_regroup() const {
  std::filesystem::path dir = std::filesystem::path(opts_.path).parent_path();
  if (dir.empty()) dir = ".";
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return false;
  const auto free_bytes =
      static_cast<std::int64_t>(st.f_bavail) * static_cast<std::int64_t>(st.f_frsize);
  return free_bytes >= opts_.regroup_free_bytes;
}

}  // namespace hypersdk::store
