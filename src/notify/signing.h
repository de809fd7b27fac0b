// Signatures a webhook receiver can check (DESIGN §8): Standard Webhooks
// (https://www.standardwebhooks.com: webhook-id, webhook-timestamp, webhook-signature
// "v1,<base64 HMAC-SHA256 of id.timestamp.body>" keyed by the base64 part of a "whsec_"
// secret, several space-separated during key rotation) and GitHub's X-Hub-Signature-256.
// Pure functions over OpenSSL.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace hypersdk::notify {

std::string base64_encode(const std::string& bytes);
Result<std::string> base64_decode(const std::string& text);
std::string hmac_sha256(const std::string& key, const std::string& message);  // raw bytes
std::string hex(const std::string& bytes);

// The key a secret stands for: the decoded base64 after "whsec_"; a secret without the
// prefix is used as raw bytes. Errors: invalid (bad base64 after whsec_).
Result<std::string> webhook_key(const std::string& secret);

// "v1,<sig> v1,<sig2>": one signature per key.
std::string standard_signature(const std::vector<std::string>& keys, const std::string& msg_id,
                               long long timestamp_s, const std::string& body);

// "sha256=<hex HMAC-SHA256 of body>".
std::string hub_signature(const std::string& key, const std::string& body);

}  // namespace hypersdk::notify
