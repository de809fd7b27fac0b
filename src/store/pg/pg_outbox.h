// The notification outbox (store/outbox.h) on PostgreSQL: the twin of SqliteOutbox, over the
// same tables (schema/pg/0002 events, 0007 deliveries). Events are written by the PgStore's
// transactions; routing, attempts and the operator's retry here, each one transaction. Several
// nodes may route at once: an event is marked routed only while unrouted, and deliveries are
// unique per (event, receiver), so nothing is routed twice.
// Thread safety: as PgDatabase.
#pragma once

#include <memory>

#include "store/outbox.h"
#include "store/pg/pg_database.h"

namespace hypersdk::store::pg {

class PgOutbox final : public Outbox {
 public:
  explicit PgOutbox(std::shared_ptr<PgDatabase> db) : db_(std::move(db)) {}

  Status event_raise(const std::string& kind, const std::string& severity,
                     const std::string& subject, const std::string& payload_json,
                     core::TimeMs now) override;
  Result<std::vector<Event>> event_unrouted(int limit) override;
  Status event_route(const std::vector<EventRouting>& batch, core::TimeMs now) override;
  Result<std::vector<Delivery>> delivery_due(core::TimeMs now, int limit) override;
  Status delivery_record(const DeliveryOutcome& outcome, core::TimeMs now) override;
  Result<std::vector<Delivery>> delivery_list(const DeliveryFilter& filter) override;
  Result<Delivery> delivery_get(DeliveryId id) override;
  Result<Delivery> delivery_retry(DeliveryId id, core::TimeMs now) override;
  Result<std::vector<DeliveryCount>> delivery_counts() override;
  Result<std::optional<core::TimeMs>> delivery_next_due() override;
  Result<int> delivery_prune(core::TimeMs before) override;

 private:
  std::shared_ptr<PgDatabase> db_;
};

}  // namespace hypersdk::store::pg
