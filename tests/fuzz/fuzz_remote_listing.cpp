// libFuzzer target: what WebDAV and SFTP servers say about a directory (targets/
// remote_listing.h) and S3 dates. A server's answer is untrusted input: any bytes must parse into
// entries or be refused with an error, without crashing, hanging or tripping ASan/UBSan. The first
// byte picks the parser; the rest is the answer (the SFTP one split at the first NUL into names and
// long lines).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "targets/remote_listing.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace hypersdk::targets;
  switch (data[0] % 3) {
    case 0:
      if (auto entries = parse_propfind(text, "http://127.0.0.1:8080/dav/")) {
        for (const auto& e : *entries)
          if (e.name.empty()) __builtin_trap();  // the collection itself is never an entry
      }
      break;
    case 1: {
      const auto nul = text.find('\0');
      const auto names = text.substr(0, nul);
      const auto longs = nul == std::string_view::npos ? std::string_view() : text.substr(nul + 1);
      (void)sftp_regular_files(names, longs);
      break;
    }
    default:
      (void)parse_http_date_ms(std::string(text));
      (void)parse_iso8601_ms(text);
      (void)percent_decode(text);
  }
  return 0;
}
