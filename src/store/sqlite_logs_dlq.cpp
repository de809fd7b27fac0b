// Job logs and the dead-letter table of the SQLite store.
#include <map>
#include <nlohmann/json.hpp>

#include "store/hot_statements.h"
#include "store/job_row.h"
#include "store/sqlite_store.h"

namespace hypersdk::store {
using namespace detail;

namespace {
// Renames the letter's columns that the jobs table also has.
#define DEAD_LETTER_ROWS \
  "(SELECT job_id, reason, created_at AS dead_at FROM dead_letters) ON job_id = id"
constexpr const char* kLastLogSeq =
    "SELECT last_seq FROM job_log_chunks WHERE job_id = ? ORDER BY last_seq DESC LIMIT 1";
constexpr const char* kAppendChunk =
    "INSERT INTO job_log_chunks (job_id, first_seq, last_seq, lines) VALUES (?, ?, ?, ?)";
// Chunks holding lines after ?2, in order: the one that holds ?2 + 1 first.
constexpr const char* kReadLog =
    "SELECT first_seq, lines FROM job_log_chunks WHERE job_id = ?1 AND last_seq > ?2"
    " ORDER BY last_seq";
// A chunk is closed at this many lines or bytes of text, whichever comes first.
constexpr std::size_t kChunkLines = 256;
constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr const char* kJobExists = "SELECT 1 FROM jobs WHERE id = ?";
// CROSS JOIN: the letters drive, newest first through dead_letters_by_time; the planner's
// own choice was to walk every job and sort.
constexpr const char* kDeadLetters =
    "SELECT " HYPERSDK_JOB_COLUMNS
    ", reason, dead_at"
    " FROM (SELECT job_id, reason, created_at AS dead_at FROM dead_letters)"
    " CROSS JOIN jobs ON job_id = id ORDER BY dead_at DESC, job_id DESC LIMIT ?";
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

namespace detail {
void add_hot_log_statements(std::vector<HotStatement>& out) {
  out.push_back({"log.read", kReadLog});
  out.push_back({"log.last_seq", kLastLogSeq});
  out.push_back({"dlq.list", kDeadLetters});
  out.push_back({"dlq.get", kDeadLetter});
}
}  // namespace detail

Status SqliteStore::job_log_append(const std::vector<LogLine>& lines) {
  if (lines.empty()) return Status::Ok();
  return db_->write([&](Connection& c) {
    // Consecutive lines of one job share a chunk; the order of each job's lines is kept.
    std::map<JobId, std::int64_t> last_seq;
    struct Open {
      std::int64_t first = 0;
      nlohmann::json lines = nlohmann::json::array();
      std::size_t bytes = 0;
    };
    std::map<JobId, Open> pending;
    auto close = [&](JobId id, Open& o) {
      if (o.lines.empty()) return;
      auto& st = c.stmt(kAppendChunk);
      st.bind(1, static_cast<std::int64_t>(id));
      st.bind(2, o.first);
      st.bind(3, o.first + static_cast<std::int64_t>(o.lines.size()) - 1);
      st.bind(4, o.lines.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      st.exec();
      o = Open{};
    };
    for (const auto& l : lines) {
      auto seq = last_seq.find(l.job_id);
      if (seq == last_seq.end()) {
        auto& q = c.stmt(kLastLogSeq);
        q.bind(1, static_cast<std::int64_t>(l.job_id));
        seq = last_seq.emplace(l.job_id, q.executeStep() ? q.getColumn(0).getInt64() : 0).first;
      }
      Open& o = pending[l.job_id];
      if (o.lines.empty()) o.first = seq->second + 1;
      o.lines.push_back({l.ts, l.stream, l.line});
      o.bytes += l.line.size();
      ++seq->second;
      if (o.lines.size() >= kChunkLines || o.bytes >= kChunkBytes) close(l.job_id, o);
    }
    for (auto& [id, o] : pending) close(id, o);
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
    while (static_cast<int>(out.size()) < limit && st.executeStep()) {
      std::int64_t seq = st.getColumn(0).getInt64();
      const auto chunk = nlohmann::json::parse(st.getColumn(1).getString(), nullptr, false);
      if (!chunk.is_array())
        return Status(make_error(ErrorClass::internal, "the log of job " + core::format_job_id(id) +
                                                           " has a damaged chunk from line " +
                                                           std::to_string(seq)));
      for (const auto& l : chunk) {
        if (seq > after_seq && static_cast<int>(out.size()) < limit && l.is_array() &&
            l.size() == 3)
          out.push_back({seq, id, l[0].get<std::int64_t>(), l[1].get<std::string>(),
                         l[2].get<std::string>()});
        ++seq;
      }
    }
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
