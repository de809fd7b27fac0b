// Job logs (in chunks of lines, as in SQLite: job_log_chunks) and the dead-letter table of
// the PostgreSQL store.
#include <map>

#include <nlohmann/json.hpp>

#include "store/pg/pg_job_row.h"
#include "store/pg/pg_store.h"

namespace hypersdk::store::pg {

namespace {
constexpr const char* kLastLogSeq =
    "SELECT last_seq FROM job_log_chunks WHERE job_id = $1::bigint ORDER BY last_seq DESC"
    " LIMIT 1";
constexpr const char* kAppendChunk =
    "INSERT INTO job_log_chunks (job_id, first_seq, last_seq, lines)"
    " VALUES ($1::bigint, $2::bigint, $3::bigint, $4)";
constexpr const char* kReadLog =
    "SELECT first_seq, lines FROM job_log_chunks WHERE job_id = $1::bigint"
    " AND last_seq > $2::bigint ORDER BY last_seq";
// A chunk is closed at this many lines or bytes of text, whichever comes first.
constexpr std::size_t kChunkLines = 256;
constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr const char* kJobExists = "SELECT 1 FROM jobs WHERE id = $1::bigint";
// The letter's columns renamed: error_class, error_message and created_at are the jobs' too.
#define HYPERSDK_PG_LETTERS \
  " JOIN (SELECT job_id, reason, created_at AS dead_at FROM dead_letters) d ON d.job_id = id"
constexpr const char* kDeadLetters =
    "SELECT " HYPERSDK_JOB_COLUMNS ", d.reason, d.dead_at FROM jobs" HYPERSDK_PG_LETTERS
    " ORDER BY d.dead_at DESC, d.job_id DESC LIMIT $1::bigint";
constexpr const char* kDeadLetter =
    "SELECT " HYPERSDK_JOB_COLUMNS ", d.reason, d.dead_at FROM jobs" HYPERSDK_PG_LETTERS
    " WHERE d.job_id = $1::bigint";
constexpr const char* kPurgeOne = "DELETE FROM dead_letters WHERE job_id = $1::bigint";
constexpr const char* kCountDeadLetters = "SELECT count(*) FROM dead_letters";
constexpr const char* kPurgeAll = "DELETE FROM dead_letters";

DeadLetter read_letter(const Rows& r, int row) {
  DeadLetter d;
  d.job = read_job(r, row);
  // The letter's two columns follow the job's, however many those are.
  constexpr int kJobColumns = 26;
  d.reason = r.text(row, kJobColumns);
  d.created_at = r.i64(row, kJobColumns + 1);
  return d;
}
}  // namespace

Status PgStore::job_log_append(const std::vector<LogLine>& lines) {
  if (lines.empty()) return Status::Ok();
  return db_->write([&](Tx& tx) {
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
      // Invalid UTF-8 is replaced: PostgreSQL's text refuses it (and \0 is escaped by JSON).
      tx.exec(kAppendChunk,
              {p(std::int64_t{id}), p(o.first),
               p(o.first + static_cast<std::int64_t>(o.lines.size()) - 1),
               p(o.lines.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))});
      o = Open{};
    };
    for (const auto& l : lines) {
      auto seq = last_seq.find(l.job_id);
      if (seq == last_seq.end()) {
        auto q = tx.exec(kLastLogSeq, {p(std::int64_t{l.job_id})});
        seq = last_seq.emplace(l.job_id, q.empty() ? 0 : q.i64(0, 0)).first;
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

Result<std::vector<LogLine>> PgStore::job_log_read(JobId id, std::int64_t after_seq, int limit) {
  std::vector<LogLine> out;
  Status s = db_->read([&](Tx& tx) {
    if (tx.exec(kJobExists, {p(std::int64_t{id})}).empty())
      return Status(make_error(ErrorClass::not_found, "no job " + core::format_job_id(id)));
    auto r = tx.exec(kReadLog, {p(std::int64_t{id}), p(after_seq)});
    for (int i = 0; i < r.size() && static_cast<int>(out.size()) < limit; ++i) {
      std::int64_t seq = r.i64(i, 0);
      const auto chunk = nlohmann::json::parse(r.text(i, 1), nullptr, false);
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

Result<std::vector<DeadLetter>> PgStore::dlq_list(int limit) {
  return db_->read_value([&](Tx& tx) {
    std::vector<DeadLetter> out;
    auto r = tx.exec(kDeadLetters, {p(limit)});
    for (int i = 0; i < r.size(); ++i) out.push_back(read_letter(r, i));
    return out;
  });
}

Result<DeadLetter> PgStore::dlq_get(JobId id) {
  Result<DeadLetter> out =
      make_error(ErrorClass::not_found, "no dead letter for job " + core::format_job_id(id));
  Status s = db_->read([&](Tx& tx) {
    auto r = tx.exec(kDeadLetter, {p(std::int64_t{id})});
    if (!r.empty()) out = read_letter(r, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::int64_t> PgStore::dlq_count() {
  return db_->read_value([](Tx& tx) { return tx.exec(kCountDeadLetters).i64(0, 0); });
}

Result<int> PgStore::dlq_purge(std::optional<JobId> id) {
  auto n = db_->write_value([&](Tx& tx) {
    return static_cast<int>(
        (id ? tx.exec(kPurgeOne, {p(std::int64_t{*id})}) : tx.exec(kPurgeAll)).affected());
  });
  if (!n) return n.error();
  if (id && *n == 0)
    return make_error(ErrorClass::not_found, "no dead letter for job " + core::format_job_id(*id));
  return n;
}

}  // namespace hypersdk::store::pg
