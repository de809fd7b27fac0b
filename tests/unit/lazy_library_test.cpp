// ops/lazy_library.h: a library opened at the first lookup; a missing library or symbol is
// a null address for the entry points (never a crash at start).
#include <doctest/doctest.h>

#include <cstring>

#include "ops/lazy_library.h"

using hypersdk::ops::LazyLibrary;

TEST_CASE("lazy library: resolves from a present library, null for a missing one or symbol") {
  static LazyLibrary libc("libc.so.6", "libc6");
  void* found = libc.find("strlen");
  REQUIRE(found != nullptr);
  CHECK(reinterpret_cast<decltype(&std::strlen)>(found)("four") == 4);
  CHECK(libc.find("hypersdk_no_such_symbol") == nullptr);
  CHECK(libc.need("strlen") == found);

  static LazyLibrary missing("libhypersdk-missing.so.7", "hypersdk-missing");
  CHECK(missing.find("anything") == nullptr);
  CHECK(missing.find("anything") == nullptr);  // asked again: still null, loaded once
}
