// parse_inline_health (inline_health.h): which requests the gate answers itself. Apart from
// the rest of the inline answer so that the fuzzer (tests/fuzz/fuzz_inline_health.cpp) builds
// it alone.
#include <strings.h>

#include <cctype>

#include "api/inline_health.h"

namespace hypersdk::api {
namespace {

constexpr std::string_view kRequestLine = "GET /api/v1/health HTTP/1.1\r\n";
// Past these httplib itself may refuse the request (its header line and count limits): let it.
constexpr std::size_t kMaxHead = 8192;
constexpr int kMaxHeaders = 64;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool is_token_char(unsigned char c) {
  return std::isalnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

std::optional<InlineHealthRequest> parse_inline_health(std::string_view data) {
  if (data.substr(0, kRequestLine.size()) != kRequestLine) return std::nullopt;
  const auto end = data.find("\r\n\r\n", kRequestLine.size() - 2);
  if (end == std::string_view::npos || end + 4 > kMaxHead) return std::nullopt;
  InlineHealthRequest out;
  out.length = end + 4;
  int headers = 0, connections = 0;
  std::size_t pos = kRequestLine.size();
  while (pos < end + 2) {
    const std::size_t eol = data.find("\r\n", pos);
    const std::string_view line = data.substr(pos, eol - pos);
    pos = eol + 2;
    if (++headers > kMaxHeaders) return std::nullopt;
    const auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
    const std::string_view name = line.substr(0, colon);
    for (unsigned char c : name)
      if (!is_token_char(c)) return std::nullopt;  // also obs-fold and spaces before ':'
    for (unsigned char c : line)
      if ((c < 0x20 && c != '\t') || c == 0x7f) return std::nullopt;
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
        iequals(name, "Expect") || iequals(name, "Upgrade"))
      return std::nullopt;
    if (iequals(name, "Connection")) {
      if (++connections > 1) return std::nullopt;
      out.close = value == "close";  // httplib compares exactly
    } else if (iequals(name, "X-Request-ID")) {
      if (out.request_id.empty()) out.request_id = value;  // httplib reads the first
    } else if (iequals(name, "Origin")) {
      out.has_origin = true;
    }
  }
  return out;
}

}  // namespace hypersdk::api
