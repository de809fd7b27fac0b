// libvirt's C API as a table of functions loaded at first use (dlopen of libvirt.so.0), not
// linked: linking it mapped libvirt and the ~20 libraries it needs (glib, gio, libssh,
// libselinux, libnl, ...) into every process, 4.4 MB of serve's idle RSS (issue 14 item 7),
// though most deployments configure no libvirt provider. The headers (libvirt-dev) still
// give every function's exact type, so a call through the table is checked as a direct one.
//
// Add a function: name it in HYPERSDK_LIBVIRT_FUNCTIONS and call it as lv().virName(...).
//
// Thread safety: libvirt_api() may be called from any thread (loads once); the table is
// immutable afterwards.
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <string>

#include "core/error.h"

#define HYPERSDK_LIBVIRT_FUNCTIONS(X) \
  X(virInitialize)                    \
  X(virSetErrorFunc)                  \
  X(virGetLastError)                  \
  X(virConnectOpenAuth)               \
  X(virConnectClose)                  \
  X(virConnectListAllDomains)         \
  X(virConnectNumOfDomains)           \
  X(virConnectNumOfDefinedDomains)    \
  X(virDomainLookupByName)            \
  X(virDomainFree)                    \
  X(virDomainGetName)                 \
  X(virDomainGetInfo)                 \
  X(virDomainGetXMLDesc)              \
  X(virDomainIsActive)                \
  X(virDomainGetBlockInfo)            \
  X(virDomainGetBlockJobInfo)         \
  X(virDomainBlockCommit)             \
  X(virDomainBlockJobAbort)           \
  X(virDomainSnapshotCreateXML)       \
  X(virDomainSnapshotFree)            \
  X(virDomainBackupBegin)             \
  X(virDomainAbortJob)                \
  X(virDomainGetJobInfo)              \
  X(virDomainGetJobStats)             \
  X(virTypedParamsFree)               \
  X(virDomainListAllCheckpoints)      \
  X(virDomainCheckpointLookupByName)  \
  X(virDomainCheckpointGetName)       \
  X(virDomainCheckpointDelete)        \
  X(virDomainCheckpointFree)

namespace hypersdk::providers {

struct LibvirtApi {
#define HYPERSDK_LIBVIRT_MEMBER(name) decltype(&::name) name = nullptr;
  HYPERSDK_LIBVIRT_FUNCTIONS(HYPERSDK_LIBVIRT_MEMBER)
#undef HYPERSDK_LIBVIRT_MEMBER
};

// Loads `library` and resolves every function: what libvirt_api() does once with
// libvirt.so.0 (tests name other libraries). Errors as libvirt_api's.
Result<LibvirtApi> load_libvirt_api(const std::string& library);

// The loaded table. Error unavailable naming the library and the Debian package (libvirt0)
// when libvirt.so.0 is not installed or lacks one of the functions; every later call
// returns the same answer.
Result<const LibvirtApi*> libvirt_api();

// The table for code that runs only after libvirt_api() succeeded (every call made with a
// connection that libvirt_open returned). REQUIRES: libvirt_api() succeeded.
const LibvirtApi& lv();

}  // namespace hypersdk::providers
