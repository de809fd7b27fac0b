// The notification outbox of the SQLite store: routing events into deliveries, the
// dispatcher's claims and attempt records, and the operator's list/show/retry.
#include <algorithm>

#include "store/event_row.h"
#include "store/sqlite_outbox.h"

namespace hypersdk::store {

namespace {

constexpr const char* kUnrouted =
    "SELECT id, kind, severity, subject, payload, created_at FROM events"
    " INDEXED BY events_undispatched WHERE dispatched_at IS NULL ORDER BY id LIMIT ?";
// Only an event not yet routed is routed: a second notifier that read the same batch writes
// nothing twice (the UNIQUE(event_id, receiver) backs this up).
constexpr const char* kMarkRouted =
    "UPDATE events SET dispatched_at = ?1 WHERE id = ?2 AND dispatched_at IS NULL"
    " RETURNING kind";
constexpr const char* kInsertDelivery =
    "INSERT OR IGNORE INTO deliveries (event_id, receiver, event_kind, status, next_attempt_at,"
    " created_at) VALUES (?1, ?2, ?3, 'pending', ?4, ?4)";
#define HYPERSDK_DELIVERY_COLUMNS                                                               \
  "d.id, d.event_id, d.receiver, d.event_kind, d.status, d.attempts, d.next_attempt_at, "       \
  "d.created_at, d.finished_at, coalesce(d.last_error, ''), e.severity, e.subject, e.payload, " \
  "e.created_at"
constexpr const char* kDue =
    "SELECT " HYPERSDK_DELIVERY_COLUMNS
    " FROM deliveries d INDEXED BY deliveries_pending JOIN events e ON e.id = d.event_id"
    " WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 ORDER BY d.next_attempt_at, d.id"
    " LIMIT ?2";
constexpr const char* kNextDue =
    "SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'";
constexpr const char* kInsertAttempt =
    "INSERT OR REPLACE INTO delivery_attempts (delivery_id, attempt, at, http_status, latency_ms,"
    " error) VALUES (?, ?, ?, ?, ?, ?)";
constexpr const char* kFinish =
    "UPDATE deliveries SET status = ?1, attempts = ?2, finished_at = ?3, last_error = ?4"
    " WHERE id = ?5 AND status = 'pending'";
constexpr const char* kReschedule =
    "UPDATE deliveries SET attempts = ?1, next_attempt_at = ?2, last_error = ?3"
    " WHERE id = ?4 AND status = 'pending'";
constexpr const char* kById =
    "SELECT " HYPERSDK_DELIVERY_COLUMNS
    " FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = ?";
constexpr const char* kAttempts =
    "SELECT attempt, at, http_status, latency_ms, coalesce(error, '') FROM delivery_attempts"
    " WHERE delivery_id = ? ORDER BY attempt";
constexpr const char* kList = "SELECT " HYPERSDK_DELIVERY_COLUMNS
                              " FROM deliveries d JOIN events e ON e.id = d.event_id"
                              " WHERE (?1 = '' OR d.status = ?1) AND (?2 = '' OR d.event_kind = ?2)"
                              " AND (?3 = '' OR d.receiver = ?3) ORDER BY d.id DESC LIMIT ?4";
constexpr const char* kRetry =
    "UPDATE deliveries SET status = 'pending', next_attempt_at = ?1, finished_at = NULL"
    " WHERE id = ?2";
constexpr const char* kCounts =
    "SELECT receiver, status, count(*) FROM deliveries GROUP BY receiver, status";
constexpr const char* kPrune =
    "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE status <> 'pending'"
    " AND finished_at < ? LIMIT 5000)";

Delivery read_delivery(SQLite::Statement& st) {
  Delivery d;
  d.id = st.getColumn(0).getInt64();
  d.event_id = st.getColumn(1).getInt64();
  d.receiver = st.getColumn(2).getString();
  d.event_kind = st.getColumn(3).getString();
  d.status = st.getColumn(4).getString();
  d.attempts = st.getColumn(5).getInt();
  d.next_attempt_at = st.getColumn(6).getInt64();
  d.created_at = st.getColumn(7).getInt64();
  if (!st.getColumn(8).isNull()) d.finished_at = st.getColumn(8).getInt64();
  d.last_error = st.getColumn(9).getString();
  d.severity = st.getColumn(10).getString();
  d.subject = st.getColumn(11).getString();
  d.payload = st.getColumn(12).getString();
  d.event_at = st.getColumn(13).getInt64();
  return d;
}

Error no_such_delivery(DeliveryId id) {
  return make_error(ErrorClass::not_found, "no notification delivery " + std::to_string(id));
}

std::optional<Delivery> get_in(Connection& c, DeliveryId id) {
  auto& st = c.stmt(kById);
  st.bind(1, static_cast<std::int64_t>(id));
  if (!st.executeStep()) return std::nullopt;
  Delivery d = read_delivery(st);
  auto& a = c.stmt(kAttempts);
  a.bind(1, static_cast<std::int64_t>(id));
  while (a.executeStep()) {
    DeliveryAttempt at;
    at.attempt = a.getColumn(0).getInt();
    at.at = a.getColumn(1).getInt64();
    if (!a.getColumn(2).isNull()) at.http_status = a.getColumn(2).getInt();
    at.latency_ms = a.getColumn(3).getInt64();
    at.error = a.getColumn(4).getString();
    d.history.push_back(std::move(at));
  }
  return d;
}

}  // namespace

Status SqliteOutbox::event_raise(const std::string& kind, const std::string& severity,
                                 const std::string& subject, const std::string& payload_json,
                                 core::TimeMs now) {
  return db_->write([&](Connection& c) {
    detail::event_insert(c, kind, severity, subject, payload_json, now);
    return Status::Ok();
  });
}

Result<std::vector<Event>> SqliteOutbox::event_unrouted(int limit) {
  std::vector<Event> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kUnrouted);
    st.bind(1, std::clamp(limit, 1, 1000));
    while (st.executeStep())
      out.push_back({st.getColumn(0).getInt64(), st.getColumn(1).getString(),
                     st.getColumn(2).getString(), st.getColumn(3).getString(),
                     st.getColumn(4).getString(), st.getColumn(5).getInt64()});
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status SqliteOutbox::event_route(const std::vector<EventRouting>& batch, core::TimeMs now) {
  if (batch.empty()) return Status::Ok();
  return db_->write([&](Connection& c) {
    for (const auto& r : batch) {
      auto& mark = c.stmt(kMarkRouted);
      mark.bind(1, static_cast<std::int64_t>(now));
      mark.bind(2, static_cast<std::int64_t>(r.event_id));
      if (!mark.executeStep()) continue;  // routed already
      const std::string kind = mark.getColumn(0).getString();
      for (const auto& receiver : r.receivers) {
        auto& st = c.stmt(kInsertDelivery);
        st.bind(1, static_cast<std::int64_t>(r.event_id));
        st.bind(2, receiver);
        st.bind(3, kind);
        st.bind(4, static_cast<std::int64_t>(now));
        st.exec();
      }
    }
    return Status::Ok();
  });
}

Result<std::vector<Delivery>> SqliteOutbox::delivery_due(core::TimeMs now, int limit) {
  std::vector<Delivery> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kDue);
    st.bind(1, static_cast<std::int64_t>(now));
    st.bind(2, std::clamp(limit, 1, 1000));
    while (st.executeStep()) out.push_back(read_delivery(st));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status SqliteOutbox::delivery_record(const DeliveryOutcome& o, core::TimeMs now) {
  return db_->write([&](Connection& c) {
    auto& a = c.stmt(kInsertAttempt);
    a.bind(1, static_cast<std::int64_t>(o.id));
    a.bind(2, o.attempt.attempt);
    a.bind(3, static_cast<std::int64_t>(o.attempt.at));
    if (o.attempt.http_status)
      a.bind(4, *o.attempt.http_status);
    else
      a.bind(4);
    a.bind(5, static_cast<std::int64_t>(o.attempt.latency_ms));
    if (o.attempt.error.empty())
      a.bind(6);
    else
      a.bind(6, o.attempt.error);
    a.exec();
    if (o.next == DeliveryOutcome::Next::retry) {
      auto& st = c.stmt(kReschedule);
      st.bind(1, o.attempt.attempt);
      st.bind(2, static_cast<std::int64_t>(o.retry_at));
      st.bind(3, o.attempt.error);
      st.bind(4, static_cast<std::int64_t>(o.id));
      st.exec();
      return Status::Ok();
    }
    auto& st = c.stmt(kFinish);
    st.bind(1, o.next == DeliveryOutcome::Next::delivered ? "delivered" : "failed");
    st.bind(2, o.attempt.attempt);
    st.bind(3, static_cast<std::int64_t>(now));
    if (o.attempt.error.empty())
      st.bind(4);
    else
      st.bind(4, o.attempt.error);
    st.bind(5, static_cast<std::int64_t>(o.id));
    st.exec();
    return Status::Ok();
  });
}

Result<std::vector<Delivery>> SqliteOutbox::delivery_list(const DeliveryFilter& f) {
  std::vector<Delivery> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kList);
    st.bind(1, f.status);
    st.bind(2, f.event_kind);
    st.bind(3, f.receiver);
    st.bind(4, std::clamp(f.limit, 1, 1000));
    while (st.executeStep()) out.push_back(read_delivery(st));
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Delivery> SqliteOutbox::delivery_get(DeliveryId id) {
  std::optional<Delivery> out;
  Status s = db_->read([&](Connection& c) {
    out = get_in(c, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  if (!out) return no_such_delivery(id);
  return std::move(*out);
}

Result<Delivery> SqliteOutbox::delivery_retry(DeliveryId id, core::TimeMs now) {
  std::optional<Delivery> out;
  Status s = db_->write([&](Connection& c) -> Status {
    auto d = get_in(c, id);
    if (!d) return Status(no_such_delivery(id));
    if (d->status == "delivered")
      return Status(make_error(ErrorClass::conflict, "notification delivery " + std::to_string(id) +
                                                         " was delivered already; only failed or "
                                                         "pending ones can be retried"));
    auto& st = c.stmt(kRetry);
    st.bind(1, static_cast<std::int64_t>(now));
    st.bind(2, static_cast<std::int64_t>(id));
    st.exec();
    out = get_in(c, id);
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return std::move(*out);
}

Result<std::vector<DeliveryCount>> SqliteOutbox::delivery_counts() {
  std::vector<DeliveryCount> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kCounts);
    while (st.executeStep())
      out.push_back(
          {st.getColumn(0).getString(), st.getColumn(1).getString(), st.getColumn(2).getInt64()});
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<std::optional<core::TimeMs>> SqliteOutbox::delivery_next_due() {
  std::optional<core::TimeMs> out;
  Status s = db_->read([&](Connection& c) {
    auto& st = c.stmt(kNextDue);
    if (st.executeStep() && !st.getColumn(0).isNull()) out = st.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<int> SqliteOutbox::delivery_prune(core::TimeMs before) {
  int n = 0;
  Status s = db_->write([&](Connection& c) {
    auto& st = c.stmt(kPrune);
    st.bind(1, static_cast<std::int64_t>(before));
    n = st.exec();
    return Status::Ok();
  });
  if (!s.ok()) return s.error();
  return n;
}

}  // namespace hypersdk::store
