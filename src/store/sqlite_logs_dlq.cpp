// Job logs and the dead-letter table of the SQLite store.
#include "store/job_row.h"
#include "store/sqlite_store.h"

namespace hypersdk::store {
using namespace detail;

namespace {
// Renames the letter's columns that the jobs table also has.
#define DEAD_LETTER_ROWS \
  "(SELECT job_id, reason, created_at AS dead_at FROM dead_letters) ON job_id = id"
constexpr const char* kAppendLog =
    "INSERT INTO job_logs (job_id, ts, stream, line) VALUES (?, ?, ?, ?)";
constexpr const char* kReadLog =
    "SELECT seq, job_id, ts, stream, line FROM job_logs WHERE job_id = ? AND seq > ?"
    " ORDER BY seq LIMIT ?";
constexpr const char* kJobExists = "SELECT 1 FROM jobs WHERE id = ?";
constexpr const char* kDeadLetters =
    "SELECT " HYPERSDK_JOB_COLUMNS ", reason, dead_at FROM jobs JOIN " DEAD_LETTER_ROWS
    " ORDER BY dead_at DESC, id DESC LIMIT ?";
constexpr const char* kDeadLetter =
    "SELECT " HYPERSDK_JOB_COLUMNS ", reason, dead_at FROM jobs JOIN " DEAD_LETTER_ROWS
    " WHERE id = ?";
constexpr const char* kPurgeOne = "DELETE FROM dead_letters WHERE job_id = ?";
constexpr const char* kCountDeadLetters = "SELECT count(*) FROM dead_letters";
constexpr const char* kPurgeAll = "DELETE FROM dead_letters";

DeadLetter read_letter(SQLite::Statement& st) {
  DeadLetter d;
  d.job = read_job(st);
  // The letter's two columns follow the job's, however many those are.
  const int n = st.getColumnCount();
  d.reason = st.getColumn(n - 2).getString();
  d.created_at = st.getColumn(n - 1).getInt64();
  return d;
}
}  // namespace

Status SqliteStore::job_log_append(const std::vector<LogLine>& lines) {
  if (lines.empty()) return Status::Ok();
  return db_->write([&](Connection& c) {
    for (const auto& l : lines) {
      auto& st = c.stmt(kAppendLog);
      st.bind(1, static_cast<std::int64_t>(l.job_id));
      st.bind(2, static_cast<std::int64_t>(l.ts));
      st.bind(3, l.stream);
      st.bind(4, l.line);
      st.exec();
    }
    return Status::Ok();
  });
}

Result<std::vector<LogLine>> SqliteStore::job_log_read(JobId id, std::int64_t after_seq,
                                                       int limit) {
  std::vector<LogLine> out;
  Status s = db_->read([&](Connection& c) {
    auto& exists = c.stmt(kJobExists);
    exists.bind(1, static_cast<std::int64_t>(id));
    if (!exists.executeStep())
      return Status(make_error(ErrorClass::not_found, "no job " + core::format_job_id(id)));
    auto& st = c.stmt(kReadLog);
    st.bind(1, static_cast<std::int64_t>(id));
    st.bind(2, static_cast<std::int64_t>(after_seq));
    st.bind(3, limit);
    while (st.executeStep())
      out.push_back({st.getColumn(0).getInt64(), st.getColumn(1).getInt64(),
                     st.getColumn(2).getInt64(), st.getColumn(3).getString(),
                     st.getColumn(4).getString()});
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::vector<DeadLetter>> SqliteStore::dlq_list(int limit) {
  std::vector<DeadLetter> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kDeadLetters);
    st.bind(1, limit);
    while (st.executeStep()) out.push_back(read_letter(st));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<DeadLetter> SqliteStore::dlq_get(JobId id) {
  Result<DeadLetter> out =
      make_error(ErrorClass::not_found, "no dead letter for job " + core::format_job_id(id));
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kDeadLetter);
    st.bind(1, static_cast<std::int64_t>(id));
    if (st.executeStep()) out = read_letter(st);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::int64_t> SqliteStore::dlq_count() {
  std::int64_t n = 0;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kCountDeadLetters);
    if (st.executeStep()) n = st.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return n;
}

Result<int> SqliteStore::dlq_purge(std::optional<JobId> id) {
  int n = 0;
  Status s = db_->write([&](Connection& c) {
    auto& st = c.stmt(id ? kPurgeOne : kPurgeAll);
    if (id) st.bind(1, static_cast<std::int64_t>(*id));
    n = st.exec();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  if (id && n == 0)
    return make_error(ErrorClass::not_found, "no dead letter for job " + core::format_job_id(*id));
  return n;
}

}  // namespace hypersdk::store
