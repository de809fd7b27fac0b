#include "providers/libvirt_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <string>

namespace hypersdk::providers {
namespace {

constexpr const char* kLibrary = "libvirt.so.0";

struct Loaded {
  Result<LibvirtApi> api;
};

const Loaded& loaded() {
  static const Loaded l{load_libvirt_api(kLibrary)};  // thread-safe initialisation; loads once
  return l;
}

}  // namespace

Result<LibvirtApi> load_libvirt_api(const std::string& library) {
  // RTLD_LOCAL: nothing else in the process resolves against libvirt's symbols. Never
  // dlclosed: libvirt keeps threads and handlers of its own once initialised.
  void* lib = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    return make_error(ErrorClass::unavailable,
                      "cannot load " + library + " (" + (why ? why : "unknown reason") +
                          "): the libvirt provider needs libvirt's client library; install "
                          "the package libvirt0 (apt-get install libvirt0)");
  }
  LibvirtApi api;
  std::string missing;
#define HYPERSDK_LIBVIRT_RESOLVE(name)                                 \
  api.name = reinterpret_cast<decltype(&::name)>(::dlsym(lib, #name)); \
  if (api.name == nullptr) missing += (missing.empty() ? "" : ", ") + std::string(#name);
  HYPERSDK_LIBVIRT_FUNCTIONS(HYPERSDK_LIBVIRT_RESOLVE)
#undef HYPERSDK_LIBVIRT_RESOLVE
  if (!missing.empty()) {
    ::dlclose(lib);
    return make_error(ErrorClass::unavailable,
                      library + " lacks " + missing +
                          ": the libvirt provider needs libvirt 6.0 or newer (package libvirt0)");
  }
  return api;
}

Result<const LibvirtApi*> libvirt_api() {
  const Loaded& l = loaded();
  if (!l.api) return l.api.error();
  return &*l.api;
}

const LibvirtApi& lv() {
  const Loaded& l = loaded();
  if (!l.api) std::abort();  // a caller broke the REQUIRES
  return *l.api;
}

}  // namespace hypersdk::providers
