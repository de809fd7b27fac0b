// The HTTP API against a real server on loopback, a real SQLite store and a JobService.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "api/auth.h"
#include "api/rate_limit.h"
#include "api/request_id.h"
#include "api/sse.h"
#include "api_test_support.h"
#include "cli/api_client.h"
#include "ops/config.h"
#include "ops/log.h"

using namespace hypersdk;
using nlohmann::json;
using test::ApiFixture;
using test::body_of;

namespace {

httplib::Result submit(httplib::Client& c, const std::string& body,
                       const httplib::Headers& headers = {}) {
  return c.Post("/api/v1/jobs", headers, body, "application/json");
}

std::string submit_noop(httplib::Client& c) {
  auto r = submit(c, R"({"type":"noop"})");
  REQUIRE(r);
  REQUIRE(r->status == 201);
  return body_of(r)["id"].get<std::string>();
}

// Sends `request` on a fresh connection and returns what the server answers until it closes
// the connection or goes quiet.
std::string raw_request(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.find("\r\n\r\n") != std::string::npos && out.find("}") != std::string::npos) break;
  }
  ::close(fd);
  return out;
}

void check_error_shape(const httplib::Result& r, int status, const std::string& code) {
  REQUIRE(r);
  CHECK(r->status == status);
  const json b = body_of(r);
  REQUIRE(b.is_object());
  CHECK(b["error"]["code"] == code);
  CHECK(!b["error"]["message"].get<std::string>().empty());
  CHECK(b["error"]["request_id"] == r->get_header_value("X-Request-ID"));
  CHECK(!r->get_header_value("X-Request-ID").empty());
}

}  // namespace

TEST_CASE("api: submit, get and list jobs with a cursor") {
  ApiFixture f;
  auto c = f.client();
  auto r = submit(*c, R"({"type":"noop","priority":3,"labels":{"team":"a"}})");
  REQUIRE(r);
  CHECK(r->status == 201);
  const json job = body_of(r);
  CHECK(job["status"] == "queued");
  CHECK(job["priority"] == 3);
  CHECK(r->get_header_value("Location") == "/api/v1/jobs/" + job["id"].get<std::string>());

  auto got = c->Get("/api/v1/jobs/" + job["id"].get<std::string>());
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(body_of(got)["id"] == job["id"]);

  submit_noop(*c);
  submit_noop(*c);
  auto page1 = c->Get("/api/v1/jobs?limit=2");
  REQUIRE(page1);
  CHECK(page1->status == 200);
  const json p1 = body_of(page1);
  REQUIRE(p1["jobs"].size() == 2);
  REQUIRE(p1["next_cursor"].is_string());
  auto page2 = c->Get("/api/v1/jobs?limit=2&cursor=" + p1["next_cursor"].get<std::string>());
  REQUIRE(page2);
  const json p2 = body_of(page2);
  REQUIRE(p2["jobs"].size() == 1);
  CHECK(p2["jobs"][0]["id"] == job["id"]);
  CHECK(p2["next_cursor"].is_null());

  auto queued = c->Get("/api/v1/jobs?status=queued&type=noop");
  REQUIRE(queued);
  CHECK(body_of(queued)["jobs"].size() == 3);
  auto none = c->Get("/api/v1/jobs?status=succeeded");
  CHECK(body_of(none)["jobs"].empty());
}

TEST_CASE("api: bad list parameters are 400") {
  ApiFixture f;
  auto c = f.client();
  check_error_shape(c->Get("/api/v1/jobs?status=bogus"), 400, "invalid");
  check_error_shape(c->Get("/api/v1/jobs?limit=0"), 400, "invalid");
  check_error_shape(c->Get("/api/v1/jobs?limit=abc"), 400, "invalid");
  check_error_shape(c->Get("/api/v1/jobs?limit=1001"), 400, "invalid");
  check_error_shape(c->Get("/api/v1/jobs?cursor=xyz"), 400, "invalid");
}

