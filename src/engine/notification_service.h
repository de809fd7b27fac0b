// The operator's face of the notification outbox (list, show, retry) for the API, over the
// store with the engine's clock. Thread safety: as the store.
#pragma once

#include "engine/clock.h"
#include "store/outbox.h"

namespace hypersdk::engine {

class NotificationService {
 public:
  NotificationService(store::Outbox& outbox, const Clock& clock) : store_(outbox), clock_(clock) {}
  Result<std::vector<store::Delivery>> list(const store::DeliveryFilter& f) {
    return store_.delivery_list(f);
  }
  Result<store::Delivery> get(store::DeliveryId id) { return store_.delivery_get(id); }
  Result<store::Delivery> retry(store::DeliveryId id) {
    return store_.delivery_retry(id, clock_.now_ms());
  }

 private:
  store::Outbox& store_;
  const Clock& clock_;
};

}  // namespace hypersdk::engine
