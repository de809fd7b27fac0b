// The gate's inline GET /api/v1/health (api/inline_health.h, api/gated_server.h): which
// requests qualify, the answer's bytes, and a client that pipelines without reading, on a
// real GatedServer over loopback whose socket buffers are made small so that the gate's
// writes come up short.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "api/gated_server.h"
#include "api/inline_health.h"

using namespace hypersdk::api;

namespace {

const std::string kHealth = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n";

int connect_to(int port, int rcvbuf = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// Reads until `answers` whole answers (each ends with the health body's closing brace) or
// EOF; returns what was read.
std::string read_answers(int fd, int answers) {
  std::string got;
  char buf[8192];
  int seen = 0;
  while (seen < answers) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
    seen = 0;
    for (std::size_t p = 0; (p = got.find("HTTP/1.1 200 OK", p)) != std::string::npos; ++p) ++seen;
    if (seen == answers && got.back() != '}') --seen;  // the last one is not whole yet
  }
  return got;
}

}  // namespace

TEST_CASE("inline health: only the plainest complete GET /api/v1/health qualifies") {
  auto r = parse_inline_health(kHealth + "GET /next");
  REQUIRE(r);
  CHECK(r->length == kHealth.size());
  CHECK_FALSE(r->close);
  CHECK(r->request_id.empty());

  r = parse_inline_health(
      "GET /api/v1/health HTTP/1.1\r\nx-request-id:  abc \r\nConnection: close\r\nOrigin: "
      "o\r\n\r\n");
  REQUIRE(r);
  CHECK(r->request_id == "abc");
  CHECK(r->close);
  CHECK(r->has_origin);
  // httplib's test is exact: "Close" keeps the connection.
  CHECK_FALSE(
      parse_inline_health("GET /api/v1/health HTTP/1.1\r\nConnection: Close\r\n\r\n")->close);

  for (const char* other : {
           "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n",                     // not complete
           "GET /api/v1/health?x=1 HTTP/1.1\r\n\r\n",                        // a query
           "GET /api/v1/healthz HTTP/1.1\r\n\r\n",                           // another path
           "HEAD /api/v1/health HTTP/1.1\r\n\r\n",                           // HEAD
           "GET /api/v1/health HTTP/1.0\r\n\r\n",                            // HTTP/1.0
           "GET /api/v1/ready HTTP/1.1\r\n\r\n",                             // readiness
           "GET /api/v1/health HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",  // a body
           "GET /api/v1/health HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
           "GET /api/v1/health HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
           "GET /api/v1/health HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
           "GET /api/v1/health HTTP/1.1\r\nno colon\r\n\r\n",  // malformed
           "GET /api/v1/health HTTP/1.1\r\nBad Name: x\r\n\r\n",
           "GET /api/v1/health HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",  // obs-fold
           "GET /api/v1/health HTTP/1.1\r\nA: b\x01\r\n\r\n",         // control byte
           "GET /api/v1/health HTTP/1.1\r\nConnection: close\r\nConnection: x\r\n\r\n",
       })
    CHECK_MESSAGE(!parse_inline_health(other), other);
  CHECK_FALSE(parse_inline_health("GET /api/v1/health HTTP/1.1\r\nA: " + std::string(9000, 'a') +
                                  "\r\n\r\n"));
}

TEST_CASE("inline health: the answer carries the route's body and httplib's headers") {
  InlineHealth ih(std::chrono::steady_clock::now(), nullptr, /*cors=*/true);
  auto req = parse_inline_health("GET /api/v1/health HTTP/1.1\r\nX-Request-ID: r-1\r\n\r\n");
  REQUIRE(req);
  const auto a = ih.answer(*req, false, [] { return std::string("127.0.0.1"); });
  REQUIRE(a);
  const std::string body = health_body(0);
  CHECK(*a ==
        "HTTP/1.1 200 OK\r\n"
        "Cache-Control: no-store\r\n"
        "Content-Length: " +
            std::to_string(body.size()) +
            "\r\n"
            "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
            "Content-Type: application/health+json\r\n"
            "Cross-Origin-Resource-Policy: same-origin\r\n"
            "Keep-Alive: timeout=2, max=100\r\n"
            "Referrer-Policy: no-referrer\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            "X-Frame-Options: DENY\r\n"
            "X-Request-ID: r-1\r\n\r\n" +
            body);
  const auto last = ih.answer(*req, true, [] { return std::string(); });
  REQUIRE(last);
  CHECK(last->find("Cache-Control: no-store\r\nConnection: close\r\nContent-Length: ") !=
        std::string::npos);
  CHECK(last->find("Keep-Alive") == std::string::npos);
  req->has_origin = true;  // CORS configured: httplib adds its headers
  CHECK_FALSE(ih.answer(*req, false, [] { return std::string(); }));
}

TEST_CASE("inline health: a client that pipelines without reading gets every answer later") {
  InlineHealth ih(std::chrono::steady_clock::now(), nullptr, false);
  GatedServer server(GatedServer::Options{.inline_health = &ih});
  // Small socket buffers (accepted sockets inherit the listener's): the answers to 99
  // pipelined requests (~55 KB) cannot all be written while the client does not read.
  server.set_socket_options([](int sock) {
    int yes = 1, small = 4096;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    ::setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  });
  server.Get("/api/v1/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("httplib", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread listener([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  const int slow = connect_to(port, 2048);
  std::string burst;
  for (int i = 0; i < 99; ++i) burst += kHealth;
  REQUIRE(::send(slow, burst.data(), burst.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(burst.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  // Meanwhile the gate answers others.
  const int other = connect_to(port);
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(::send(other, kHealth.data(), kHealth.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(kHealth.size()));
  CHECK(read_answers(other, 1).find("\"status\":\"pass\"") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500));
  ::close(other);

  const std::string got = read_answers(slow, 99);
  int answers = 0;
  for (std::size_t p = 0; (p = got.find("HTTP/1.1 200 OK", p)) != std::string::npos; ++p) ++answers;
  CHECK(answers == 99);
  CHECK(got.find("httplib") == std::string::npos);  // all answered inline
  // The 100th request is the connection's last: answered, then closed.
  REQUIRE(::send(slow, kHealth.data(), kHealth.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(kHealth.size()));
  CHECK(read_answers(slow, 1).find("Connection: close") != std::string::npos);
  char c;
  CHECK(::recv(slow, &c, 1, 0) == 0);
  ::close(slow);

  server.stop();
  listener.join();
  server.shutdown_gate();
}
