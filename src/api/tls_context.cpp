#include "api/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstdio>

#include "ops/bounded_file.h"

namespace hypersdk::api {
namespace {

// TLS 1.2 suites: ECDHE key exchange (forward secrecy) with AES-GCM or ChaCha20-Poly1305,
// as Mozilla's "intermediate" profile. TLS 1.3 uses OpenSSL's defaults, all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

}  // namespace

TlsCredentials::~TlsCredentials() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
  if (chain_) sk_X509_pop_free(chain_, X509_free);
}

Result<std::shared_ptr<const TlsCredentials>> TlsCredentials::load(const std::string& cert_path,
                                                                   const std::string& key_path) {
  // Bounded reads: OpenSSL would read a FIFO or /dev/zero without end.
  auto cert_pem =
      ops::read_bounded_file(cert_path, ops::kMaxSecretFileBytes * 16, "TLS certificate");
  if (!cert_pem)
    return make_error(ErrorClass::invalid, "api.tls.cert: " + cert_pem.error().message);
  auto key_pem = ops::read_bounded_file(key_path, ops::kMaxSecretFileBytes * 16, "TLS key");
  if (!key_pem) return make_error(ErrorClass::invalid, "api.tls.key: " + key_pem.error().message);

  std::shared_ptr<TlsCredentials> out(new TlsCredentials());
  ERR_clear_error();
  std::unique_ptr<BIO, BioFree> cb(
      BIO_new_mem_buf(cert_pem->data(), static_cast<int>(cert_pem->size())));
  out->cert_ = PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr);
  if (out->cert_ == nullptr)
    return make_error(
        ErrorClass::invalid,
        "api.tls.cert: '" + cert_path + "' holds no PEM certificate (" + openssl_reason() + ")");
  out->chain_ = sk_X509_new_null();
  while (X509* extra = PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr))
    sk_X509_push(out->chain_, extra);
  ERR_clear_error();  // the loop ends on "no start line"
  std::unique_ptr<BIO, BioFree> kb(
      BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
  out->key_ = PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr);
  if (out->key_ == nullptr)
    return make_error(ErrorClass::invalid, "api.tls.key: '" + key_path +
                                               "' holds no unencrypted PEM private key (" +
                                               openssl_reason() + ")");
  if (X509_check_private_key(out->cert_, out->key_) != 1) {
    ERR_clear_error();
    return make_error(ErrorClass::invalid, "api.tls.key: '" + key_path +
                                               "' is not the private key of the certificate '" +
                                               cert_path + "'");
  }
  return std::shared_ptr<const TlsCredentials>(std::move(out));
}

bool TlsCredentials::use_on(SSL* ssl) const {
  return SSL_use_cert_and_key(ssl, cert_, key_, chain_, 1) == 1;
}

bool TlsCredentials::use_on(SSL_CTX* ctx) const {
  return SSL_CTX_use_cert_and_key(ctx, cert_, key_, chain_, 1) == 1;
}

bool TlsContext::configure(SSL_CTX& ctx) {
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                SSL_OP_CIPHER_SERVER_PREFERENCE |
                                SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1) return false;
  if (SSL_CTX_set_cipher_list(&ctx, kTls12Ciphers) != 1) return false;
  if (!current()->use_on(&ctx)) return false;
  SSL_CTX_set_client_hello_cb(&ctx, &TlsContext::on_client_hello, this);
  return true;
}

void TlsContext::replace(std::shared_ptr<const TlsCredentials> next) {
  std::lock_guard lock(mu_);
  current_ = std::move(next);
}

std::shared_ptr<const TlsCredentials> TlsContext::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

int TlsContext::on_client_hello(SSL* ssl, int* alert, void* arg) {
  // SSL_use_cert_and_key copies (up-refs) what it needs, so the credentials may be replaced
  // and freed while this connection lives.
  if (static_cast<TlsContext*>(arg)->current()->use_on(ssl)) return SSL_CLIENT_HELLO_SUCCESS;
  *alert = SSL_AD_INTERNAL_ERROR;
  return SSL_CLIENT_HELLO_ERROR;
}

}  // namespace hypersdk::api
