// The channel adapters (DESIGN §8): what one delivery of an event to one receiver looks like
// on the wire. Webhook: the spec's JSON payload (or a body template), Standard Webhooks
// signature headers, optional X-Hub-Signature-256 and legacy in-body signature. Slack: an
// incoming-webhook message with a colour-coded attachment. PagerDuty: Events API v2 trigger or
// resolve with a stable dedup_key. OpsGenie: Alert API create or close by alias.
// Thread safety: pure functions over their arguments.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "notify/http_post.h"
#include "ops/notify_config.h"
#include "ops/paths.h"
#include "store/notify_types.h"

namespace hypersdk::notify {

// A receiver with its secret references resolved (never logged).
struct Receiver {
  ops::ReceiverConfig config;
  std::string url;
  std::vector<std::string> keys;  // webhook signing keys (decoded whsec_)
  std::string routing_key;
  std::string api_key;
  std::string password;  // email
  // api.public_url without a trailing '/': Slack messages link to the job under it.
  std::string public_url;
};

// Errors: invalid, naming the receiver and field (not the secret), when a reference does
// not resolve or a whsec_ secret is not base64.
Result<Receiver> resolve_receiver(const ops::ReceiverConfig& config, const ops::EnvMap& env);

// The event as the outside world sees it: the stored payload with "id" ("evt-N"), "event"
// and "timestamp" (RFC 3339 UTC of the event).
struct OutgoingEvent {
  std::int64_t id = 0;
  std::string kind;
  std::string severity;
  std::string subject;
  std::string payload;  // JSON object text
  core::TimeMs at = 0;
};
OutgoingEvent outgoing(const store::Delivery& d);

// The request for one attempt at `now_ms` (the signature's timestamp).
HttpRequest build_request(const Receiver& r, const OutgoingEvent& e, core::TimeMs now_ms);

}  // namespace hypersdk::notify
