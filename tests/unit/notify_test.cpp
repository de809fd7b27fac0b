// Notifications: signing (a Standard Webhooks test vector), the SSRF address classes, the
// routing of the spec's table, the notifications config, job events and the store's outbox.
#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "notify/channels.h"
#include "notify/http_post.h"
#include "notify/router.h"
#include "notify/signing.h"
#include "ops/notify_config.h"
#include "store/sqlite_outbox.h"
#include "test_support.h"

using namespace hypersdk;
using nlohmann::json;

namespace {

bool private_v4(const char* ip) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, ip, &a.sin_addr);
  return notify::is_private_address(reinterpret_cast<sockaddr*>(&a));
}

bool private_v6(const char* ip) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  return notify::is_private_address(reinterpret_cast<sockaddr*>(&a));
}

Result<ops::LoadedConfig> load(const std::string& yaml) {
  test::TempDir dir;
  const auto path = dir.path() / "c.yaml";
  std::ofstream(path) << yaml;
  ops::LoadOptions o;
  o.path = path;
  o.working_dir = dir.path();
  o.system_dir = dir.path() / "etc";
  return ops::load_config(o);
}

constexpr const char* kSpecTable = R"(notifications:
  receivers:
    slack-critical: {type: slack, url: "https://hooks.slack.com/services/T/B/critical"}
    pagerduty: {type: pagerduty, routing_key: env:PD_KEY}
    slack-alerts: {type: slack, url: "https://hooks.slack.com/services/T/B/alerts"}
    slack-log: {type: slack, url: "https://hooks.slack.com/services/T/B/log"}
  routes:
    - match: {event: job.failed, retries_exhausted: true}
      receivers: [slack-critical, pagerduty]
    - match: {event: job.failed, final: false}
      receivers: [slack-alerts]
    - match: {event: job.completed}
      receivers: [slack-log]
    - match: {event: schedule.missed}
      receivers: [slack-alerts]
)";

