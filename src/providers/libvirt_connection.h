// A libvirt connection (virConnectPtr) opened for one operation and closed with it, and the
// translation of libvirt's errors into our error classes with a diagnosis a person can act on
// (no daemon at the socket, refused, permission, authentication, unknown driver).
//
// libvirt reports errors per thread (virGetLastError); every call here reads it right after
// the failing call on the same thread. Its default handler prints every error to stderr; the
// first connection installs a silent one, so errors reach the user once, through us.
// Thread safety: a LibvirtConnection is used by one thread at a time; open from any thread.
#pragma once

#include "providers/libvirt_api.h"

#include <memory>
#include <string>

#include "core/error.h"

namespace hypersdk::providers {

struct LibvirtCredentials {
  std::string username;  // for VIR_CRED_AUTHNAME, "" when not configured
  std::string password;  // for VIR_CRED_PASSPHRASE, "" when not configured
};

class LibvirtConnection {
 public:
  explicit LibvirtConnection(virConnectPtr c) : conn_(c) {}
  ~LibvirtConnection();
  LibvirtConnection(const LibvirtConnection&) = delete;
  LibvirtConnection& operator=(const LibvirtConnection&) = delete;
  virConnectPtr get() const { return conn_; }

 private:
  virConnectPtr conn_;
};

// Opens `uri` (never prompts: missing credentials fail as auth). Errors: classified as by
// libvirt_error, naming the URI.
Result<std::unique_ptr<LibvirtConnection>> libvirt_open(const std::string& uri,
                                                        const LibvirtCredentials& creds);

// A domain handle released with it. Errors: not_found naming the VM and the provider.
struct DomainRef {
  virDomainPtr dom = nullptr;
  DomainRef() = default;
  explicit DomainRef(virDomainPtr d) : dom(d) {}
  DomainRef(DomainRef&& o) noexcept : dom(o.dom) { o.dom = nullptr; }
  DomainRef& operator=(DomainRef&&) = delete;
  ~DomainRef() {
    if (dom) lv().virDomainFree(dom);
  }
};

// The error libvirt recorded on this thread for the call that just failed, classified:
// `what` says what was being done ("connecting to qemu:///session").
Error libvirt_error(const std::string& what);

// The classification itself (pure, unit-tested): libvirt's error code and message.
Error classify_libvirt_error(int code, const std::string& message, const std::string& what);

}  // namespace hypersdk::providers