TEST_CASE("api: Idempotency-Key returns the first job") {
  ApiFixture f;
  auto c = f.client();
  auto a = submit(*c, R"({"type":"noop"})", {{"Idempotency-Key", "nightly-2026-04-02"}});
  auto b = submit(*c, R"({"type":"noop"})", {{"Idempotency-Key", "nightly-2026-04-02"}});
  REQUIRE(a);
  REQUIRE(b);
  CHECK(body_of(a)["id"] == body_of(b)["id"]);
  CHECK(body_of(a)["idempotency_key"] == "nightly-2026-04-02");
  check_error_shape(
      submit(*c, R"({"type":"noop","idempotency_key":"x"})", {{"Idempotency-Key", "y"}}), 400,
      "invalid");
}

TEST_CASE("api: malformed JSON is 400 with the position and the request id") {
  ApiFixture f;
  auto c = f.client();
  auto r = submit(*c, R"({"type": noop})");
  check_error_shape(r, 400, "invalid");
  const std::string msg = body_of(r)["error"]["message"];
  INFO(msg);
  CHECK(msg.find("line 1, column 11") != std::string::npos);
  CHECK(body_of(r)["error"]["request_id"].get<std::string>().rfind("req-", 0) == 0);

  check_error_shape(submit(*c, ""), 400, "invalid");
  check_error_shape(submit(*c, R"({"type":"noop","bogus":1})"), 400, "invalid");
  check_error_shape(submit(*c, R"({"type":"nosuchtype"})"), 400, "invalid");
}

TEST_CASE("api: a well-formed X-Request-ID is echoed, a malformed one replaced") {
  ApiFixture f;
  auto c = f.client();
  auto r = c->Get("/api/v1/jobs/j-999", {{"X-Request-ID", "trace.abc:123-X_y"}});
  REQUIRE(r);
  CHECK(r->get_header_value("X-Request-ID") == "trace.abc:123-X_y");
  CHECK(body_of(r)["error"]["request_id"] == "trace.abc:123-X_y");

  auto bad = c->Get("/api/v1/health", {{"X-Request-ID", "has space\"quote"}});
  REQUIRE(bad);
  const std::string id = bad->get_header_value("X-Request-ID");
  CHECK(id.size() == 20);
  CHECK(id.rfind("req-", 0) == 0);

  auto long_id = c->Get("/api/v1/health", {{"X-Request-ID", std::string(129, 'a')}});
  REQUIRE(long_id);
  CHECK(long_id->get_header_value("X-Request-ID").rfind("req-", 0) == 0);
}

