// The CLI's HTTP client for `--server URL` mode: JSON requests to a running hypersdk serve,
// with its error answers turned back into Error values of the right class, so a command
// exits with the same code whether it ran locally or through the API.
//
//   ApiClient api("http://127.0.0.1:8080", token);    // token from --token or HYPERSDK_TOKEN
//   auto job = api.post("/api/v1/jobs", {{"type", "noop"}});
//   api.stream_sse("/api/v1/jobs/j-1/logs?follow=1", [](auto& event, auto& data) { ...; });
//
// Paths are appended to the base URL (which may carry a path prefix for a reverse proxy).
// An error answer {"error":{"code","message","request_id"}} becomes an Error whose class is
// parsed from `code` (else derived from the HTTP status) and whose message is the server's,
// followed by "(HTTP <status>, request id <id>)". No answer at all: class unavailable with
// "is hypersdk serve running at URL?"; a broken connection: class network. A 429 is sent again
// after its Retry-After, within a bounded budget (set_rate_limit_budget).
//
// Thread safety: an ApiClient is immutable after construction; each call opens its own
// connection, so calls may run concurrently from several threads.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"

namespace httplib {
class Client;
class Result;
}  // namespace httplib

namespace hypersdk::cli {

// How an https:// server is verified (--cacert, --insecure).
struct ClientTls {
  std::string ca_cert;    // a PEM bundle instead of the system's CAs; empty: the system's
  bool insecure = false;  // no verification at all (testing only)
};

class ApiClient {
 public:
  // base_url: "http://host:port" or "https://host:port", optionally with a path prefix;
  // a URL without a scheme means http. An empty token sends no Authorization header.
  ApiClient(std::string base_url, std::string token, ClientTls tls = {});

  using Headers = std::map<std::string, std::string>;

  Result<nlohmann::json> get(const std::string& path) const;
  Result<nlohmann::json> post(const std::string& path,
                              const nlohmann::json& body = nlohmann::json::object(),
                              const Headers& headers = {}) const;
  Result<nlohmann::json> del(const std::string& path) const;
  Result<nlohmann::json> put(const std::string& path, const nlohmann::json& body) const;

  // Any HTTP answer, error statuses included (e.g. /ready's 503 body names the failing
  // checks); only a failed connection is an Error. `body` is null when it is not JSON.
  struct Answer {
    int status = 0;
    nlohmann::json body;
  };
  Result<Answer> get_answer(const std::string& path) const;

  // GET `path` as Server-Sent Events; calls on_event(event, data) for each event until it
  // returns false (Ok) or the server ends the stream (Ok). An error answer before the stream
  // starts is mapped like any other.
  Status stream_sse(
      const std::string& path,
      const std::function<bool(const std::string& event, const std::string& data)>& on_event) const;

  // HTTPS: a PEM bundle to verify the server with instead of the system's CAs.
  void set_ca_cert_path(std::string path) { ca_cert_path_ = std::move(path); }
  void set_timeouts(std::chrono::seconds connect, std::chrono::seconds read) {
    connect_timeout_ = connect;
    read_timeout_ = read;
  }

  // On 429 every call waits out Retry-After and sends again while the waits fit in this
  // budget (a larger Retry-After is returned as the error at once). Zero: never wait.
  void set_rate_limit_budget(std::chrono::seconds budget) { rate_limit_budget_ = budget; }

  const std::string& base_url() const { return base_url_; }

 private:
  struct Target;
  Result<Target> target() const;
  // Sends with a fresh client, again after each 429 as the budget allows.
  // REQUIRES: target() is ok.
  using Call = std::function<httplib::Result(httplib::Client&, const std::string& prefix)>;
  httplib::Result send(const Call& call) const;

  std::string base_url_;
  std::string token_;
  std::string ca_cert_path_;
  bool insecure_ = false;
  std::chrono::seconds connect_timeout_{5};
  std::chrono::seconds read_timeout_{60};
  std::chrono::seconds rate_limit_budget_{30};
};

}  // namespace hypersdk::cli
