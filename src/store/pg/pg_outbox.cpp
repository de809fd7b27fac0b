// The notification outbox on PostgreSQL (pg_outbox.h): sqlite_notify.cpp's statements in
// PostgreSQL's dialect (ON CONFLICT for INSERT OR IGNORE / OR REPLACE, no index hints).
#include "store/pg/pg_outbox.h"
#include "store/pg/pg_arrays.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "store/pg/pg_event_row.h"

namespace hypersdk::store::pg {

namespace {

constexpr const char* kUnrouted =
    "SELECT id, kind, severity, subject, payload, created_at FROM events"
    " WHERE dispatched_at IS NULL ORDER BY id LIMIT $1::bigint";
// A batch routed in one statement: the events not yet routed are marked, and each gets one
// pending delivery per receiver ($3: a JSON array of {n, event_id, receiver}, inserted in its
// order so that deliveries keep the batch's order). Only an event not yet routed is routed: a
// second node that read the same batch waits for the first's row locks, then finds the events
// routed and writes nothing (the UNIQUE(event_id, receiver) backs this up).
constexpr const char* kRouteBatch =
    "WITH marked AS (UPDATE events SET dispatched_at = $1::bigint"
    " FROM unnest($2::bigint[]) AS b(id) WHERE events.id = b.id AND dispatched_at IS NULL"
    " RETURNING events.id, events.kind)"
    " INSERT INTO deliveries (event_id, receiver, event_kind, status, next_attempt_at,"
    " created_at)"
    " SELECT m.id, r.receiver, m.kind, 'pending', $1::bigint, $1::bigint"
    " FROM json_to_recordset($3::json) AS r(n int, event_id bigint, receiver text)"
    " JOIN marked m ON m.id = r.event_id ORDER BY r.n"
    " ON CONFLICT (event_id, receiver) DO NOTHING";
#define HYPERSDK_PG_DELIVERY_COLUMNS                                                            \
  "d.id, d.event_id, d.receiver, d.event_kind, d.status, d.attempts, d.next_attempt_at, "       \
  "d.created_at, d.finished_at, coalesce(d.last_error, ''), e.severity, e.subject, e.payload, " \
  "e.created_at"
constexpr const char* kDue = "SELECT " HYPERSDK_PG_DELIVERY_COLUMNS
                             " FROM deliveries d JOIN events e ON e.id = d.event_id"
                             " WHERE d.status = 'pending' AND d.next_attempt_at <= $1::bigint"
                             " ORDER BY d.next_attempt_at, d.id LIMIT $2::bigint";
constexpr const char* kNextDue =
    "SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'";
constexpr const char* kInsertAttempt =
    "INSERT INTO delivery_attempts (delivery_id, attempt, at, http_status, latency_ms, error)"
    " VALUES ($1::bigint, $2::bigint, $3::bigint, $4::bigint, $5::bigint, $6)"
    " ON CONFLICT (delivery_id, attempt) DO UPDATE SET at = excluded.at,"
    " http_status = excluded.http_status, latency_ms = excluded.latency_ms,"
    " error = excluded.error";
constexpr const char* kFinish =
    "UPDATE deliveries SET status = $1, attempts = $2::bigint, finished_at = $3::bigint,"
    " last_error = $4 WHERE id = $5::bigint AND status = 'pending'";
constexpr const char* kReschedule =
    "UPDATE deliveries SET attempts = $1::bigint, next_attempt_at = $2::bigint, last_error = $3"
    " WHERE id = $4::bigint AND status = 'pending'";
constexpr const char* kById = "SELECT " HYPERSDK_PG_DELIVERY_COLUMNS
                              " FROM deliveries d JOIN events e ON e.id = d.event_id"
                              " WHERE d.id = $1::bigint";
constexpr const char* kAttempts =
    "SELECT attempt, at, http_status, latency_ms, coalesce(error, '') FROM delivery_attempts"
    " WHERE delivery_id = $1::bigint ORDER BY attempt";
constexpr const char* kList =
    "SELECT " HYPERSDK_PG_DELIVERY_COLUMNS
    " FROM deliveries d JOIN events e ON e.id = d.event_id"
    " WHERE ($1 = '' OR d.status = $1) AND ($2 = '' OR d.event_kind = $2)"
    " AND ($3 = '' OR d.receiver = $3) ORDER BY d.id DESC LIMIT $4::bigint";
constexpr const char* kRetry =
    "UPDATE deliveries SET status = 'pending', next_attempt_at = $1::bigint, finished_at = NULL"
    " WHERE id = $2::bigint";
constexpr const char* kCounts =
    "SELECT receiver, status, count(*) FROM deliveries GROUP BY receiver, status";
constexpr const char* kPrune =
    "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE status <> 'pending'"
    " AND finished_at < $1::bigint LIMIT 5000)";

Delivery read_delivery(const Rows& r, int i) {
  Delivery d;
  d.id = r.i64(i, 0);
  d.event_id = r.i64(i, 1);
  d.receiver = r.text(i, 2);
  d.event_kind = r.text(i, 3);
  d.status = r.text(i, 4);
  d.attempts = static_cast<int>(r.i64(i, 5));
  d.next_attempt_at = r.i64(i, 6);
  d.created_at = r.i64(i, 7);
  d.finished_at = r.opt_i64(i, 8);
  d.last_error = r.text(i, 9);
  d.severity = r.text(i, 10);
  d.subject = r.text(i, 11);
  d.payload = r.text(i, 12);
  d.event_at = r.i64(i, 13);
  return d;
}

Error no_such_delivery(DeliveryId id) {
  return make_error(ErrorClass::not_found, "no notification delivery " + std::to_string(id));
}

std::optional<Delivery> get_in(Tx& tx, DeliveryId id) {
  Rows r = tx.exec(kById, {p(static_cast<std::int64_t>(id))});
  if (r.empty()) return std::nullopt;
  Delivery d = read_delivery(r, 0);
  Rows a = tx.exec(kAttempts, {p(static_cast<std::int64_t>(id))});
  for (int i = 0; i < a.size(); ++i) {
    DeliveryAttempt at;
    at.attempt = static_cast<int>(a.i64(i, 0));
    at.at = a.i64(i, 1);
    if (!a.null(i, 2)) at.http_status = static_cast<int>(a.i64(i, 2));
    at.latency_ms = a.i64(i, 3);
    at.error = a.text(i, 4);
    d.history.push_back(std::move(at));
  }
  return d;
}

Param opt_text(const std::string& s) {
  return s.empty() ? Param{} : Param{s};
}

}  // namespace

Status PgOutbox::event_raise(const std::string& kind, const std::string& severity,
                             const std::string& subject, const std::string& payload_json,
                             core::TimeMs now) {
  return db_->write(
      [&](Tx& tx) {
        pg_event_insert(tx, kind, severity, subject, payload_json, now);
        return Status::Ok();
      },
      Isolation::read_committed);
}

Result<std::vector<Event>> PgOutbox::event_unrouted(int limit) {
  std::vector<Event> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    Rows r = tx.exec(kUnrouted, {p(std::clamp(limit, 1, 1000))});
    for (int i = 0; i < r.size(); ++i)
      out.push_back(
          {r.i64(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.i64(i, 5)});
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status PgOutbox::event_route(const std::vector<EventRouting>& batch, core::TimeMs now) {
  if (batch.empty()) return Status::Ok();
  std::vector<std::int64_t> ids;
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& r : batch) {
    ids.push_back(r.event_id);
    for (const auto& receiver : r.receivers)
      pairs.push_back({{"n", pairs.size()}, {"event_id", r.event_id}, {"receiver", receiver}});
  }
  const std::string receivers =
      pairs.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // READ COMMITTED: the conditional UPDATE re-checks dispatched_at on the rows it locks, so a
  // second router waits for the first and then finds them routed.
  return db_->write(
      [&](Tx& tx) {
        tx.exec(kRouteBatch, {p(static_cast<std::int64_t>(now)), p(int_array(ids)), p(receivers)});
        return Status::Ok();
      },
      Isolation::read_committed);
}

Result<std::vector<Delivery>> PgOutbox::delivery_due(core::TimeMs now, int limit) {
  std::vector<Delivery> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    Rows r = tx.exec(kDue, {p(static_cast<std::int64_t>(now)), p(std::clamp(limit, 1, 1000))});
    for (int i = 0; i < r.size(); ++i) out.push_back(read_delivery(r, i));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status PgOutbox::delivery_record(const DeliveryOutcome& o, core::TimeMs now) {
  return db_->write(
      [&](Tx& tx) {
        const auto id = static_cast<std::int64_t>(o.id);
        tx.exec(kInsertAttempt,
                {p(id), p(o.attempt.attempt), p(static_cast<std::int64_t>(o.attempt.at)),
                 o.attempt.http_status ? p(*o.attempt.http_status) : Param{},
                 p(static_cast<std::int64_t>(o.attempt.latency_ms)), opt_text(o.attempt.error)});
        if (o.next == DeliveryOutcome::Next::retry) {
          tx.exec(kReschedule, {p(o.attempt.attempt), p(static_cast<std::int64_t>(o.retry_at)),
                                p(o.attempt.error), p(id)});
          return Status::Ok();
        }
        tx.exec(kFinish, {p(o.next == DeliveryOutcome::Next::delivered ? "delivered" : "failed"),
                          p(o.attempt.attempt), p(static_cast<std::int64_t>(now)),
                          opt_text(o.attempt.error), p(id)});
        return Status::Ok();
      },
      Isolation::read_committed);
}

Result<std::vector<Delivery>> PgOutbox::delivery_list(const DeliveryFilter& f) {
  std::vector<Delivery> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    Rows r = tx.exec(
        kList, {p(f.status), p(f.event_kind), p(f.receiver), p(std::clamp(f.limit, 1, 1000))});
    for (int i = 0; i < r.size(); ++i) out.push_back(read_delivery(r, i));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Delivery> PgOutbox::delivery_get(DeliveryId id) {
  std::optional<Delivery> out;
  Status s = db_->read([&](Tx& tx) {
    out = get_in(tx, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  if (!out) return no_such_delivery(id);
  return std::move(*out);
}

Result<Delivery> PgOutbox::delivery_retry(DeliveryId id, core::TimeMs now) {
  std::optional<Delivery> out;
  Status s = db_->write([&](Tx& tx) -> Status {
    out.reset();
    auto d = get_in(tx, id);
    if (!d) return Status(no_such_delivery(id));
    if (d->status == "delivered")
      return Status(make_error(ErrorClass::conflict, "notification delivery " + std::to_string(id) +
                                                         " was delivered already; only failed or "
                                                         "pending ones can be retried"));
    tx.exec(kRetry, {p(static_cast<std::int64_t>(now)), p(static_cast<std::int64_t>(id))});
    out = get_in(tx, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return std::move(*out);
}

Result<std::vector<DeliveryCount>> PgOutbox::delivery_counts() {
  std::vector<DeliveryCount> out;
  Status s = db_->read([&](Tx& tx) {
    out.clear();
    Rows r = tx.exec(kCounts);
    for (int i = 0; i < r.size(); ++i) out.push_back({r.text(i, 0), r.text(i, 1), r.i64(i, 2)});
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::optional<core::TimeMs>> PgOutbox::delivery_next_due() {
  std::optional<core::TimeMs> out;
  Status s = db_->read([&](Tx& tx) {
    Rows r = tx.exec(kNextDue);
    out = r.empty() ? std::nullopt : r.opt_i64(0, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<int> PgOutbox::delivery_prune(core::TimeMs before) {
  int n = 0;
  Status s = db_->write(
      [&](Tx& tx) {
        n = static_cast<int>(tx.exec(kPrune, {p(static_cast<std::int64_t>(before))}).affected());
        return Status::Ok();
      },
      Isolation::read_committed);
  if (!s.ok()) return s.error();
  return n;
}

}  // namespace hypersdk::store::pg