TEST_CASE("api: unknown job is 404, unknown route 404, wrong method 405, big body 413") {
  ApiFixture f;
  auto c = f.client();
  check_error_shape(c->Get("/api/v1/jobs/j-424242"), 404, "not_found");
  check_error_shape(c->Get("/api/v1/jobs/notanid"), 400, "invalid");
  check_error_shape(c->Get("/api/v1/nothing-here"), 404, "not_found");
  check_error_shape(c->Get("/nothing-here"), 404, "not_found");
  check_error_shape(c->Get("/ui/nothing.js"), 404, "not_found");
  // "/" is the dashboard's page, under its own strict Content-Security-Policy.
  auto page = c->Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(page->get_header_value("Content-Security-Policy").find("default-src 'self'") == 0);

  auto del = c->Delete("/api/v1/jobs");
  check_error_shape(del, 405, "method_not_allowed");
  CHECK(del->get_header_value("Allow") == "POST, GET");
  check_error_shape(c->Put("/api/v1/jobs/j-1", "{}", "application/json"), 405,
                    "method_not_allowed");

  std::string big = R"({"type":"noop","target":")" + std::string(1 << 20, 'x') + R"("})";
  check_error_shape(submit(*c, big), 413, "payload_too_large");
  // A chunked body would escape the size limit: refused as soon as the headers arrive.
  const std::string answer = raw_request(f.port(),
                                         "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\n"
                                         "Content-Type: application/json\r\n"
                                         "Transfer-Encoding: chunked\r\n\r\n");
  CHECK(answer.rfind("HTTP/1.1 411", 0) == 0);
  CHECK(answer.find("X-Request-ID: req-") != std::string::npos);
  // Even a request httplib cannot parse gets the JSON error and a request id.
  const std::string garbage = raw_request(f.port(), "NOT-HTTP\r\n\r\n");
  CHECK(garbage.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(garbage.find("X-Request-ID: req-") != std::string::npos);
  CHECK(garbage.find(R"("code":"invalid")") != std::string::npos);
}

TEST_CASE("api: cancel, retry, and job logs") {
  ApiFixture f;
  auto c = f.client();
  const std::string id = submit_noop(*c);
  auto cancelled = c->Post("/api/v1/jobs/" + id + "/cancel");
  REQUIRE(cancelled);
  CHECK(cancelled->status == 200);
  CHECK(body_of(cancelled)["status"] == "cancelled");
  // Cancelling a finished job is a conflict.
  check_error_shape(c->Post("/api/v1/jobs/" + id + "/cancel"), 409, "conflict");
  auto retried = c->Post("/api/v1/jobs/" + id + "/retry");
  REQUIRE(retried);
  CHECK(retried->status == 200);
  CHECK(body_of(retried)["status"] == "queued");
  check_error_shape(c->Post("/api/v1/jobs/j-9999/retry"), 404, "not_found");

  const auto jid = *core::parse_job_id(id);
  REQUIRE(f.sf.store
              ->job_log_append({{0, jid, 1, "stdout", "one"},
                                {0, jid, 2, "stderr", "two"},
                                {0, jid, 3, "stdout", "three"}})
              .ok());
  auto all = c->Get("/api/v1/jobs/" + id + "/logs");
  REQUIRE(all);
  const json lines = body_of(all)["lines"];
  REQUIRE(lines.size() == 3);
  CHECK(lines[1]["line"] == "two");
  CHECK(lines[1]["stream"] == "stderr");
  auto rest = c->Get("/api/v1/jobs/" + id + "/logs?after=" +
                     std::to_string(lines[0]["seq"].get<std::int64_t>()) + "&limit=1");
  REQUIRE(rest);
  REQUIRE(body_of(rest)["lines"].size() == 1);
  CHECK(body_of(rest)["lines"][0]["line"] == "two");
  check_error_shape(c->Get("/api/v1/jobs/j-777/logs"), 404, "not_found");
}

TEST_CASE("api: dead-letter queue list, get, replay and purge") {
  ApiFixture f;
  auto c = f.client();
  const auto dead = f.dead_job();
  const std::string id = core::format_job_id(dead);
  auto list = c->Get("/api/v1/dlq");
  REQUIRE(list);
  const json letters = body_of(list)["dead_letters"];
  REQUIRE(letters.size() == 1);
  CHECK(letters[0]["id"] == id);
  auto one = c->Get("/api/v1/dlq/" + id);
  REQUIRE(one);
  CHECK(one->status == 200);
  CHECK(body_of(one)["dead_letter"]["reason"].is_string());
  auto failed = c->Get("/api/v1/jobs?status=failed");
  CHECK(body_of(failed)["jobs"].size() == 1);

  auto replay = c->Post("/api/v1/dlq/" + id + "/replay");
  REQUIRE(replay);
  CHECK(replay->status == 200);
  CHECK(body_of(replay)["status"] == "queued");
  check_error_shape(c->Get("/api/v1/dlq/" + id), 404, "not_found");

  f.dead_job();
  f.dead_job();
  CHECK(body_of(c->Get("/api/v1/dlq"))["dead_letters"].size() == 2);
  const std::string first = body_of(c->Get("/api/v1/dlq"))["dead_letters"][0]["id"];
  auto purge_one = c->Delete("/api/v1/dlq/" + first);
  REQUIRE(purge_one);
  CHECK(body_of(purge_one)["purged"] == 1);
  check_error_shape(c->Delete("/api/v1/dlq/" + first), 404, "not_found");
  auto purge_all = c->Delete("/api/v1/dlq");
  REQUIRE(purge_all);
  CHECK(body_of(purge_all)["purged"] == 1);
  CHECK(body_of(c->Get("/api/v1/dlq"))["dead_letters"].empty());
}

TEST_CASE("api: health is health+json, ready fails while draining or a check fails") {
  ApiFixture f;
  auto c = f.client();
  auto h = c->Get("/api/v1/health");
  REQUIRE(h);
  CHECK(h->status == 200);
  CHECK(h->get_header_value("Content-Type") == "application/health+json");
  CHECK(body_of(h)["status"] == "pass");
  CHECK(body_of(h)["version"].is_string());

  auto r = c->Get("/api/v1/ready");
  REQUIRE(r);
  CHECK(r->status == 200);
  json b = body_of(r);
  CHECK(b["status"] == "pass");
  CHECK(b["checks"]["database:reachable"][0]["status"] == "pass");
  CHECK(b["checks"]["draining"][0]["status"] == "pass");

  f.server->set_draining(true);
  r = c->Get("/api/v1/ready");
  REQUIRE(r);
  CHECK(r->status == 503);
  b = body_of(r);
  CHECK(b["status"] == "fail");
  CHECK(b["checks"]["draining"][0]["status"] == "fail");
  CHECK(b["output"] == "draining: shutting down: not taking new work");
  // Liveness is not readiness: still alive while draining, and other routes still answer.
  CHECK(c->Get("/api/v1/health")->status == 200);
  CHECK(c->Get("/api/v1/jobs")->status == 200);

  f.server->set_draining(false);
  f.db_ok = false;
  r = c->Get("/api/v1/ready");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(body_of(r)["checks"]["database:reachable"][0]["output"] == "locked");
  CHECK(body_of(r)["output"] == "database:reachable: locked");
}

TEST_CASE("api: metrics use route templates, never raw ids") {
  ApiFixture f;
  auto c = f.client();
  const std::string id = submit_noop(*c);
  REQUIRE(c->Get("/api/v1/jobs/" + id)->status == 200);
  REQUIRE(c->Get("/api/v1/jobs/j-31337")->status == 404);
  REQUIRE(c->Get("/api/v1/no/such/route")->status == 404);
  auto m = c->Get("/api/v1/metrics");
  REQUIRE(m);
  CHECK(m->status == 200);
  CHECK(m->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);
  const std::string text = m->body;
  CHECK(text.find("hypersdk_http_requests_total") != std::string::npos);
  CHECK(text.find("route=\"/api/v1/jobs/{id}\"") != std::string::npos);
  CHECK(text.find("code=\"404\"") != std::string::npos);
  CHECK(text.find("route=\"unmatched\"") != std::string::npos);
  CHECK(text.find("j-31337") == std::string::npos);
  CHECK(text.find(id + "\"") == std::string::npos);
  CHECK(text.find("/no/such/route") == std::string::npos);
  CHECK(text.find("hypersdk_http_request_duration_seconds_bucket") != std::string::npos);
}

TEST_CASE("api: bearer tokens with roles") {
  api::ApiConfig cfg;
  cfg.tokens = {{"ro", "read-secret-1", api::Role::read},
                {"ops", "operate-secret-2", api::Role::operate},
                {"root", "admin-secret-3", api::Role::admin}};
  ApiFixture f(cfg);
  auto c = f.client();
  auto anon = c->Get("/api/v1/jobs");
  check_error_shape(anon, 401, "auth");
  CHECK(anon->get_header_value("WWW-Authenticate").rfind("Bearer", 0) == 0);
  check_error_shape(c->Get("/api/v1/jobs", {{"Authorization", "Bearer wrong"}}), 401, "auth");
  check_error_shape(c->Get("/api/v1/jobs", {{"Authorization", "Basic cm86eA=="}}), 401, "auth");
  // Probes and scrapes need no token.
  CHECK(c->Get("/api/v1/health")->status == 200);
  CHECK(c->Get("/api/v1/ready")->status == 200);
  CHECK(c->Get("/api/v1/metrics")->status == 200);

  const httplib::Headers ro{{"Authorization", "Bearer read-secret-1"}};
  const httplib::Headers ops{{"Authorization", "bearer operate-secret-2"}};
  const httplib::Headers root{{"Authorization", "Bearer admin-secret-3"}};
  CHECK(c->Get("/api/v1/jobs", ro)->status == 200);
  auto forbidden = submit(*c, R"({"type":"noop"})", ro);
  check_error_shape(forbidden, 403, "forbidden");
  CHECK(body_of(forbidden)["error"]["message"].get<std::string>().find("operate") !=
        std::string::npos);
  CHECK(submit(*c, R"({"type":"noop"})", ops)->status == 201);
  CHECK(submit(*c, R"({"type":"noop"})", root)->status == 201);
  check_error_shape(c->Delete("/api/v1/dlq", ops), 403, "forbidden");
  CHECK(c->Delete("/api/v1/dlq", root)->status == 200);
  check_error_shape(c->Get("/api/v1/config", ops), 403, "forbidden");
  auto cfg_r = c->Get("/api/v1/config", root);
  REQUIRE(cfg_r);
  CHECK(cfg_r->status == 200);
  CHECK(body_of(cfg_r)["api"]["tokens"] == "***");
}

TEST_CASE("api: the access log carries the request id and never the token") {
  test::TempDir dir;
  const std::string path = dir.file("api.log");
  REQUIRE(ops::log_init({ops::LogLevel::info, ops::LogFormat::json, path}).ok());
  {
    api::ApiConfig cfg;
    cfg.tokens = {{"ro", "super-secret-token-value", api::Role::read}};
    ApiFixture f(cfg);
    auto c = f.client();
    auto r = c->Get("/api/v1/jobs/j-5", {{"Authorization", "Bearer super-secret-token-value"},
                                         {"X-Request-ID", "trace-me-42"}});
    REQUIRE(r);
    CHECK(r->status == 404);
  }
  (void)ops::log_init({ops::LogLevel::warn, ops::LogFormat::text, ""});
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string log = ss.str();
  CHECK(log.find("super-secret-token-value") == std::string::npos);
  bool found = false;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line, nullptr, false);
    if (!j.is_object() || j.value("http.route", "") != "/api/v1/jobs/{id}") continue;
    found = true;
    CHECK(j["http.request.id"] == "trace-me-42");
    CHECK(j["http.response.status_code"] == 404);
    CHECK(j["http.request.method"] == "GET");
    CHECK(j["user.name"] == "ro");
    CHECK(j.contains("duration_ms"));
  }
  CHECK(found);
}

