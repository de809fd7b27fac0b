// A shared library opened at the first call into it (dlopen), for the libraries most runs of
// hypersdk never call: an idle serve with no PostgreSQL store and no notification, upload or
// vSphere traffic mapped libcurl and libpq and the ~25 libraries they pull in (gnutls, ldap,
// krb5, ssh2, nghttp2, ...): ~4 MB of its idle RSS (issue 14 item 7).
//
// How: src/ops/lazy_libcurl.cpp and src/store/pg/lazy_libpq.cpp define each function the code
// calls, with the library header's exact prototype, as a trampoline to the real one; the
// executables link with --as-needed, so a library whose every used symbol is defined by
// trampolines is left out of DT_NEEDED. A call added later to a function without a
// trampoline links against the library again (and the library is loaded at start as
// before): correct, only the saving is lost; tests/integration/test_serve_footprint.py
// notices it.
//
// Thread safety: every member function may be called from any thread.
#pragma once

#include <mutex>

namespace hypersdk::ops {

class LazyLibrary {
 public:
  // soname: e.g. "libcurl.so.4"; package: the Debian package that installs it, named in the
  // error a missing library gives.
  constexpr LazyLibrary(const char* soname, const char* package)
      : soname_(soname), package_(package) {}

  // The address of `symbol`, or nullptr when the library cannot be loaded or lacks it; the
  // reason is written to stderr once. For the calls that create a library's objects (they
  // can report a failure: a null handle).
  void* find(const char* symbol);

  // The address of `symbol`; a missing library or symbol ends the process with that reason
  // (calls that take an object created by find()'s callers cannot otherwise be reached).
  void* need(const char* symbol);

 private:
  void* handle();  // nullptr when dlopen failed

  const char* soname_;
  const char* package_;
  std::once_flag once_;
  void* handle_ = nullptr;  // set once, under once_
};

}  // namespace hypersdk::ops
