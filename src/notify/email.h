// The email channel (DESIGN §8): one message over SMTP through libcurl (STARTTLS required
// unless the receiver says tls: none; smtps:// for implicit TLS; AUTH when a username is set),
// multipart: a plain-text and an HTML summary of one or more events (a digest) and each job's
// log attached, with Date and Message-ID headers. The SSRF guard applies as for webhooks.
// Thread safety: each call is independent.
#pragma once

#include <string>
#include <vector>

#include "notify/channels.h"
#include "notify/http_post.h"

namespace hypersdk::notify {

struct EmailItem {
  OutgoingEvent event;
  std::string job_log;  // attached when not empty
};

// status = the server's last SMTP reply code (250 when accepted); none with `error` when the
// transfer failed (no server, refused address, STARTTLS not offered, AUTH refused).
HttpResult send_email(const Receiver& r, const std::vector<EmailItem>& items, core::TimeMs now_ms);

}  // namespace hypersdk::notify
