// Internal to src/api: the state of one ApiServer, shared by server.cpp (start, stop,
// access updates) and server_handlers.cpp (what httplib calls for each request).
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/gated_server.h"
#include "api/rate_limit.h"
#include "api/route.h"
#include "api/server.h"
#include "api/server_state.h"
#include "api/tls_context.h"

namespace hypersdk::api {

struct ApiServer::Impl {
  Impl(ApiConfig config, ApiDeps deps)
      : state(std::move(config), std::move(deps)),
        limiter(state.access()->rate_per_second, state.access()->burst) {}

  ServerState state;
  RateLimiter limiter;
  std::unique_ptr<TlsContext> tls;  // with HTTPS; outlives `http`, whose SSL_CTX points here
  std::unique_ptr<InlineHealth> inline_health;  // plain HTTP; outlives `http`, whose gate uses it
  std::unique_ptr<httplib::Server> http;
  GatedServer* gated = nullptr;  // http itself when plain HTTP; nullptr with TLS
  std::vector<Route> routes;     // immutable once serving
  std::vector<std::pair<std::regex, std::string>> matchers;  // pattern -> method, for 405
  std::thread thread;
  int listen_fd = -1;  // the socket httplib binds, seen in its socket-options callback
  std::atomic<int> port{0};
  std::string address;
  std::string host;  // as bound; set by start()

  // Serving has ended (listen returned, every request thread joined).
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;  // GUARDED_BY(done_mu)

  Status check_exposure(const std::string& host, const AccessPolicy& access) const;
  Status create_server();
  void install_handlers();
  bool admit(const httplib::Request& req, httplib::Response& res, Access access);
  void on_error(const httplib::Request& req, httplib::Response& res);
  void on_routed(const httplib::Request& req, httplib::Response& res);
  void on_finished(const httplib::Request& req, const httplib::Response& res);
  std::vector<std::string> allowed_methods(const std::string& path) const;
};

}  // namespace hypersdk::api