TEST_CASE("api: a client over its rate gets 429 with Retry-After") {
  api::ApiConfig cfg;
  cfg.rate_per_second = 1;
  cfg.burst = 3;
  ApiFixture f(cfg);
  auto c = f.client();
  for (int i = 0; i < 3; ++i) CHECK(c->Get("/api/v1/jobs")->status == 200);
  auto r = c->Get("/api/v1/jobs");
  check_error_shape(r, 429, "rate_limited");
  CHECK(std::stoi(r->get_header_value("Retry-After")) >= 1);
  // Probes are never throttled.
  CHECK(c->Get("/api/v1/health")->status == 200);
}

TEST_CASE("api: follow=1 streams appended lines as SSE, then end") {
  ApiFixture f;
  auto c = f.client();
  const std::string id = submit_noop(*c);
  const auto jid = *core::parse_job_id(id);
  auto claimed = f.sf.store->job_claim(1, f.clock.now_ms(), std::chrono::seconds(30), "w");
  REQUIRE(claimed.ok());
  REQUIRE(claimed->size() == 1);
  const auto token = claimed->front().lease_token;
  REQUIRE(f.sf.store->job_log_append({{0, jid, 1, "stdout", "before"}}).ok());

  std::mutex mu;
  std::condition_variable arrived;
  std::vector<api::SseEvent> events;  // GUARDED_BY(mu)
  std::string content_type;           // GUARDED_BY(mu)
  // True once `n` events have arrived over the stream, false after 10 s without them.
  auto wait_for_events = [&](std::size_t n) {
    std::unique_lock lock(mu);
    return arrived.wait_for(lock, std::chrono::seconds(10), [&] { return events.size() >= n; });
  };
  std::thread reader([&] {
    auto rc = f.client();
    api::SseParser parser;
    rc->Get(
        "/api/v1/jobs/" + id + "/logs?follow=1",
        [&](const httplib::Response& res) {
          std::lock_guard lock(mu);
          content_type = res.get_header_value("Content-Type");
          return res.status == 200;
        },
        [&](const char* data, size_t n) {
          return parser.feed(std::string_view(data, n), [&](const api::SseEvent& e) {
            std::lock_guard lock(mu);
            events.push_back(e);
            arrived.notify_all();
            return true;
          });
        });
  });
  // Live, not a replay at the end: the line written before the stream opened arrives while the
  // job runs, and so do lines written after it was open, each before the next is written. The
  // job ends only after that, so none of them can have come with the final replay. Nothing
  // here may throw before the join (a joinable thread would terminate the run): the checks of
  // the waits come after it.
  const bool opened = wait_for_events(1);
  CHECK(f.sf.store->job_log_append({{0, jid, 2, "stdout", "during 1"}}).ok());
  const bool first_live = wait_for_events(2);
  CHECK(f.sf.store->job_log_append({{0, jid, 3, "stderr", "during 2"}}).ok());
  const bool second_live = wait_for_events(3);
  CHECK(f.sf.store->job_log_append({{0, jid, 4, "stdout", "last"}}).ok());
  CHECK(f.sf.store
            ->job_complete({{jid, token, store::Outcome::succeeded, {}, "{}"}}, f.clock.now_ms())
            .ok());
  reader.join();
  CHECK_MESSAGE(opened,
                "the line written before the stream opened did not arrive while the job ran");
  CHECK_MESSAGE(first_live,
                "a line written while the stream was open did not arrive before the end");
  CHECK_MESSAGE(second_live,
                "a line written while the stream was open did not arrive before the end");

  CHECK(content_type == "text/event-stream");
  REQUIRE(events.size() == 5);
  const char* expected[] = {"before", "during 1", "during 2", "last"};
  for (int i = 0; i < 4; ++i) {
    CHECK(events[i].event == "log");
    const json line = json::parse(events[i].data);
    CHECK(line["line"] == expected[i]);
    CHECK(events[i].id == std::to_string(line["seq"].get<std::int64_t>()));
  }
  CHECK(events[4].event == "end");
  CHECK(json::parse(events[4].data)["status"] == "succeeded");
}

