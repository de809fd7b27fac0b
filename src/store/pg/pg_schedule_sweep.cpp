// The window/buffer sweep of the PostgreSQL store (as SqliteStore::job_window_sweep):
// candidates are read in one snapshot first, so that an idle tick writes nothing; the writes
// are guarded by the state they expect, so a job that moved on in between is left alone.
#include "store/job_row.h"
#include "store/pg/pg_store.h"

namespace hypersdk::store::pg {

namespace {

constexpr const char* kRunningWindowed =
    "SELECT id, window_policy FROM jobs WHERE status = 'running' AND window_policy IS NOT NULL"
    " AND cancel_requested = 0 ORDER BY id";
constexpr const char* kQueuedWindowed =
    "SELECT id, window_policy FROM jobs WHERE status = 'queued' AND window_policy IS NOT NULL"
    " ORDER BY id";
// See the SQLite store's kReleasableBuffered for why these are the runs that hold one back.
constexpr const char* kReleasableBuffered =
    "SELECT j.id, j.window_policy FROM jobs j"
    " WHERE j.status = 'waiting' AND j.waiting_for = 'overlap' AND NOT EXISTS ("
    "   SELECT 1 FROM jobs k WHERE k.schedule_id = j.schedule_id AND k.id <> j.id"
    "   AND k.status IN ('waiting', 'queued', 'running', 'retrying')"
    "   AND NOT (k.status = 'waiting' AND k.waiting_for IN ('overlap', 'upstream')))"
    " ORDER BY j.id";
constexpr const char* kRequestCancel =
    "UPDATE jobs SET cancel_requested = 1 WHERE id = $1::bigint AND status = 'running'";
constexpr const char* kRewait =
    "UPDATE jobs SET status = 'waiting', waiting_for = 'window', run_at = $1::bigint"
    " WHERE id = $2::bigint AND status = 'queued'";
constexpr const char* kReleaseQueued =
    "UPDATE jobs SET status = 'queued', waiting_for = NULL, run_at = $1::bigint"
    " WHERE id = $2::bigint AND status = 'waiting' AND waiting_for = 'overlap'";
constexpr const char* kReleaseToWindow =
    "UPDATE jobs SET waiting_for = 'window', run_at = $1::bigint"
    " WHERE id = $2::bigint AND status = 'waiting' AND waiting_for = 'overlap'";

constexpr TimeMs kDay = 24 * 3600 * 1000;

}  // namespace

Result<WindowSweep> PgStore::job_window_sweep(TimeMs now) {
  struct Candidate {
    JobId id;
    std::optional<core::JobWindow> window;
  };
  std::vector<Candidate> running, queued, buffered;
  Status s = db_->read([&](Tx& tx) {
    for (auto [sql, list] :
         {std::pair{kRunningWindowed, &running}, std::pair{kQueuedWindowed, &queued},
          std::pair{kReleasableBuffered, &buffered}}) {
      list->clear();
      Rows r = tx.exec(sql);
      for (int i = 0; i < r.size(); ++i)
        list->push_back({r.i64(i, 0), r.null(i, 1)
                                          ? std::nullopt
                                          : store::detail::window_from_json(r.text(i, 1))});
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.error();

  WindowSweep out;
  std::vector<JobId> cancel;
  std::vector<std::pair<JobId, TimeMs>> rewait, release;
  for (const auto& r : running) {
    if (!r.window || r.window->close != core::WindowClose::cancel) continue;
    auto start = core::window_start_at(*r.window, now);
    if (!start || *start > now) cancel.push_back(r.id);
  }
  for (const auto& q : queued) {
    if (!q.window) continue;
    auto start = core::window_start_at(*q.window, now);
    if (!start || *start > now) rewait.emplace_back(q.id, start.value_or(now + kDay));
  }
  for (const auto& b : buffered) {
    auto start = b.window && b.window->restricts() ? core::window_start_at(*b.window, now)
                                                   : std::optional<TimeMs>(now);
    release.emplace_back(b.id, start.value_or(now + kDay));
  }
  if (cancel.empty() && rewait.empty() && release.empty()) return out;

  s = db_->write([&](Tx& tx) {
    out = WindowSweep{};  // the transaction may run again
    for (JobId id : cancel)
      if (tx.exec(kRequestCancel, {p(static_cast<std::int64_t>(id))}).affected() > 0)
        out.cancel_requested.push_back(id);
    for (const auto& [id, at] : rewait)
      if (tx.exec(kRewait, {p(static_cast<std::int64_t>(at)), p(static_cast<std::int64_t>(id))})
              .affected() > 0)
        out.rewaited.push_back(id);
    for (const auto& [id, at] : release)
      if (tx.exec(at <= now ? kReleaseQueued : kReleaseToWindow,
                  {p(static_cast<std::int64_t>(at)), p(static_cast<std::int64_t>(id))})
              .affected() > 0)
        out.released.push_back(id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace hypersdk::store::pg
