#include "notify/http_post.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <strings.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <mutex>

namespace hypersdk::notify {

namespace {

constexpr std::size_t kMaxAnswer = 4096;

struct Exchange {
  SocketGuard guard;
  std::string body;
  std::string retry_after;
};

std::string address_text(const sockaddr* a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, buf, sizeof buf);
  else if (a->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, buf, sizeof buf);
  return buf;
}

curl_socket_t open_socket(void* clientp, curlsocktype, struct curl_sockaddr* addr) {
  auto* g = static_cast<SocketGuard*>(clientp);
  if (!g->allow_private && is_private_address(&addr->addr)) {
    g->refused = true;
    g->address = address_text(&addr->addr);
    return CURL_SOCKET_BAD;
  }
  return socket(addr->family, addr->socktype, addr->protocol);
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* userp) {
  auto* ex = static_cast<Exchange*>(userp);
  const std::size_t len = size * n;
  if (ex->body.size() < kMaxAnswer)
    ex->body.append(data, std::min(len, kMaxAnswer - ex->body.size()));
  return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* userp) {
  auto* ex = static_cast<Exchange*>(userp);
  std::string line(data, size * n);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() && strncasecmp(line.c_str(), kName.data(), kName.size()) == 0) {
    std::string v = line.substr(kName.size());
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
    ex->retry_after = v;
  }
  return size * n;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

bool is_private_address(const sockaddr* a) {
  if (a->sa_family == AF_INET) {
    const std::uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr);
    auto in = [ip](std::uint32_t net, int bits) {
      const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
      return (ip & mask) == net;
    };
    return in(0x00000000, 8) || in(0x0A000000, 8) || in(0x7F000000, 8) || in(0xA9FE0000, 16) ||
           in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10) || in(0xC0000000, 24) ||
           in(0xE0000000, 4) || in(0xF0000000, 4);
  }
  if (a->sa_family == AF_INET6) {
    const auto& b = reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr.s6_addr;
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, kMapped, 12) == 0) {  // ::ffff:a.b.c.d is judged as a.b.c.d
      sockaddr_in v4{};
      v4.sin_family = AF_INET;
      std::memcpy(&v4.sin_addr, b + 12, 4);
      return is_private_address(reinterpret_cast<const sockaddr*>(&v4));
    }
    bool zero_prefix = true;
    for (int i = 0; i < 15; ++i) zero_prefix = zero_prefix && b[i] == 0;
    if (zero_prefix && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
    if ((b[0] & 0xfe) == 0xfc) return true;                      // fc00::/7 unique local
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;      // fe80::/10 link-local
    if (b[0] == 0xff) return true;                               // multicast
    return false;
  }
  return true;  // anything else (unix sockets) is not an internet address
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    const std::string& v, std::chrono::system_clock::time_point now) {
  if (v.empty()) return std::nullopt;
  if (v.find_first_not_of("0123456789") == std::string::npos && v.size() < 9)
    return std::chrono::milliseconds(std::stoll(v) * 1000);
  std::tm tm{};
  if (!strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(at - now));
}

void curl_global_once() {
  global_init();
}

void install_socket_guard(void* curl, SocketGuard* guard) {
  curl_easy_setopt(static_cast<CURL*>(curl), CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(static_cast<CURL*>(curl), CURLOPT_OPENSOCKETDATA, guard);
}

HttpResult http_post(const HttpRequest& req) {
  global_init();
  HttpResult out;
  Exchange ex;
  ex.guard.allow_private = req.allow_private;
  CURL* curl = curl_easy_init();
  if (!curl) {
    out.error = "cannot create a libcurl handle";
    return out;
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("Content-Type: " + req.content_type).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  for (const auto& [k, v] : req.headers)
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // "" = no proxy, whatever the environment says
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "hypersdk/" HYPERSDK_VERSION);
  install_socket_guard(curl, &ex.guard);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ex);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ex);
  const auto start = std::chrono::steady_clock::now();
  const CURLcode rc = curl_easy_perform(curl);
  out.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (rc == CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    out.status = static_cast<int>(code);
    out.body = std::move(ex.body);
    out.retry_after = parse_retry_after(ex.retry_after, std::chrono::system_clock::now());
  } else if (ex.guard.refused) {
    out.error = "refused to connect to the private address " + ex.guard.address +
                " (set allow_private: true on the receiver to allow it)";
  } else {
    out.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return out;
}

}  // namespace hypersdk::notify
