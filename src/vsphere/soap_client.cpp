#include "vsphere/soap_client.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>

#include "vsphere/soap_answer.h"

namespace hypersdk::vsphere {

namespace {

constexpr const char* kEnvelopeHead =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>";
constexpr const char* kEnvelopeTail = "</soapenv:Body></soapenv:Envelope>";

size_t append_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// Keeps the session cookie the server sets at Login (and renews on any answer).
size_t take_cookie(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  constexpr std::string_view kName = "set-cookie:";
  if (line.size() > kName.size()) {
    std::string head = line.substr(0, kName.size());
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (head == kName) {
      std::string v = line.substr(kName.size());
      const auto b = v.find_first_not_of(' ');
      v = b == std::string::npos ? "" : v.substr(b);
      v = v.substr(0, v.find_first_of(";\r\n"));
      if (v.rfind("vmware_soap_session=", 0) == 0) *static_cast<std::string*>(user) = v;
    }
  }
  return size * n;
}

}  // namespace

ErrorClass fault_class(const std::string& fault) {
  static const std::set<std::string> kAuth{"InvalidLogin", "NotAuthenticated", "NoPermission",
                                           "NoClientCertificate", "InvalidClientCertificate"};
  static const std::set<std::string> kNotFound{"ManagedObjectNotFound", "NotFound", "FileNotFound",
                                               "InvalidDatastorePath"};
  static const std::set<std::string> kInvalid{"InvalidArgument",   "InvalidRequest", "InvalidState",
                                              "InvalidPowerState", "InvalidName",    "InvalidType",
                                              "MethodNotFound",    "NotSupported"};
  static const std::set<std::string> kTransient{"TaskInProgress", "ConcurrentAccess",
                                                "HostCommunication", "ResourceInUse"};
  if (kAuth.count(fault)) return ErrorClass::auth;
  if (kNotFound.count(fault)) return ErrorClass::not_found;
  if (kInvalid.count(fault)) return ErrorClass::invalid;
  if (kTransient.count(fault)) return ErrorClass::transient;
  if (fault == "RequestCanceled") return ErrorClass::cancelled;
  return ErrorClass::internal;
}

namespace {

struct PinArg {
  std::string thumbprint;  // 64 lowercase hex
};

// Replaces OpenSSL's chain verification: the leaf certificate's SHA-256 must be the pinned
// one (what vSphere shows as the certificate's thumbprint). Runs during the handshake, so
// nothing is sent to a server that does not match.
int verify_pinned(X509_STORE_CTX* store, void* arg) {
  X509* cert = X509_STORE_CTX_get0_cert(store);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!cert || X509_digest(cert, EVP_sha256(), md, &len) != 1) return 0;
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  if (hex == static_cast<PinArg*>(arg)->thumbprint) return 1;
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_UNTRUSTED);
  return 0;
}

CURLcode pin_ssl_ctx(CURL*, void* ssl_ctx, void* arg) {
  SSL_CTX_set_cert_verify_callback(static_cast<SSL_CTX*>(ssl_ctx), verify_pinned, arg);
  return CURLE_OK;
}

}  // namespace

std::string normalize_thumbprint(const std::string& t) {
  std::string hex;
  for (char c : t) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return hex.size() == 64 ? hex : "";
}

struct SoapClient::Curl {
  CURL* easy = nullptr;
  PinArg pin;
  ~Curl() {
    if (easy) curl_easy_cleanup(easy);
  }
};

SoapClient::SoapClient(std::string url, TlsOptions tls, std::chrono::seconds timeout)
    : url_(std::move(url)), tls_(std::move(tls)), timeout_(timeout), curl_(new Curl) {
  curl_->pin.thumbprint = normalize_thumbprint(tls_.thumbprint);
  // Before any handle exists; curl_easy_init would otherwise do it without a lock.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

SoapClient::~SoapClient() = default;

void SoapClient::forget_session() {
  cookie_.clear();
}

void SoapClient::configure(void* h) {
  CURL* easy = static_cast<CURL*>(h);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_PROXY, "");  // no proxies from the environment
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  if (tls_.insecure) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!curl_->pin.thumbprint.empty()) {
    // The pin replaces chain and name checks; no session reuse from before the pin applied.
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, pin_ssl_ctx);
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, &curl_->pin);
  } else {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!tls_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, tls_.ca_file.c_str());
  }
  if (!cookie_.empty()) curl_easy_setopt(easy, CURLOPT_COOKIE, cookie_.c_str());
}