TEST_CASE("api: stop ends an open SSE stream and lets the request finish") {
  auto f = std::make_unique<ApiFixture>();
  auto c = f->client();
  const std::string id = submit_noop(*c);
  std::mutex mu;
  std::condition_variable cv;
  bool opened = false;  // GUARDED_BY(mu): the stream's 200 and headers arrived
  std::atomic<bool> done{false};
  std::thread reader([&] {
    auto rc = f->client();
    auto r = rc->Get(
        "/api/v1/jobs/" + id + "/logs?follow=1",
        [&](const httplib::Response& res) {
          std::lock_guard lock(mu);
          opened = res.status == 200;
          cv.notify_all();
          return true;
        },
        [](const char*, size_t) { return true; });
    done = true;
  });
  // The positive signal first (the stream is open), then the absence (it has not ended by
  // itself: the job is still queued).
  bool was_open;
  {
    std::unique_lock lock(mu);
    was_open = cv.wait_for(lock, std::chrono::seconds(10), [&] { return opened; });
  }
  CHECK(was_open);
  CHECK_FALSE(done.load());
  const auto t0 = std::chrono::steady_clock::now();
  f->server->stop(std::chrono::seconds(5));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4));
  reader.join();
  CHECK(done.load());
  f->server->stop(std::chrono::seconds(1));  // idempotent
}

