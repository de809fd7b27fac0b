#include "notify/notifier.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <algorithm>
#include <future>
#include <nlohmann/json.hpp>

#include "notify/email.h"
#include "notify/router.h"
#include "ops/log.h"

namespace hypersdk::notify {

using std::chrono::milliseconds;

namespace {
constexpr int kRouteBatch = 500;
constexpr int kSendBatch = 500;

// Equal jitter (d/2 + U(0, d/2)) seeded by (delivery, attempt): reproducible, and deliveries
// that failed together do not retry together.
milliseconds backoff(milliseconds base, milliseconds cap, int attempt, store::DeliveryId id) {
  double d = static_cast<double>(base.count());
  for (int i = 1; i < attempt && d < static_cast<double>(cap.count()); ++i) d *= 2;
  d = std::min(d, static_cast<double>(cap.count()));
  const std::uint64_t h =
      std::hash<std::int64_t>{}(id * 1'000'003 + attempt) * 0x9E3779B97F4A7C15ULL;
  const double u = static_cast<double>(h >> 11) / static_cast<double>(1ULL << 53);
  return milliseconds(static_cast<std::int64_t>(d / 2 + u * d / 2));
}

bool retryable_status(int status) {
  return status >= 500 || status == 408 || status == 429 || status < 200;
}

}  // namespace

struct Notifier::Metrics {
  prometheus::Family<prometheus::Counter>* sent;
  prometheus::Family<prometheus::Histogram>* latency;
  prometheus::Family<prometheus::Gauge>* pending;
};

Result<std::shared_ptr<const NotifyPlan>> make_plan(const ops::Config& c, const ops::EnvMap& env) {
  auto cfg = ops::notify_config(c);
  if (!cfg) return cfg.error();
  auto plan = std::make_shared<NotifyPlan>();
  plan->config = std::move(*cfg);
  for (const auto& [name, rc] : plan->config.receivers) {
    auto r = resolve_receiver(rc, env);
    if (!r) return r.error();
    r->public_url = c.get_string("api.public_url");
    while (!r->public_url.empty() && r->public_url.back() == '/') r->public_url.pop_back();
    plan->receivers.emplace(name, std::move(*r));
  }
  return std::shared_ptr<const NotifyPlan>(std::move(plan));
}

Notifier::Notifier(std::shared_ptr<store::Outbox> outbox, std::shared_ptr<const NotifyPlan> plan,
                   NotifierOptions options)
    : outbox_(std::move(outbox)), options_(std::move(options)), plan_(std::move(plan)) {
  if (!options_.metrics) return;
  auto& reg = options_.metrics->registry();
  metrics_ = std::make_unique<Metrics>();
  metrics_->sent = &prometheus::BuildCounter()
                        .Name("hypersdk_notifications_total")
                        .Help(
                            "Notification delivery attempts by receiver and outcome: "
                            "delivered, retried, failed")
                        .Register(reg);
  metrics_->latency = &prometheus::BuildHistogram()
                           .Name("hypersdk_notification_duration_seconds")
                           .Help("Duration of notification delivery attempts by receiver")
                           .Register(reg);
  metrics_->pending = &prometheus::BuildGauge()
                           .Name("hypersdk_notifications_pending")
                           .Help("Notification deliveries waiting to be sent, by receiver")
                           .Register(reg);
  options_.metrics->add_scrape_hook([this] {
    auto counts = outbox_->delivery_counts();
    if (!counts) return;
    std::map<std::string, double> pending;
    {
      std::lock_guard lock(plan_mu_);
      for (const auto& [name, r] : plan_->receivers) pending[name] = 0;
    }
    for (const auto& c : *counts)
      if (c.status == "pending") pending[c.receiver] += static_cast<double>(c.count);
    for (const auto& [name, n] : pending) metrics_->pending->Add({{"receiver", name}}).Set(n);
  });
}

Notifier::~Notifier() {
  stop();
}

void Notifier::start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Notifier::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  wait_inflight();
}

void Notifier::wait_inflight() {
  for (auto& [name, task] : inflight_) task.wait();
  inflight_.clear();
}

void Notifier::wake_no_later_than(core::TimeMs at) {
  std::lock_guard lock(pace_mu_);
  wake_at_ = wake_at_ == 0 ? at : std::min(wake_at_, at);
}

void Notifier::update(std::shared_ptr<const NotifyPlan> plan) {
  std::lock_guard lock(plan_mu_);
  plan_ = std::move(plan);
}

