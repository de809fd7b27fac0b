// The HTTPS side of the API server: a certificate and key loaded from PEM files, and the
// OpenSSL settings every connection gets: TLS 1.2 at the least, forward-secret AEAD ciphers
// only for TLS 1.2 (TLS 1.3's suites are all modern), no renegotiation, no compression, the
// server's cipher order.
//
// The certificate can be replaced while serving (SIGHUP): each new connection takes the
// credentials current at its ClientHello (a callback sets them on that connection alone), so
// connections already open keep theirs and none is dropped.
//
// Thread safety: replace() and the callback may run on any threads at the same time.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

#include "core/error.h"

namespace hypersdk::api {

// A certificate chain and its private key. Immutable once loaded.
class TlsCredentials {
 public:
  // Reads the PEM certificate (leaf first, then intermediates) and the PEM key; error
  // invalid naming the file when one does not load or the key does not match the
  // certificate.
  static Result<std::shared_ptr<const TlsCredentials>> load(const std::string& cert_path,
                                                            const std::string& key_path);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;

  // Puts these credentials on one connection (or, with ssl == nullptr, on `ctx`).
  bool use_on(SSL* ssl) const;
  bool use_on(SSL_CTX* ctx) const;

 private:
  TlsCredentials() = default;
  X509* cert_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  STACK_OF(X509) * chain_ = nullptr;
};

class TlsContext {
 public:
  explicit TlsContext(std::shared_ptr<const TlsCredentials> initial)
      : current_(std::move(initial)) {}

  // Applies the protocol settings and the credentials to a fresh SSL_CTX and installs the
  // per-connection callback. REQUIRES: *this outlives ctx.
  bool configure(SSL_CTX& ctx);

  // The credentials for connections that start from now on.
  void replace(std::shared_ptr<const TlsCredentials> next);

 private:
  static int on_client_hello(SSL* ssl, int* alert, void* arg);
  std::shared_ptr<const TlsCredentials> current() const;

  mutable std::mutex mu_;
  std::shared_ptr<const TlsCredentials> current_;  // GUARDED_BY(mu_)
};

}  // namespace hypersdk::api
