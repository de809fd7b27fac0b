#include "ops/lazy_library.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace hypersdk::ops {
namespace {

void report(const std::string& why) {
  // No logger here: this runs inside libcurl/libpq calls, possibly before logging is set up.
  std::fprintf(stderr, "hypersdk: %s\n", why.c_str());
}

}  // namespace

void* LazyLibrary::handle() {
  std::call_once(once_, [this] {
    // RTLD_LOCAL: the library's symbols do not join the global scope. Never closed.
    handle_ = ::dlopen(soname_, RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
      const char* err = ::dlerror();
      report(std::string("cannot load ") + soname_ + " (" + (err ? err : "unknown reason") +
             "); install the package " + package_);
    }
  });
  return handle_;
}

void* LazyLibrary::find(const char* symbol) {
  void* lib = handle();
  if (lib == nullptr) return nullptr;
  void* fn = ::dlsym(lib, symbol);
  if (fn == nullptr)
    report(std::string(soname_) + " has no " + symbol + "; install a newer " + package_);
  return fn;
}

void* LazyLibrary::need(const char* symbol) {
  void* fn = find(symbol);
  if (fn == nullptr) std::abort();  // the reason was reported
  return fn;
}

}  // namespace hypersdk::ops