void Notifier::loop() {
  for (;;) {
    if (Status s = run_once(); !s.ok())
      ops::log::warn("notifier pass failed; trying again", {{"error", s.error().message}});
    // A paced URL's next slot may come before the next poll: wake for it, so the pacing
    // reaches its configured rate.
    milliseconds wait = options_.poll;
    core::TimeMs wake_at = 0;
    {
      std::lock_guard lock(pace_mu_);
      wake_at = wake_at_;
    }
    if (wake_at > 0)
      wait = std::clamp(milliseconds(wake_at - options_.now()), milliseconds(1), wait);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [this] { return !running_; });
    if (!running_) return;
  }
}

Status Notifier::route_new(const NotifyPlan& plan) {
  for (;;) {
    auto events = outbox_->event_unrouted(kRouteBatch);
    if (!events) return events.error();
    if (events->empty()) return Status::Ok();
    std::vector<store::EventRouting> batch;
    batch.reserve(events->size());
    for (const auto& e : *events) batch.push_back({e.id, route_event(plan.config, e)});
    if (Status s = outbox_->event_route(batch, options_.now()); !s.ok()) return s;
    if (static_cast<int>(events->size()) < kRouteBatch) return Status::Ok();
  }
}

Status Notifier::run_once() {
  if (options_.may_run && !options_.may_run()) return Status::Ok();
  std::shared_ptr<const NotifyPlan> plan;
  {
    std::lock_guard lock(plan_mu_);
    plan = plan_;
  }
  if (Status s = route_new(*plan); !s.ok()) return s;
  std::erase_if(inflight_, [](auto& entry) {
    return entry.second.wait_for(milliseconds(0)) == std::future_status::ready;
  });
  {
    std::lock_guard lock(pace_mu_);
    wake_at_ = 0;
  }
  auto due = outbox_->delivery_due(options_.now(), kSendBatch);
  if (!due) return due.error();
  // Per receiver, in due order: single deliveries, then a digest's batch. Digest receivers'
  // non-critical deliveries go out together once the oldest has waited the digest interval;
  // critical ones are sent at once like any other.
  std::map<std::string, std::vector<std::vector<store::Delivery>>> work;
  std::map<std::string, std::vector<store::Delivery>> digests;
  for (const auto& d : *due) {
    if (inflight_.count(d.receiver)) continue;  // its task still runs: pending until it ends
    auto r = plan->receivers.find(d.receiver);
    if (r != plan->receivers.end() && r->second.config.digest.count() > 0 &&
        d.severity != "critical") {
      digests[d.receiver].push_back(d);
      continue;
    }
    work[d.receiver].push_back({d});
  }
  for (auto& [name, list] : digests) {
    core::TimeMs oldest = list.front().created_at;
    for (const auto& d : list) oldest = std::min(oldest, d.created_at);
    const auto at = oldest + plan->receivers.at(name).config.digest.count();
    if (at <= options_.now())
      work[name].push_back(std::move(list));
    else
      wake_no_later_than(at);
  }
  for (auto& [name, batches] : work) {
    inflight_[name] = std::async(std::launch::async, [this, plan, batches = std::move(batches)] {
      for (const auto& batch : batches) {
        if (stopping_) return;  // the rest stays pending for the next start
        // No longer the leader: the rest stays pending for the one that is now.
        if (options_.may_run && !options_.may_run()) return;
        send(*plan, batch, options_.now());
      }
    });
  }
  return Status::Ok();
}

void Notifier::observe(const std::string& receiver, const char* outcome, milliseconds latency) {
  if (!metrics_) return;
  metrics_->sent->Add({{"receiver", receiver}, {"outcome", outcome}}).Increment();
  metrics_->latency
      ->Add({{"receiver", receiver}},
            prometheus::Histogram::BucketBoundaries{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})
      .Observe(static_cast<double>(latency.count()) / 1000.0);
}

// Email as one message, else the request of the channel (one delivery).
HttpResult Notifier::transmit(const Receiver& r, const std::vector<store::Delivery>& batch,
                              core::TimeMs now, bool& paced) {
  paced = false;
  if (r.config.type == "email") {
    std::vector<EmailItem> items;
    for (const auto& d : batch) {
      EmailItem item{outgoing(d), ""};
      const auto p = nlohmann::json::parse(d.payload, nullptr, false);
      if (options_.job_log && p.is_object() && p.contains("job") && p["job"].is_object())
        if (auto id = core::parse_job_id(p["job"].value("id", "")))
          item.job_log = options_.job_log(*id);
      items.push_back(std::move(item));
    }
    return send_email(r, items, now);
  }
  const HttpRequest req = build_request(r, outgoing(batch.front()), now);
  if (r.config.rate_per_second > 0) {
    std::lock_guard lock(pace_mu_);
    core::TimeMs& next = url_next_[req.url];
    if (now < next) {  // paced: sent in a later pass, never dropped
      wake_at_ = wake_at_ == 0 ? next : std::min(wake_at_, next);
      paced = true;
      return {};
    }
    next = now + static_cast<core::TimeMs>(1000.0 / r.config.rate_per_second);
  }
  return http_post(req);
}

