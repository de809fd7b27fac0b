#include "providers/libvirt_connection.h"

#include <libvirt/virterror.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

namespace hypersdk::providers {

namespace {

void silent(void*, virErrorPtr) {}

// Answers libvirt's credential questions from the config, never from a terminal.
int answer_credentials(virConnectCredentialPtr cred, unsigned int ncred, void* data) {
  const auto* creds = static_cast<const LibvirtCredentials*>(data);
  for (unsigned int i = 0; i < ncred; ++i) {
    const std::string* value = nullptr;
    if (cred[i].type == VIR_CRED_AUTHNAME && !creds->username.empty())
      value = &creds->username;
    else if (cred[i].type == VIR_CRED_PASSPHRASE && !creds->password.empty())
      value = &creds->password;
    if (!value) return -1;  // a question we cannot answer: authentication fails
    cred[i].result = strdup(value->c_str());
    if (!cred[i].result) return -1;
    cred[i].resultlen = static_cast<unsigned int>(value->size());
  }
  return 0;
}

bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

LibvirtConnection::~LibvirtConnection() {
  if (conn_) lv().virConnectClose(conn_);
}

Error classify_libvirt_error(int code, const std::string& message, const std::string& what) {
  const std::string said = what + ": " + (message.empty() ? "unknown libvirt error" : message);
  if (code == VIR_ERR_AUTH_FAILED || code == VIR_ERR_AUTH_CANCELLED ||
      code == VIR_ERR_AUTH_UNAVAILABLE || contains(message, "authentication"))
    return make_error(ErrorClass::auth,
                      said +
                          " (authentication failed: check the provider's username/password "
                          "or the SASL/polkit setup of the daemon)");
  if (contains(message, "Permission denied") || code == VIR_ERR_ACCESS_DENIED ||
      code == VIR_ERR_OPERATION_DENIED)
    return make_error(ErrorClass::auth, said + " (missing permission: user " +
                                            std::to_string(::getuid()) +
                                            " may not use this socket or object; for "
                                            "qemu:///system add the user to the libvirt group)");
  if (contains(message, "No such file or directory") && contains(message, "socket"))
    return make_error(ErrorClass::network,
                      said +
                          " (no such socket: no libvirt daemon is running there; start "
                          "libvirtd, e.g. systemctl start libvirtd, or fix the uri)");
  if (contains(message, "Connection refused"))
    return make_error(ErrorClass::network,
                      said +
                          " (connection refused: the socket exists but no daemon accepts on "
                          "it; restart libvirtd)");
  if (code == VIR_ERR_NO_CONNECT && contains(message, "no connection driver"))
    return make_error(ErrorClass::invalid,
                      said +
                          " (this libvirt has no driver for the uri: check its scheme, or "
                          "install the driver package, e.g. libvirt-daemon-driver-qemu)");
  if (code == VIR_ERR_NO_DOMAIN) return make_error(ErrorClass::not_found, said);
  if (code == VIR_ERR_OPERATION_INVALID) return make_error(ErrorClass::conflict, said);
  if (code == VIR_ERR_NO_SUPPORT || code == VIR_ERR_ARGUMENT_UNSUPPORTED ||
      code == VIR_ERR_CONFIG_UNSUPPORTED)
    return make_error(ErrorClass::invalid, said + " (not supported by this hypervisor driver)");
  if (code == VIR_ERR_RPC || code == VIR_ERR_SYSTEM_ERROR || code == VIR_ERR_NO_CONNECT ||
      code == VIR_ERR_OPERATION_TIMEOUT)
    return make_error(ErrorClass::network, said);
  return make_error(ErrorClass::internal, said);
}

Error libvirt_error(const std::string& what) {
  virErrorPtr e = lv().virGetLastError();
  if (!e) return make_error(ErrorClass::internal, what + ": libvirt failed without saying why");
  return classify_libvirt_error(e->code, e->message ? e->message : "", what);
}

Result<std::unique_ptr<LibvirtConnection>> libvirt_open(const std::string& uri,
                                                        const LibvirtCredentials& creds) {
  if (auto api = libvirt_api(); !api)
    return make_error(api.error().cls, "connecting to " + uri + ": " + api.error().message);
  static std::once_flag quiet;
  std::call_once(quiet, [] {
    lv().virInitialize();
    lv().virSetErrorFunc(nullptr, silent);
  });
  int types[] = {VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE};
  virConnectAuth auth{types, 2, answer_credentials, const_cast<LibvirtCredentials*>(&creds)};
  virConnectPtr c = lv().virConnectOpenAuth(uri.c_str(), &auth, 0);
  if (!c) return libvirt_error("connecting to " + uri);
  return std::make_unique<LibvirtConnection>(c);
}

}  // namespace hypersdk::providers