TEST_CASE("api: start refuses a taken port, a bad address and a public one without tokens") {
  ApiFixture f;
  test::StoreFixture sf2;
  engine::SystemClock clock;
  engine::JobService jobs(*sf2.store, clock, {});
  auto start_with = [&](api::ApiConfig cfg) {
    api::ApiServer s(std::move(cfg), api::ApiDeps{jobs, nullptr, {}, {}});
    Status st = s.start();
    s.stop(std::chrono::seconds(1));
    return st;
  };
  api::ApiConfig taken;
  taken.listen = "127.0.0.1:" + std::to_string(f.port());
  Status st = start_with(taken);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().cls == ErrorClass::unavailable);
  CHECK(st.error().message.find("already in use") != std::string::npos);

  api::ApiConfig bad;
  bad.listen = "127.0.0.1:99999";
  st = start_with(bad);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().cls == ErrorClass::invalid);
  bad.listen = "no-such-host.invalid:8080";
  st = start_with(bad);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().cls == ErrorClass::invalid);

  api::ApiConfig open;
  open.listen = "0.0.0.0:0";
  st = start_with(open);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().cls == ErrorClass::invalid);
  CHECK(st.error().message.find("api.tokens") != std::string::npos);
  open.allow_remote_without_token = true;
  CHECK(start_with(open).ok());
  open.allow_remote_without_token = false;
  open.tokens = {{"a", "b", api::Role::read}};
  CHECK(start_with(open).ok());

  api::ApiConfig tls;
  tls.listen = "127.0.0.1:0";
  tls.tls_cert = "/nonexistent/cert.pem";
  st = start_with(tls);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().cls == ErrorClass::invalid);
}