Error SoapClient::transport_error(int code, const std::string& what) {
  const auto c = static_cast<CURLcode>(code);
  failure_.transport = true;
  const std::string msg = what.empty() ? curl_easy_strerror(c) : what;
  switch (c) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      failure_.tls = true;
      return make_error(ErrorClass::auth,
                        "TLS: the certificate of " + url_ + " is not trusted (" + msg +
                            "); set ca_file to the CA that signed it, or pin its thumbprint");
    case CURLE_SSL_CONNECT_ERROR:
      failure_.tls = true;
      return make_error(ErrorClass::network, "TLS handshake with " + url_ + " failed: " + msg);
    case CURLE_OPERATION_TIMEDOUT:
      return make_error(ErrorClass::timeout, url_ + ": timed out: " + msg);
    case CURLE_ABORTED_BY_CALLBACK:
      failure_.transport = false;
      return make_error(ErrorClass::cancelled, "transfer cancelled");
    default:
      return make_error(ErrorClass::network, "cannot reach " + url_ + ": " + msg);
  }
}

Result<XmlDoc> SoapClient::call(const std::string& body) {
  failure_ = {};
  if (!curl_->easy) curl_->easy = curl_easy_init();  // kept: its connection is reused
  CURL* easy = curl_->easy;
  curl_easy_reset(easy);
  configure(easy);
  const std::string envelope = kEnvelopeHead + body + kEnvelopeTail;
  std::string answer;
  char errbuf[CURL_ERROR_SIZE] = {};
  struct curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: text/xml; charset=utf-8");
  headers = curl_slist_append(headers, "SOAPAction: urn:vim25/7.0");
  curl_easy_setopt(easy, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, envelope.c_str());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(envelope.size()));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, take_cookie);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &cookie_);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT, static_cast<long>(timeout_.count()));
  const CURLcode rc = curl_easy_perform(easy);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return transport_error(rc, errbuf);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  return read_soap_answer(answer, status, url_, failure_.fault);
}

namespace {
struct Sink {
  int fd = -1;
  std::uint64_t written = 0;
  int error = 0;
  const std::function<bool(std::uint64_t)>* progress = nullptr;
};

size_t write_fd(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  size_t left = size * n;
  while (left > 0) {
    const ssize_t w = ::write(s->fd, data, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      s->error = errno ? errno : EIO;
      return 0;  // curl stops with CURLE_WRITE_ERROR
    }
    data += w;
    left -= static_cast<size_t>(w);
    s->written += static_cast<std::uint64_t>(w);
  }
  return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* s = static_cast<Sink*>(user);
  return (*s->progress)(s->written) ? 0 : 1;
}
}  // namespace

Result<std::uint64_t> SoapClient::download(const std::string& url, int fd,
                                           const std::function<bool(std::uint64_t)>& progress) {
  failure_ = {};
  // Its own handle: the SOAP handle stays free for lease keep-alives during the transfer.
  std::unique_ptr<CURL, void (*)(CURL*)> easy(curl_easy_init(), curl_easy_cleanup);
  configure(easy.get());
  Sink sink{fd, 0, 0, &progress};
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, write_fd);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(easy.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(easy.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(easy.get(), CURLOPT_XFERINFODATA, &sink);
  curl_easy_setopt(easy.get(), CURLOPT_ERRORBUFFER, errbuf);
  // A transfer that moves nothing for two minutes is dead; the job's stall detection may
  // act sooner.
  curl_easy_setopt(easy.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_LOW_SPEED_TIME, 120L);
  const CURLcode rc = curl_easy_perform(easy.get());
  if (rc == CURLE_WRITE_ERROR && sink.error)
    return make_error(ErrorClass::internal,
                      "cannot write the download of " + url + ": " + std::strerror(sink.error));
  if (rc == CURLE_HTTP_RETURNED_ERROR) {
    long status = 0;
    curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
    const ErrorClass cls = status == 404                    ? ErrorClass::not_found
                           : status == 401 || status == 403 ? ErrorClass::auth
                                                            : ErrorClass::network;
    return make_error(cls, "GET " + url + ": HTTP " + std::to_string(status));
  }
  if (rc != CURLE_OK) return transport_error(rc, errbuf);
  return sink.written;
}

}  // namespace hypersdk::vsphere
