// The CLI's API client against a real ApiServer: answers, error mapping, SSE, no server.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "api_test_support.h"
#include "cli/api_client.h"

using namespace hypersdk;
using nlohmann::json;
using test::ApiFixture;

namespace {

// A port nothing listens on: bound and released again.
int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("api client: submit, get, list, cancel and purge through the API") {
  ApiFixture f;
  cli::ApiClient api(f.url() + "/", "");
  auto job = api.post("/api/v1/jobs", {{"type", "noop"}}, {{"Idempotency-Key", "k-1"}});
  REQUIRE_MESSAGE(job.ok(), (job.ok() ? "" : job.error().message));
  CHECK((*job)["status"] == "queued");
  const std::string id = (*job)["id"];
  auto again = api.post("/api/v1/jobs", {{"type", "noop"}}, {{"Idempotency-Key", "k-1"}});
  REQUIRE(again.ok());
  CHECK((*again)["id"] == id);

  auto got = api.get("/api/v1/jobs/" + id);
  REQUIRE(got.ok());
  CHECK((*got)["id"] == id);
  auto list = api.get("/api/v1/jobs?limit=10");
  REQUIRE(list.ok());
  CHECK((*list)["jobs"].size() == 1);
  auto cancelled = api.post("/api/v1/jobs/" + id + "/cancel");
  REQUIRE(cancelled.ok());
  CHECK((*cancelled)["status"] == "cancelled");
  f.dead_job();
  auto purged = api.del("/api/v1/dlq");
  REQUIRE(purged.ok());
  CHECK((*purged)["purged"] == 1);
}

TEST_CASE("api client: error answers come back with their class, message and request id") {
  ApiFixture f;
  cli::ApiClient api(f.url(), "");
  auto missing = api.get("/api/v1/jobs/j-4040");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().cls == ErrorClass::not_found);
  CHECK(missing.error().message.find("j-4040") != std::string::npos);
  CHECK(missing.error().message.find("HTTP 404, request id req-") != std::string::npos);

  auto bad = api.post("/api/v1/jobs", {{"type", "noop"}, {"colour", "red"}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().cls == ErrorClass::invalid);
  CHECK(bad.error().message.find("colour") != std::string::npos);

  auto conflict =
      api.post("/api/v1/jobs/" +
               (*api.post("/api/v1/jobs", {{"type", "noop"}}))["id"].get<std::string>() + "/retry");
  REQUIRE_FALSE(conflict.ok());
  CHECK(conflict.error().cls == ErrorClass::conflict);

  auto wrong_method = api.del("/api/v1/jobs");
  REQUIRE_FALSE(wrong_method.ok());
  CHECK(wrong_method.error().cls == ErrorClass::invalid);

  cli::ApiClient bad_scheme("ftp://127.0.0.1:1", "");
  auto s = bad_scheme.get("/api/v1/health");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().cls == ErrorClass::invalid);
}

TEST_CASE("api client: tokens, 401, 403 and 429 map to auth and rate_limited") {
  api::ApiConfig cfg;
  cfg.tokens = {{"ro", "read-tok", api::Role::read}, {"op", "op-tok", api::Role::operate}};
  cfg.rate_per_second = 1;
  cfg.burst = 4;
  ApiFixture f(cfg);
  auto anon = cli::ApiClient(f.url(), "").get("/api/v1/jobs");
  REQUIRE_FALSE(anon.ok());
  CHECK(anon.error().cls == ErrorClass::auth);
  auto ro = cli::ApiClient(f.url(), "read-tok");
  CHECK(ro.get("/api/v1/jobs").ok());
  auto forbidden = ro.post("/api/v1/jobs", {{"type", "noop"}});
  REQUIRE_FALSE(forbidden.ok());
  CHECK(forbidden.error().cls == ErrorClass::auth);
  CHECK(forbidden.error().message.find("HTTP 403") != std::string::npos);
  CHECK(cli::ApiClient(f.url(), "op-tok").post("/api/v1/jobs", {{"type", "noop"}}).ok());
  // "ro" has used 2 of its 4; the third and fourth pass, the fifth is throttled.
  CHECK(ro.get("/api/v1/jobs").ok());
  CHECK(ro.get("/api/v1/jobs").ok());
  ro.set_rate_limit_budget(std::chrono::seconds(0));  // no waiting: the 429 itself
  auto limited = ro.get("/api/v1/jobs");
  REQUIRE_FALSE(limited.ok());
  CHECK(limited.error().cls == ErrorClass::rate_limited);
  CHECK(limited.error().message.find("retry after") != std::string::npos);
  // With the default budget the client waits out Retry-After (1 s here) and succeeds.
  auto waiting = cli::ApiClient(f.url(), "read-tok");
  const auto start = std::chrono::steady_clock::now();
  CHECK(waiting.get("/api/v1/jobs").ok());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));
  // A Retry-After beyond the budget is returned at once.
  waiting.set_rate_limit_budget(std::chrono::seconds(0));
  CHECK(waiting.get("/api/v1/jobs").ok() == false);
}

TEST_CASE("api client: nothing listening is unavailable with a hint") {
  const std::string url = "http://127.0.0.1:" + std::to_string(unused_port());
  cli::ApiClient api(url, "");
  auto r = api.get("/api/v1/health");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().cls == ErrorClass::unavailable);
  CHECK(r.error().message.find("is hypersdk serve running at " + url + "?") != std::string::npos);
  Status s = api.stream_sse("/api/v1/jobs/j-1/logs?follow=1",
                            [](const std::string&, const std::string&) { return true; });
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().cls == ErrorClass::unavailable);
}

TEST_CASE("api client: stream_sse follows a job's log to its end") {
  ApiFixture f;
  cli::ApiClient api(f.url(), "");
  auto job = api.post("/api/v1/jobs", {{"type", "noop"}});
  REQUIRE(job.ok());
  const std::string id = (*job)["id"];
  const auto jid = *core::parse_job_id(id);
  auto claimed = f.sf.store->job_claim(1, f.clock.now_ms(), std::chrono::seconds(30), "w");
  REQUIRE(claimed.ok());
  REQUIRE(claimed->size() == 1);
  // A doctest assertion off the test thread terminates the run instead of failing the test:
  // the producer records what the store said, the test thread checks it after the join.
  bool appended = false, completed = false;
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    appended = f.sf.store->job_log_append({{0, jid, 1, "stdout", "hello"}}).ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    completed = f.sf.store
                    ->job_complete(
                        {{jid, claimed->front().lease_token, store::Outcome::succeeded, {}, "{}"}},
                        f.clock.now_ms())
                    .ok();
  });
  std::vector<std::pair<std::string, std::string>> events;
  Status s = api.stream_sse("/api/v1/jobs/" + id + "/logs?follow=1",
                            [&](const std::string& event, const std::string& data) {
                              events.emplace_back(event, data);
                              return event != "end";
                            });
  producer.join();
  REQUIRE(appended);
  REQUIRE(completed);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  REQUIRE(events.size() == 2);
  CHECK(events[0].first == "log");
  CHECK(json::parse(events[0].second)["line"] == "hello");
  CHECK(events[1].first == "end");
  CHECK(json::parse(events[1].second)["status"] == "succeeded");

  Status missing = api.stream_sse("/api/v1/jobs/j-999/logs?follow=1",
                                  [](const std::string&, const std::string&) { return true; });
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().cls == ErrorClass::not_found);
  CHECK(missing.error().message.find("request id") != std::string::npos);
}
