// ops/lazy_library.h: a library opened at the first lookup; a missing library or symbol is
// a null address for the entry points (never a crash at start).
#include <doctest/doctest.h>

#include <curl/curl.h>

#include <cstring>
#include <string>

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

// The trampolines themselves (ops/lazy_libcurl.cpp, store/pg/lazy_libpq.cpp): the first call
// loads the library and reaches the real function.
extern "C" int PQlibVersion(void);

TEST_CASE("lazy library: libpq and libcurl calls reach the real libraries") {
  CHECK(PQlibVersion() >= 100000);  // libpq 10 or newer
  CHECK(std::string(curl_easy_strerror(CURLE_OK)) == "No error");
  CURL* curl = curl_easy_init();
  REQUIRE(curl != nullptr);
  CHECK(curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 1000L) == CURLE_OK);
  CHECK(curl_easy_setopt(curl, CURLOPT_URL, "http://127.0.0.1:1/") == CURLE_OK);
  long code = -1;
  CHECK(curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK);
  CHECK(code == 0);
  curl_easy_cleanup(curl);
}
