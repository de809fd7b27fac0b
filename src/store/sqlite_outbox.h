// The SQLite implementation of the outbox port (outbox.h), on the job database: events are
// written by the job store's transactions, deliveries here (schema/0007_notifications.sql).
// Thread safety: as Database.
#pragma once

#include <memory>

#include "store/database.h"
#include "store/outbox.h"

namespace hypersdk::store {

class SqliteOutbox final : public Outbox {
 public:
  explicit SqliteOutbox(std::shared_ptr<Database> db) : db_(std::move(db)) {}

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
  std::shared_ptr<Database> db_;
};

}  // namespace hypersdk::store