TEST_CASE("api: rate limiter refills over time and bounds Retry-After") {
  api::RateLimiter rl(2, 2);
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CHECK(rl.acquire("a", t0).allowed);
  CHECK(rl.acquire("a", t0).allowed);
  auto d = rl.acquire("a", t0);
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after == std::chrono::seconds(1));
  CHECK(rl.acquire("b", t0).allowed);  // per client
  CHECK(rl.acquire("a", t0 + std::chrono::milliseconds(500)).allowed);
  CHECK_FALSE(rl.acquire("a", t0 + std::chrono::milliseconds(500)).allowed);
}

TEST_CASE("api: rate limiter takes new limits live and cuts full buckets to the new burst") {
  api::RateLimiter rl(100, 100);
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CHECK(rl.acquire("a", t0).allowed);  // 99 left
  rl.set_limits(1, 3);
  for (int i = 0; i < 3; ++i) CHECK(rl.acquire("a", t0).allowed);
  auto d = rl.acquire("a", t0);
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after == std::chrono::seconds(1));
  CHECK(rl.acquire("a", t0 + std::chrono::seconds(1)).allowed);  // refills at the new rate
  CHECK_FALSE(rl.acquire("a", t0 + std::chrono::seconds(1)).allowed);
}

TEST_CASE("api: request ids and roles parse strictly") {
  CHECK(api::is_valid_request_id("a"));
  CHECK(api::is_valid_request_id(std::string(128, 'z')));
  CHECK_FALSE(api::is_valid_request_id(""));
  CHECK_FALSE(api::is_valid_request_id(std::string(129, 'z')));
  CHECK_FALSE(api::is_valid_request_id("a b"));
  CHECK_FALSE(api::is_valid_request_id("a\nb"));
  CHECK(api::generate_request_id() != api::generate_request_id());
  CHECK(api::parse_role("operate") == api::Role::operate);
  CHECK_FALSE(api::parse_role("root"));
}

