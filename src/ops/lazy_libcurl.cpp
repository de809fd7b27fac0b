// libcurl's functions as trampolines into libcurl.so.4, loaded at the first call (see
// ops/lazy_library.h for why and how). Each definition has curl.h's prototype, so the
// compiler checks it against the header.
#include <curl/curl.h>

#include <cstdarg>

#include "ops/lazy_library.h"

// curl.h's prototypes end their named parameters with an enum (CURLoption, CURLINFO), which
// clang flags for va_start; libcurl's own definitions do the same, and the x86-64 and
// aarch64 calling conventions pass it as the int it is.
#ifdef __clang__
#pragma clang diagnostic ignored "-Wvarargs"
#endif

namespace {

hypersdk::ops::LazyLibrary libcurl("libcurl.so.4", "libcurl4");

// The real function; `need`: a missing library ends the process (see LazyLibrary::need).
#define HYPERSDK_REAL(name) \
  static const auto real = reinterpret_cast<decltype(&::name)>(libcurl.need(#name))
#define HYPERSDK_FOUND(name) \
  static const auto real = reinterpret_cast<decltype(&::name)>(libcurl.find(#name))

}  // namespace

extern "C" {

// The entry points report a missing library as libcurl itself reports failures.
CURLcode curl_global_init(long flags) {
  HYPERSDK_FOUND(curl_global_init);
  return real ? real(flags) : CURLE_FAILED_INIT;
}
CURL* curl_easy_init(void) {
  HYPERSDK_FOUND(curl_easy_init);
  return real ? real() : nullptr;
}
struct curl_slist* curl_slist_append(struct curl_slist* list, const char* data) {
  HYPERSDK_FOUND(curl_slist_append);
  return real ? real(list, data) : nullptr;
}
const char* curl_easy_strerror(CURLcode code) {
  HYPERSDK_FOUND(curl_easy_strerror);
  return real ? real(code) : "libcurl is not installed (package libcurl4)";
}
void curl_slist_free_all(struct curl_slist* list) {
  if (list == nullptr) return;  // nothing was appended: maybe no libcurl at all
  HYPERSDK_REAL(curl_slist_free_all);
  real(list);
}

// The rest take a handle one of the above created, so the library is loaded.
void curl_easy_cleanup(CURL* curl) {
  HYPERSDK_REAL(curl_easy_cleanup);
  real(curl);
}
CURLcode curl_easy_perform(CURL* curl) {
  HYPERSDK_REAL(curl_easy_perform);
  return real(curl);
}
void curl_easy_reset(CURL* curl) {
  HYPERSDK_REAL(curl_easy_reset);
  real(curl);
}
// Variadic: the one argument is read with the type curl.h's option ranges give it (as
// libcurl's own curl_easy_setopt reads it) and passed on.
CURLcode curl_easy_setopt(CURL* curl, CURLoption option, ...) {
  HYPERSDK_REAL(curl_easy_setopt);
  va_list ap;
  va_start(ap, option);
  CURLcode rc;
  if (option < CURLOPTTYPE_OBJECTPOINT)
    rc = real(curl, option, va_arg(ap, long));
  else if (option < CURLOPTTYPE_OFF_T)  // object, string, list and function pointers
    rc = real(curl, option, va_arg(ap, void*));
  else if (option < CURLOPTTYPE_BLOB)
    rc = real(curl, option, va_arg(ap, curl_off_t));
  else
    rc = real(curl, option, va_arg(ap, void*));
  va_end(ap);
  return rc;
}
CURLcode curl_easy_getinfo(CURL* curl, CURLINFO info, ...) {
  HYPERSDK_REAL(curl_easy_getinfo);
  va_list ap;
  va_start(ap, info);
  void* out = va_arg(ap, void*);  // every CURLINFO takes a pointer to the result
  va_end(ap);
  return real(curl, info, out);
}
curl_mime* curl_mime_init(CURL* easy) {
  HYPERSDK_REAL(curl_mime_init);
  return real(easy);
}
void curl_mime_free(curl_mime* mime) {
  if (mime == nullptr) return;
  HYPERSDK_REAL(curl_mime_free);
  real(mime);
}
curl_mimepart* curl_mime_addpart(curl_mime* mime) {
  HYPERSDK_REAL(curl_mime_addpart);
  return real(mime);
}
CURLcode curl_mime_data(curl_mimepart* part, const char* data, size_t datasize) {
  HYPERSDK_REAL(curl_mime_data);
  return real(part, data, datasize);
}
CURLcode curl_mime_encoder(curl_mimepart* part, const char* encoding) {
  HYPERSDK_REAL(curl_mime_encoder);
  return real(part, encoding);
}
CURLcode curl_mime_filename(curl_mimepart* part, const char* filename) {
  HYPERSDK_REAL(curl_mime_filename);
  return real(part, filename);
}
CURLcode curl_mime_headers(curl_mimepart* part, struct curl_slist* headers, int take_ownership) {
  HYPERSDK_REAL(curl_mime_headers);
  return real(part, headers, take_ownership);
}
CURLcode curl_mime_subparts(curl_mimepart* part, curl_mime* subparts) {
  HYPERSDK_REAL(curl_mime_subparts);
  return real(part, subparts);
}
CURLcode curl_mime_type(curl_mimepart* part, const char* mimetype) {
  HYPERSDK_REAL(curl_mime_type);
  return real(part, mimetype);
}

}  // extern "C"
