// The notification outbox port (DESIGN §8): routing events into deliveries, the dispatcher's
// reads and attempt records, and the operator's list/show/retry. Its own port beside store.h
// (same rules: each method one transaction, domain words) so that only the notifier and its
// faces depend on it; SqliteOutbox (sqlite_outbox.h) implements it on the job database.
// Thread safety: implementations are safe to call from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/notify_types.h"
#include "store/schedule_types.h"

namespace hypersdk::store {

class Outbox {
 public:
  virtual ~Outbox() = default;
  // Appends an event that no other state change carries (system.disk_low).
  virtual Status event_raise(const std::string& kind, const std::string& severity,
                             const std::string& subject, const std::string& payload_json,
                             core::TimeMs now) = 0;
  // Events the notifier has not routed yet, oldest first.
  virtual Result<std::vector<Event>> event_unrouted(int limit) = 0;
  // For each event of the batch not yet routed: one pending delivery per receiver (due at
  // `now`) and the event marked routed, all in one transaction, so a crash between routing
  // and sending loses nothing and routes nothing twice.
  virtual Status event_route(const std::vector<EventRouting>& batch, core::TimeMs now) = 0;
  // Pending deliveries due at `now` with their event, oldest first.
  virtual Result<std::vector<Delivery>> delivery_due(core::TimeMs now, int limit) = 0;
  // Records one attempt and what follows it (delivered, retry at, failed for good).
  virtual Status delivery_record(const DeliveryOutcome& outcome, core::TimeMs now) = 0;
  // Newest first.
  virtual Result<std::vector<Delivery>> delivery_list(const DeliveryFilter& filter) = 0;
  // With its attempts. Errors: not_found.
  virtual Result<Delivery> delivery_get(DeliveryId id) = 0;
  // A failed delivery is pending again, due now, its history kept. Errors: not_found,
  // conflict (already delivered).
  virtual Result<Delivery> delivery_retry(DeliveryId id, core::TimeMs now) = 0;
  // Deliveries by receiver and status (for metrics).
  virtual Result<std::vector<DeliveryCount>> delivery_counts() = 0;
  // Earliest next attempt among pending deliveries, if any.
  virtual Result<std::optional<core::TimeMs>> delivery_next_due() = 0;
  // Deletes delivered and failed deliveries (and their attempts) finished before `before`:
  // one short transaction of at most a few thousand rows, call again while it returns > 0.
  virtual Result<int> delivery_prune(core::TimeMs before) = 0;
};

}  // namespace hypersdk::store