TEST_CASE("api: SSE parser joins data lines and survives split chunks") {
  const std::string stream =
      api::format_sse_event("log", "a\nb", 7) + ": ping\n\n" + api::format_sse_event("end", "{}");
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    api::SseParser p;
    std::vector<api::SseEvent> got;
    auto on = [&](const api::SseEvent& e) {
      got.push_back(e);
      return true;
    };
    p.feed(stream.substr(0, split), on);
    p.feed(stream.substr(split), on);
    REQUIRE(got.size() == 2);
    CHECK(got[0].event == "log");
    CHECK(got[0].data == "a\nb");
    CHECK(got[0].id == "7");
    CHECK(got[1].event == "end");
  }
}

TEST_CASE("api: api_config_from resolves token references and rejects unresolved ones") {
  ops::Config cfg;
  REQUIRE(cfg.set_override("api.tokens",
                           "[{name: ci, token: 'env:CI_TOKEN', role: operate}, "
                           "{name: admin, token: plain-secret, role: admin}]",
                           "--test")
              .ok());
  REQUIRE(cfg.set_override("api.listen", "127.0.0.1:9999", "--test").ok());
  REQUIRE(cfg.set_override("api.rate_limit.burst", "7", "--test").ok());
  auto a = api::api_config_from(cfg, {{"CI_TOKEN", "from-env"}});
  REQUIRE_MESSAGE(a.ok(), (a.ok() ? "" : a.error().message));
  CHECK(a->listen == "127.0.0.1:9999");
  CHECK(a->burst == 7);
  CHECK(a->rate_per_second == 50);
  REQUIRE(a->tokens.size() == 2);
  CHECK(a->tokens[0].name == "ci");
  CHECK(a->tokens[0].token == "from-env");
  CHECK(a->tokens[0].role == api::Role::operate);
  CHECK(a->tokens[1].token == "plain-secret");
  CHECK(a->tokens[1].role == api::Role::admin);

  auto missing = api::api_config_from(cfg, {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().cls == ErrorClass::invalid);
  CHECK(missing.error().message.find("ci") != std::string::npos);

  auto defaults = api::api_config_from(ops::Config(), {});
  REQUIRE(defaults.ok());
  CHECK(defaults->tokens.empty());
  CHECK(defaults->listen == "127.0.0.1:8080");
}

TEST_CASE("api: HTTPS with a certificate, verified by the API client") {
  test::TempDir dir;
  const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " >" + dir.file("openssl.log") + " 2>&1";
  // openssl is in the Makefile's DEB_PACKAGES: without it this test fails, it never passes
  // having checked nothing.
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream log(dir.file("openssl.log"));
    std::stringstream why;
    why << log.rdbuf();
    FAIL("openssl could not make a test certificate (run `make deps`): " << why.str());
  }
  api::ApiConfig cfg;
  cfg.tls_cert = cert;
  cfg.tls_key = key;
  ApiFixture f(cfg);
  const std::string url = "https://127.0.0.1:" + std::to_string(f.port());
  cli::ApiClient api(url, "");
  api.set_ca_cert_path(cert);
  auto h = api.get("/api/v1/health");
  REQUIRE_MESSAGE(h.ok(), (h.ok() ? "" : h.error().message));
  CHECK((*h)["status"] == "pass");
  auto missing = api.get("/api/v1/jobs/j-1");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().cls == ErrorClass::not_found);
  // Without the CA the certificate is not trusted.
  auto untrusted = cli::ApiClient(url, "").get("/api/v1/health");
  REQUIRE_FALSE(untrusted.ok());
  CHECK(untrusted.error().cls == ErrorClass::network);
  // Plain HTTP to the TLS port gets no JSON answer.
  CHECK_FALSE(cli::ApiClient("http://127.0.0.1:" + std::to_string(f.port()), "")
                  .get("/api/v1/health")
                  .ok());
}
