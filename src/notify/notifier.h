// The notifier of serve (DESIGN §8): one thread that (1) routes new events, in id order,
// into outbox deliveries (store.event_route: the event's routed mark is the durable cursor,
// written with the deliveries in one transaction) and (2) sends due deliveries through their
// channel, recording every attempt. Per receiver: exponential backoff with jitter between
// attempts (Retry-After honoured when longer), a circuit breaker (after N failed attempts in
// a row the receiver pauses for the cooldown, then one trial attempt), and pacing per URL
// (rate_per_second). 2xx delivers; 4xx other than 408 and 429 fails at once (retrying cannot
// help); anything else is retried until notifications.retry.max_attempts, then fails.
// Deliveries are at-least-once: a crash after the send and before the record sends again,
// with the same webhook-id ("evt-N") so receivers can de-duplicate. On several nodes only the
// leader routes and sends (NotifierOptions::may_run).
// Receivers are independent: each pass hands a receiver's due deliveries to a task of its own
// and does not wait for it, so a slow receiver (up to its timeout, until its breaker opens)
// delays only itself. A receiver with a task in flight is skipped until the task ends; its
// deliveries stay pending meanwhile, so each receiver still gets its deliveries in order.
// Thread safety: start/stop/update from the owning thread; send_test from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "notify/channels.h"
#include "ops/metrics.h"
#include "ops/notify_config.h"
#include "store/outbox.h"

namespace hypersdk::notify {

// The notification config with its receivers' secrets resolved.
struct NotifyPlan {
  ops::NotifyConfig config;
  std::map<std::string, Receiver> receivers;
};
// Errors: invalid, naming the key (never a secret's value).
Result<std::shared_ptr<const NotifyPlan>> make_plan(const ops::Config& c, const ops::EnvMap& env);

struct NotifierOptions {
  std::function<core::TimeMs()> now;  // wall clock, ms
  std::chrono::milliseconds poll{250};
  ops::Metrics* metrics = nullptr;  // may be null
  // The log of a job, attached to emails about it; may be empty (no attachment).
  std::function<std::string(core::JobId)> job_log;
  // Several nodes on one database (issue 17 item 2): routing and sending run on the leader
  // only, asked before each routing pass and before each send (LeaderElector::may_run), so
  // two nodes never send the same delivery; a leader that lost its lease sends at most the
  // attempt in flight again elsewhere, with the same webhook-id. Empty: always (tests).
  std::function<bool()> may_run;
};

class Notifier {
 public:
  Notifier(std::shared_ptr<store::Outbox> outbox, std::shared_ptr<const NotifyPlan> plan,
           NotifierOptions options);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void start();
  void stop();  // idempotent; an attempt in flight finishes (bounded by its timeout)
  // A reload: new receivers and routes for what follows.
  void update(std::shared_ptr<const NotifyPlan> plan);
  // One pass: route what is new and hand what is due to the receivers' tasks, without waiting
  // for them (the loop's step).
  Status run_once();
  store::Outbox& outbox() { return *outbox_; }

 private:
  struct ReceiverState {
    int failures_in_row = 0;
    core::TimeMs open_until = 0;  // breaker open while now < open_until
  };
  void loop();
  Status route_new(const NotifyPlan& plan);
  // One attempt for the batch (one delivery, or an email digest's), recorded for each.
  void send(const NotifyPlan& plan, const std::vector<store::Delivery>& batch, core::TimeMs now);
  HttpResult transmit(const Receiver& r, const std::vector<store::Delivery>& batch,
                      core::TimeMs now, bool& paced);
  void observe(const std::string& receiver, const char* outcome, std::chrono::milliseconds latency);

  std::shared_ptr<store::Outbox> outbox_;
  NotifierOptions options_;
  std::mutex plan_mu_;
  std::shared_ptr<const NotifyPlan> plan_;  // GUARDED_BY(plan_mu_)
  void wait_inflight();
  void wake_no_later_than(core::TimeMs at);

  // Touched by the notifier thread only: a receiver's task in flight, if any.
  std::map<std::string, std::future<void>> inflight_;
  // Each entry is touched only by its receiver's task (one at a time); the map itself only
  // grows, under state_mu_, so a reference into it stays valid.
  std::mutex state_mu_;
  std::map<std::string, ReceiverState> receivers_;  // GUARDED_BY(state_mu_) (the map)
  std::mutex pace_mu_;
  std::map<std::string, core::TimeMs> url_next_;  // GUARDED_BY(pace_mu_): next send per URL
  core::TimeMs wake_at_ = 0;  // GUARDED_BY(pace_mu_): earliest send put off; 0 = none
  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;               // GUARDED_BY(mu_)
  std::atomic<bool> stopping_{false};  // read by the receivers' tasks
  std::thread thread_;
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace hypersdk::notify
