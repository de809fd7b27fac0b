// libFuzzer target: the gate's test for a GET /api/v1/health it answers itself
// (api/inline_health.h). Any bytes must be accepted or refused without crashing or tripping
// ASan/UBSan; an accepted request is a whole head at the start of the data, its X-Request-ID
// lies inside it, and the head alone parses the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/inline_health.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto req = hypersdk::api::parse_inline_health(text);
  if (!req) return 0;
  if (req->length > size || text.substr(0, 19) != "GET /api/v1/health " ||
      text.substr(req->length - 4, 4) != "\r\n\r\n")
    std::abort();
  if (!req->request_id.empty() &&
      (req->request_id.data() < text.data() ||
       req->request_id.data() + req->request_id.size() > text.data() + req->length))
    std::abort();
  const auto again = hypersdk::api::parse_inline_health(text.substr(0, req->length));
  if (!again || again->length != req->length || again->close != req->close ||
      again->has_origin != req->has_origin || again->request_id != req->request_id)
    std::abort();
  return 0;
}