store::Event event(const std::string& kind, const std::string& severity, json payload) {
  return {1, kind, severity, "s", payload.dump(), 0};
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("standard webhooks signature matches the specification's test vector") {
  auto key = notify::webhook_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  REQUIRE(key.ok());
  CHECK(notify::standard_signature({*key}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                   R"({"test": 2432232314})") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // Key rotation: one signature per key, space-separated.
  auto two = notify::standard_signature({*key, "other"}, "m", 1, "{}");
  CHECK(two.find(' ') != std::string::npos);
  CHECK(two.rfind("v1,", 0) == 0);
  CHECK_FALSE(notify::webhook_key("whsec_!!!notbase64").ok());
  CHECK(notify::hub_signature("It's a Secret to Everybody", "Hello, World!") ==
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

TEST_CASE("private, loopback and link-local addresses are refused, public ones are not") {
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                         "169.254.169.254", "0.0.0.0", "100.64.0.1", "224.0.0.1"})
    CHECK_MESSAGE(private_v4(ip), ip);
  for (const char* ip : {"8.8.8.8", "172.32.0.1", "1.1.1.1", "192.169.0.1"})
    CHECK_FALSE_MESSAGE(private_v4(ip), ip);
  for (const char* ip : {"::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"})
    CHECK_MESSAGE(private_v6(ip), ip);
  for (const char* ip : {"2001:4860:4860::8888", "::ffff:8.8.8.8"})
    CHECK_FALSE_MESSAGE(private_v6(ip), ip);
}

TEST_CASE("retry-after is read in seconds and as an HTTP date") {
  const auto now = std::chrono::system_clock::from_time_t(1'700'000'000);
  CHECK(notify::parse_retry_after("2", now) == std::chrono::milliseconds(2000));
  CHECK(notify::parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now) ==
        std::chrono::milliseconds(10'000));
  CHECK_FALSE(notify::parse_retry_after("soon", now).has_value());
}

TEST_CASE("each row of the spec's routing table reaches exactly its receivers") {
  auto cfg = load(kSpecTable);
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
  auto n = ops::notify_config(cfg->config);
  REQUIRE(n.ok());
  const json job{{"id", "j-1"}, {"type", "export"}, {"labels", json::object()}};
  CHECK(notify::route_event(*n,
                            event("job.failed", "critical",
                                  {{"job", job}, {"retries_exhausted", true}, {"final", true}})) ==
        V{"slack-critical", "pagerduty"});
  CHECK(notify::route_event(
            *n, event("job.failed", "warning",
                      {{"job", job}, {"retries_exhausted", false}, {"final", false}})) ==
        V{"slack-alerts"});
  CHECK(notify::route_event(*n, event("job.completed", "info", {{"job", job}})) == V{"slack-log"});
  CHECK(notify::route_event(*n, event("schedule.missed", "warning", {{"schedule", "x"}})) ==
        V{"slack-alerts"});
  // Nothing matches a start, and there is no default receiver.
  CHECK(notify::route_event(*n, event("job.started", "info", {{"job", job}})).empty());
}

TEST_CASE("routes: continue, severity, labels and the default receivers") {
  auto cfg = load(R"(notifications:
  receivers:
    a: {type: webhook, url: "https://a.example"}
    b: {type: webhook, url: "https://b.example"}
    c: {type: webhook, url: "https://c.example"}
  routes:
    - match: {event: "job.*", labels: {env: "prod*"}}
      receivers: [a]
      continue: true
    - match: {severity: [critical]}
      receivers: [b, a]
  default_receivers: [c]
)");
  REQUIRE(cfg.ok());
  auto n = ops::notify_config(cfg->config);
  REQUIRE(n.ok());
  const json prod{{"job", {{"labels", {{"env", "prod-eu"}}}}}};
  const json dev{{"job", {{"labels", {{"env", "dev"}}}}}};
  CHECK(notify::route_event(*n, event("job.failed", "critical", prod)) == V{"a", "b"});
  CHECK(notify::route_event(*n, event("job.completed", "info", prod)) == V{"a"});
  CHECK(notify::route_event(*n, event("job.failed", "critical", dev)) == V{"b", "a"});
  CHECK(notify::route_event(*n, event("job.completed", "info", dev)) == V{"c"});
}

TEST_CASE("a bad notifications section is refused naming the key, value and rule") {
  auto bad_type = load("notifications:\n  receivers:\n    x: {type: sms, url: https://a}\n");
  REQUIRE_FALSE(bad_type.ok());
  CHECK(bad_type.error().message.find("notifications.receivers.x.type") != std::string::npos);
  CHECK(bad_type.error().message.find("'sms'") != std::string::npos);
  auto no_url = load("notifications:\n  receivers:\n    x: {type: webhook}\n");
  REQUIRE_FALSE(no_url.ok());
  CHECK(no_url.error().message.find("notifications.receivers.x.url") != std::string::npos);
  auto ftp = load("notifications:\n  receivers:\n    x: {type: webhook, url: ftp://a}\n");
  REQUIRE_FALSE(ftp.ok());
  CHECK(ftp.error().message.find("http:// or https://") != std::string::npos);
  auto bad_matcher = load(
      "notifications:\n  receivers:\n    x: {type: webhook, url: https://a}\n"
      "  routes:\n    - match: {evnt: job.failed}\n      receivers: [x]\n");
  REQUIRE_FALSE(bad_matcher.ok());
  CHECK(bad_matcher.error().message.find("unknown matcher 'evnt'") != std::string::npos);
  auto bad_severity = load(
      "notifications:\n  receivers:\n    x: {type: webhook, url: https://a}\n"
      "  routes:\n    - match: {severity: urgent}\n      receivers: [x]\n");
  REQUIRE_FALSE(bad_severity.ok());
  CHECK(bad_severity.error().message.find("critical, warning or info") != std::string::npos);
  // An unknown receiver in a route is caught across keys.
  auto unknown = load(
      "notifications:\n  receivers:\n    x: {type: webhook, url: https://a}\n"
      "  routes:\n    - match: {event: job.failed}\n      receivers: [y]\n");
  REQUIRE(unknown.ok());
  auto n = ops::notify_config(unknown->config);
  REQUIRE_FALSE(n.ok());
  CHECK(n.error().message.find("notifications.routes[0].receivers: unknown receiver 'y'") !=
        std::string::npos);
}

TEST_CASE("receiver secrets are redacted by config show") {
  auto cfg = load(
      "notifications:\n  receivers:\n"
      "    x: {type: webhook, url: \"https://a.example/?t=TOPSECRET\", secret: whsec_AAAA,"
      " headers: {X-Team: ops}}\n"
      "    p: {type: pagerduty, routing_key: env:PD}\n");
  REQUIRE(cfg.ok());
  const std::string shown = cfg->config.to_json(true).dump();
  CHECK(shown.find("TOPSECRET") == std::string::npos);
  CHECK(shown.find("whsec_AAAA") == std::string::npos);
  CHECK(shown.find("ops") != std::string::npos);     // not a secret
  CHECK(shown.find("env:PD") != std::string::npos);  // a reference reveals nothing
}

TEST_CASE("job events carry the spec's payload and the failure's facts") {
  test::StoreFixture f;
  store::SqliteOutbox outbox(f.db);
  store::JobSpec s;
  s.type = "noop";
  s.target = "prod-web-01";
  s.provider = "local";
  s.retry.max_retries = 1;
  s.retry.base = std::chrono::milliseconds(1000);
  auto job = f.store->job_enqueue(s, 1000);
  REQUIRE(job.ok());
  auto claim = [&](store::TimeMs now) {
    auto c = f.store->job_claim(1, now, std::chrono::seconds(30), "w");
    REQUIRE(c.ok());
    REQUIRE(c->size() == 1);
    return (*c)[0].lease_token;
  };
  auto fail = [&](std::int64_t token, store::TimeMs now) {
    store::Completion done{job->id, token, store::Outcome::failed,
                           Error{ErrorClass::transient, "disk busy"}, ""};
    REQUIRE(f.store->job_complete({done}, now).ok());
  };
  fail(claim(2000), 5000);
  fail(claim(100'000), 107'000);
  auto events = outbox.event_unrouted(100);
  REQUIRE(events.ok());
  std::vector<std::string> kinds;
  for (const auto& e : *events) kinds.push_back(e.kind);
  CHECK(kinds == V{"job.started", "job.failed", "job.started", "job.failed"});
  const json retrying = json::parse((*events)[1].payload);
  CHECK((*events)[1].severity == "warning");
  CHECK(retrying["event"] == "job.failed");
  CHECK(retrying["final"] == false);
  CHECK(retrying["retries_exhausted"] == false);
  CHECK(retrying["job"]["id"] == "j-1");
  CHECK(retrying["job"]["vm_name"] == "prod-web-01");
  CHECK(retrying["job"]["provider"] == "local");
  CHECK(retrying["job"]["duration_seconds"] == 3);
  CHECK(retrying["error"]["class"] == "transient");
  CHECK(retrying["error"]["message"] == "disk busy");
  const json last = json::parse((*events)[3].payload);
  CHECK((*events)[3].severity == "critical");
  CHECK(last["retries_exhausted"] == true);
  CHECK(last["final"] == true);
  CHECK(last["job"]["status"] == "failed");
  CHECK(last["job"]["attempt"] == 2);

  store::JobSpec ok;
  ok.type = "noop";
  auto j2 = f.store->job_enqueue(ok, 200'000);
  REQUIRE(j2.ok());
  auto c = f.store->job_claim(1, 200'000, std::chrono::seconds(30), "w");
  REQUIRE(c.ok());
  store::Completion done{j2->id,
                         (*c)[0].lease_token,
                         store::Outcome::succeeded,
                         {},
                         R"({"path":"/x.ova","format":"ova","size_bytes":42})"};
  REQUIRE(f.store->job_complete({done}, 201'000).ok());
  events = outbox.event_unrouted(100);
  const json completed = json::parse(events->back().payload);
  CHECK(events->back().kind == "job.completed");
  CHECK(completed["job"]["status"] == "completed");
  CHECK(completed["job"]["output_size_bytes"] == 42);
  CHECK(completed["job"]["output_format"] == "ova");
}

TEST_CASE("an email receiver needs smtp(s), from and to, and a known tls mode") {
  auto ok = load(
      "notifications:\n  receivers:\n"
      "    m: {type: email, url: \"smtp://mail:587\", from: a@b.c, to: [x@y.z], digest: 15m}\n");
  REQUIRE_MESSAGE(ok.ok(), (ok.ok() ? "" : ok.error().message));
  auto n = ops::notify_config(ok->config);
  REQUIRE(n.ok());
  CHECK(n->receivers.at("m").tls == "starttls");  // required unless said otherwise
  CHECK(n->receivers.at("m").digest == std::chrono::minutes(15));
  auto bad = load(
      "notifications:\n  receivers:\n"
      "    m: {type: email, url: \"http://mail\", tls: maybe}\n");
  REQUIRE_FALSE(bad.ok());
  const std::string msg = bad.error().message;
  CHECK(msg.find("notifications.receivers.m.url: expected an smtp:// or smtps:// URL") !=
        std::string::npos);
  CHECK(msg.find("notifications.receivers.m.from") != std::string::npos);
  CHECK(msg.find("notifications.receivers.m.to") != std::string::npos);
  CHECK(msg.find("notifications.receivers.m.tls") != std::string::npos);
}

TEST_CASE("a slack message links to the job under api.public_url, and has no link without it") {
  notify::Receiver r;
  r.config.type = "slack";
  r.url = "https://hooks.slack.com/services/T/B/x";
  const json payload = {{"job", {{"id", "j-42"}, {"status", "failed"}, {"type", "export"}}}};
  const notify::OutgoingEvent e{7, "job.failed", "critical", "j-42", payload.dump(), 1000};
  auto body = json::parse(notify::build_request(r, e, 1000).body);
  CHECK_FALSE(body["attachments"][0].contains("title_link"));
  CHECK(body["attachments"][0]["color"] == "danger");
  r.public_url = "https://backup.example.com";
  body = json::parse(notify::build_request(r, e, 1000).body);
  CHECK(body["attachments"][0]["title_link"] == "https://backup.example.com/api/v1/jobs/j-42");
}
