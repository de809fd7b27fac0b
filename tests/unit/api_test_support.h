// A real ApiServer on 127.0.0.1 (a free port) over a real SQLite store and JobService, for
// the API and API-client tests.
#pragma once

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/server.h"
#include "engine/clock.h"
#include "engine/job_service.h"
#include "ops/metrics.h"
#include "test_support.h"

namespace hypersdk::test {

struct ApiFixture {
  StoreFixture sf;
  engine::SystemClock clock;
  engine::JobService jobs{*sf.store, clock, engine::AdmissionPolicy{}};
  ops::Metrics metrics{"test"};
  std::atomic<bool> db_ok{true};
  std::unique_ptr<api::ApiServer> server;
  int dead_jobs = 0;

  explicit ApiFixture(api::ApiConfig cfg = {}) {
    cfg.listen = "127.0.0.1:0";
    api::ApiDeps deps{jobs, &metrics,
                      [this] {
                        return std::vector<api::ReadyCheck>{
                            {"database:reachable", db_ok.load(), db_ok ? "" : "locked"}};
                      },
                      [] {
                        return nlohmann::json{{"api", {{"tokens", "***"}}}};
                      }};
    server = std::make_unique<api::ApiServer>(cfg, deps);
    Status s = server->start();
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  }
  ~ApiFixture() { server->stop(std::chrono::seconds(5)); }

  int port() const { return server->port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port());
    c->set_read_timeout(std::chrono::seconds(10));
    return c;
  }

  // A job that failed with a non-retryable error and sits in the dead-letter queue.
  core::JobId dead_job() {
    core::JobSpec spec;
    spec.type = "noop";
    spec.retry.max_retries = 0;
    spec.priority = 900 + dead_jobs++;  // claimed before anything else queued
    auto job = jobs.submit(spec);
    REQUIRE(job.ok());
    const auto now = clock.now_ms();
    auto claimed = sf.store->job_claim(1, now, std::chrono::seconds(30), "test-worker");
    REQUIRE(claimed.ok());
    REQUIRE(claimed->size() == 1);
    const core::Job& j = claimed->front();
    REQUIRE(j.id == job->id);
    store::Completion c{j.id, j.lease_token, store::Outcome::failed,
                        make_error(ErrorClass::internal, "boom"), ""};
    REQUIRE(sf.store->job_complete({c}, now).ok());
    return job->id;
  }
};

inline nlohmann::json body_of(const httplib::Result& r) {
  REQUIRE(r);
  return nlohmann::json::parse(r->body, nullptr, false);
}

}  // namespace hypersdk::test
