// libvirt's API table loaded at run time (providers/libvirt_api.h): a missing library or one
// without libvirt's functions is a clear error naming the package, never a crash; the real
// libvirt.so.0 resolves every function.
#include <doctest/doctest.h>

#include "providers/libvirt_api.h"

using namespace hypersdk;
using namespace hypersdk::providers;

TEST_CASE("libvirt api: a missing library names the package to install") {
  auto api = load_libvirt_api("libvirt-hypersdk-missing.so.0");
  REQUIRE_FALSE(api.ok());
  CHECK(api.error().cls == ErrorClass::unavailable);
  CHECK(api.error().message.find("libvirt-hypersdk-missing.so.0") != std::string::npos);
  CHECK(api.error().message.find("install the package libvirt0") != std::string::npos);
}

TEST_CASE("libvirt api: a library without libvirt's functions names the missing ones") {
  auto api = load_libvirt_api("libc.so.6");
  REQUIRE_FALSE(api.ok());
  CHECK(api.error().cls == ErrorClass::unavailable);
  CHECK(api.error().message.find("lacks virInitialize, virSetErrorFunc") != std::string::npos);
  CHECK(api.error().message.find("virDomainCheckpointFree") != std::string::npos);
}

TEST_CASE("libvirt api: libvirt.so.0 resolves every function the provider calls") {
  auto api = libvirt_api();
  REQUIRE_MESSAGE(api.ok(), (api.ok() ? "" : api.error().message));
#define HYPERSDK_LIBVIRT_CHECK(name) CHECK_MESSAGE(static_cast<bool>((*api)->name), #name);
  HYPERSDK_LIBVIRT_FUNCTIONS(HYPERSDK_LIBVIRT_CHECK)
#undef HYPERSDK_LIBVIRT_CHECK
  CHECK(&lv() == *api);
}