void Notifier::send(const NotifyPlan& plan, const std::vector<store::Delivery>& batch,
                    core::TimeMs now) {
  const store::Delivery& first = batch.front();
  auto record = [&](const store::Delivery& d, store::DeliveryOutcome o) {
    o.id = d.id;
    o.attempt.attempt = d.attempts + 1;
    o.attempt.at = now;
    // The receiver's own retry settings, else notifications.retry.*.
    const ops::ReceiverConfig* rc = nullptr;
    if (auto r = plan.receivers.find(d.receiver); r != plan.receivers.end()) rc = &r->second.config;
    const int max_attempts = rc && rc->max_attempts ? *rc->max_attempts : plan.config.max_attempts;
    if (o.next == store::DeliveryOutcome::Next::retry) {
      milliseconds delay = backoff(rc && rc->retry_base ? *rc->retry_base : plan.config.retry_base,
                                   rc && rc->retry_cap ? *rc->retry_cap : plan.config.retry_cap,
                                   o.attempt.attempt, d.id);
      if (o.retry_at > 0) delay = std::max(delay, milliseconds(o.retry_at));
      // From when the answer came, so the wait the receiver asked for is honoured in full;
      // one more millisecond because now() is rounded down to whole milliseconds.
      o.retry_at = options_.now() + delay.count() + 1;
    }
    if (o.next == store::DeliveryOutcome::Next::retry && o.attempt.attempt >= max_attempts)
      o.next = store::DeliveryOutcome::Next::failed;
    if (o.next != store::DeliveryOutcome::Next::delivered)
      ops::log::warn("notification attempt failed",
                     {{"receiver", d.receiver},
                      {"delivery", d.id},
                      {"attempt", o.attempt.attempt},
                      {"error", o.attempt.error},
                      {"will_retry", o.next == store::DeliveryOutcome::Next::retry}});
    if (Status s = outbox_->delivery_record(o, options_.now()); !s.ok())
      ops::log::error("recording a notification attempt failed; it will be sent again",
                      {{"delivery", d.id}, {"error", s.error().message}});
    return o.next;
  };
  auto it = plan.receivers.find(first.receiver);
  if (it == plan.receivers.end()) {
    store::DeliveryOutcome o;
    o.next = store::DeliveryOutcome::Next::failed;
    o.attempt.error = "receiver '" + first.receiver + "' is no longer configured";
    for (const auto& d : batch) record(d, o);
    return;
  }
  const Receiver& r = it->second;
  ReceiverState& state = [&]() -> ReceiverState& {
    std::lock_guard lock(state_mu_);
    return receivers_[first.receiver];
  }();
  if (now < state.open_until) return;  // breaker open: waits, no attempt counted
  bool paced = false;
  const HttpResult res = transmit(r, batch, now, paced);
  if (paced) return;
  store::DeliveryOutcome o;
  o.attempt.http_status = res.status;
  o.attempt.latency_ms = res.latency.count();
  const bool ok = res.status && *res.status >= 200 && *res.status < 300;
  if (ok) {
    o.next = store::DeliveryOutcome::Next::delivered;
    state.failures_in_row = 0;
    state.open_until = 0;
  } else {
    const bool email = r.config.type == "email";
    o.attempt.error = !res.error.empty() ? res.error
                      : email            ? "SMTP " + std::to_string(*res.status)
                                         : "HTTP " + std::to_string(*res.status) +
                                    (res.body.empty() ? "" : ": " + res.body.substr(0, 200));
    // SMTP: 4xx is transient, 5xx permanent; HTTP: see retryable_status.
    const bool retryable =
        !res.status || (email ? *res.status / 100 == 4 : retryable_status(*res.status));
    o.next = retryable ? store::DeliveryOutcome::Next::retry : store::DeliveryOutcome::Next::failed;
    o.retry_at = res.retry_after ? res.retry_after->count() : 0;  // a minimum, made absolute
    if (++state.failures_in_row >= plan.config.breaker_failures) {
      state.open_until = now + plan.config.breaker_cooldown.count();
      ops::log::warn("notification receiver failing; pausing it",
                     {{"receiver", first.receiver},
                      {"failures_in_row", state.failures_in_row},
                      {"cooldown_ms", plan.config.breaker_cooldown.count()}});
    }
  }
  for (const auto& d : batch) {
    const auto next = record(d, o);
    observe(d.receiver,
            next == store::DeliveryOutcome::Next::delivered ? "delivered"
            : next == store::DeliveryOutcome::Next::retry   ? "retried"
                                                            : "failed",
            res.latency);
  }
}

}  // namespace hypersdk::notify
