// HTTPS transport of the vim25 SOAP API (libcurl): one reused connection per client, the
// vmware_soap_session cookie kept between calls, TLS verified against a CA file (or the
// system store), or pinned to the SHA-256 thumbprint of the server's certificate, or not
// verified at all when the config says `insecure: true`. SOAP faults and transport errors are
// mapped to error classes:
//   InvalidLogin, NoPermission, NotAuthenticated -> auth   ManagedObjectNotFound -> not_found
//   InvalidArgument, InvalidRequest, InvalidState ... -> invalid   other faults -> internal
//   refused, reset, DNS, HTTP 5xx without a fault -> network   timeouts -> timeout
//   certificate not trusted / thumbprint mismatch -> auth (the server failed to prove who
//   it is), flagged as tls_failure() so a diagnosis can say so.
// Thread safety: one thread at a time per client (a curl easy handle is not shareable).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"
#include "vsphere/xml.h"

namespace hypersdk::vsphere {

struct TlsOptions {
  std::string ca_file;     // PEM CA bundle; empty with no thumbprint = the system store
  std::string thumbprint;  // "AB:CD:..." SHA-256 of the leaf certificate (DER)
  bool insecure = false;   // no verification at all (said explicitly in the config)
};

// What the last failed call was: the SOAP fault's type ("InvalidLogin", ...) or empty, and
// whether TLS verification failed.
struct CallFailure {
  std::string fault;
  bool tls = false;
  bool transport = false;  // never reached the server (connect, DNS, TLS)
};

class SoapClient {
 public:
  SoapClient(std::string url, TlsOptions tls, std::chrono::seconds timeout);
  ~SoapClient();
  SoapClient(const SoapClient&) = delete;
  SoapClient& operator=(const SoapClient&) = delete;

  // Posts one envelope whose Body holds `body` (vim25 XML); returns the parsed answer's first
  // element inside Body. On error, failure() says what kind.
  Result<XmlDoc> call(const std::string& body);
  const CallFailure& failure() const { return failure_; }

  // GETs `url` into `fd` with the session cookie, calling `progress(bytes)` as data arrives;
  // `progress` returning false aborts (class cancelled). Returns the bytes written.
  Result<std::uint64_t> download(const std::string& url, int fd,
                                 const std::function<bool(std::uint64_t)>& progress);

  void forget_session();  // drops the cookie (before a new login)
  const std::string& url() const { return url_; }

 private:
  struct Curl;
  void configure(void* easy);
  Error transport_error(int code, const std::string& what);

  std::string url_;
  TlsOptions tls_;
  std::chrono::seconds timeout_;
  std::unique_ptr<Curl> curl_;
  std::string cookie_;  // "vmware_soap_session=..."
  CallFailure failure_;
};

// The class of a vim25 fault type ("InvalidLogin" -> auth, ...; see the table above).
ErrorClass fault_class(const std::string& fault);

// "AB:CD:..." (any case, with or without colons) as 64 lowercase hex digits; "" if malformed.
std::string normalize_thumbprint(const std::string& t);

}  // namespace hypersdk::vsphere
