#include "cli/api_client.h"

#include <httplib.h>

#include <iostream>
#include <memory>
#include <thread>

#include "api/errors.h"
#include "api/sse.h"
#include "engine/schedule_service.h"

namespace hypersdk::cli {

struct ApiClient::Target {
  std::string scheme_host_port;  // "http://127.0.0.1:8080"
  std::string prefix;            // "" or "/hypersdk"
};

namespace {

using nlohmann::json;

// The server's request id and message from an error answer, and the class for it.
Error error_from_response(int status, const std::string& body, const std::string& request_id,
                          const std::string& retry_after) {
  std::string code, message, rid = request_id;
  const json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const json& e = j["error"];
    if (e.contains("code") && e["code"].is_string()) code = e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string())
      message = e["message"].get<std::string>();
    if (e.contains("request_id") && e["request_id"].is_string() &&
        !e["request_id"].get<std::string>().empty())
      rid = e["request_id"].get<std::string>();
  } else if (j.is_object() && j.contains("output") && j["output"].is_string()) {
    message = j["output"].get<std::string>();  // health+json (GET /ready): the failing checks
  }
  if (message.empty()) message = "the server answered HTTP " + std::to_string(status);
  std::string suffix = "HTTP " + std::to_string(status);
  if (!rid.empty()) suffix += ", request id " + rid;
  if (!retry_after.empty()) suffix += ", retry after " + retry_after + " s";
  return make_error(api::error_class_for(code, status), message + " (" + suffix + ")");
}

Error transport_error(httplib::Error err, const std::string& url) {
  switch (err) {
    case httplib::Error::Connection:
      return make_error(ErrorClass::unavailable,
                        "cannot connect to " + url + ": is hypersdk serve running at " + url + "?");
    case httplib::Error::ConnectionTimeout:
      return make_error(ErrorClass::unavailable, "timed out connecting to " + url +
                                                     ": is hypersdk serve running at " + url + "?");
    case httplib::Error::Read:
      return make_error(ErrorClass::network,
                        "lost the connection to " + url + " while reading the answer");
    case httplib::Error::Write:
      return make_error(ErrorClass::network,
                        "lost the connection to " + url + " while sending the request");
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLServerVerification:
    case httplib::Error::SSLLoadingCerts:
      return make_error(ErrorClass::network, "TLS with " + url + " failed (" +
                                                 httplib::to_string(err) +
                                                 "): check the URL scheme and the CA certificate");
    default:
      return make_error(ErrorClass::network,
                        "request to " + url + " failed: " + httplib::to_string(err));
  }
}

Result<json> decode(const httplib::Result& r, const std::string& url) {
  if (!r) return transport_error(r.error(), url);
  const httplib::Response& res = r.value();
  if (res.status >= 400)
    return error_from_response(res.status, res.body, res.get_header_value("X-Request-ID"),
                               res.get_header_value("Retry-After"));
  if (res.body.empty()) return json::object();
  json j = json::parse(res.body, nullptr, false);
  if (j.is_discarded())
    return make_error(ErrorClass::internal, "the server at " + url +
                                                " answered with something that is not JSON "
                                                "(is this URL a hypersdk API?)");
  return j;
}

}  // namespace

ApiClient::ApiClient(std::string base_url, std::string token, ClientTls tls)
    : base_url_(std::move(base_url)),
      token_(std::move(token)),
      ca_cert_path_(std::move(tls.ca_cert)),
      insecure_(tls.insecure) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  if (base_url_.find("://") == std::string::npos) base_url_ = "http://" + base_url_;
}

Result<ApiClient::Target> ApiClient::target() const {
  const auto scheme_end = base_url_.find("://");
  const std::string scheme = base_url_.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https")
    return make_error(ErrorClass::invalid,
                      "--server " + base_url_ + ": the URL must start with http:// or https://");
  const auto path_start = base_url_.find('/', scheme_end + 3);
  Target t;
  t.scheme_host_port = base_url_.substr(0, path_start);
  if (path_start != std::string::npos) t.prefix = base_url_.substr(path_start);
  if (t.scheme_host_port.size() <= scheme_end + 3)
    return make_error(ErrorClass::invalid, "--server " + base_url_ + ": the URL names no host");
  return t;
}

namespace {

// "$USER (uid N)" for the server's audit trail, printable ASCII only (a header value).
std::string requested_by() {
  std::string out;
  for (unsigned char c : engine::local_actor())
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
  return out.substr(0, 200);
}

std::unique_ptr<httplib::Client> make_client(const std::string& scheme_host_port,
                                             const std::string& token, const std::string& ca,
                                             bool insecure, std::chrono::seconds connect,
                                             std::chrono::seconds read) {
  auto c = std::make_unique<httplib::Client>(scheme_host_port);
  c->set_connection_timeout(connect);
  c->set_read_timeout(read);
  c->set_write_timeout(std::chrono::seconds(30));
  c->set_keep_alive(false);
  if (!token.empty()) c->set_bearer_token_auth(token);
  c->enable_server_certificate_verification(!insecure);
  if (!ca.empty()) c->set_ca_cert_path(ca);
  c->set_default_headers({{"User-Agent", "hypersdk-cli/" HYPERSDK_VERSION},
                          {"Accept", "application/json"},
                          {"X-Requested-By", requested_by()}});
  return c;
}

}  // namespace

namespace {

// Retry-After in whole seconds (RFC 9110 also allows an HTTP date; our server sends seconds,
// and anything else counts as 1 s).
int retry_after_seconds(const std::string& value) {
  try {
    std::size_t used = 0;
    const int n = std::stoi(value, &used);
    if (used == value.size() && n >= 0) return n;
  } catch (const std::exception&) {
  }
  return 1;
}

}  // namespace

httplib::Result ApiClient::send(const Call& call) const {
  // A 429 is refused before the server did anything, so sending again is safe for every
  // method; wait out Retry-After while the budget lasts, then give the 429 to the caller.
  auto budget = rate_limit_budget_;
  for (;;) {
    auto t = target();
    auto c = make_client(t->scheme_host_port, token_, ca_cert_path_, insecure_, connect_timeout_,
                         read_timeout_);
    httplib::Result r = call(*c, t->prefix);
    if (!r || r->status != 429) return r;
    const std::chrono::seconds wait(retry_after_seconds(r->get_header_value("Retry-After")));
    if (wait > budget) return r;
    budget -= wait;
    std::cerr << "hypersdk: the server is rate limiting this client; retrying in " << wait.count()
              << " s\n";
    std::this_thread::sleep_for(wait);
  }
}

Result<json> ApiClient::get(const std::string& path) const {
  if (auto t = target(); !t) return t.error();
  return decode(
      send([&](httplib::Client& c, const std::string& prefix) { return c.Get(prefix + path); }),
      base_url_);
}

Result<ApiClient::Answer> ApiClient::get_answer(const std::string& path) const {
  if (auto t = target(); !t) return t.error();
  auto r =
      send([&](httplib::Client& c, const std::string& prefix) { return c.Get(prefix + path); });
  if (!r) return transport_error(r.error(), base_url_);
  Answer a;
  a.status = r->status;
  a.body = json::parse(r->body, nullptr, false);
  if (a.body.is_discarded()) a.body = nullptr;
  return a;
}

Result<json> ApiClient::post(const std::string& path, const json& body,
                             const Headers& headers) const {
  if (auto t = target(); !t) return t.error();
  httplib::Headers h(headers.begin(), headers.end());
  const std::string text = body.dump();
  return decode(send([&](httplib::Client& c, const std::string& prefix) {
                  return c.Post(prefix + path, h, text, "application/json");
                }),
                base_url_);
}

Result<json> ApiClient::del(const std::string& path) const {
  if (auto t = target(); !t) return t.error();
  return decode(
      send([&](httplib::Client& c, const std::string& prefix) { return c.Delete(prefix + path); }),
      base_url_);
}

Result<json> ApiClient::put(const std::string& path, const json& body) const {
  if (auto t = target(); !t) return t.error();
  const std::string text = body.dump();
  return decode(send([&](httplib::Client& c, const std::string& prefix) {
                  return c.Put(prefix + path, text, "application/json");
                }),
                base_url_);
}

Status ApiClient::stream_sse(
    const std::string& path,
    const std::function<bool(const std::string& event, const std::string& data)>& on_event) const {
  auto t = target();
  if (!t) return t.error();
  // The server sends a comment at least every 15 s while idle; a read timeout well above
  // that notices a dead server without cutting off a quiet job.
  auto c = make_client(t->scheme_host_port, token_, ca_cert_path_, insecure_, connect_timeout_,
                       std::max(read_timeout_, std::chrono::seconds(60)));
  int status = 0;
  std::string request_id, retry_after, error_body;
  bool stopped = false;
  api::SseParser parser;
  auto r = c->Get(
      t->prefix + path, httplib::Headers{{"Accept", "text/event-stream"}},
      [&](const httplib::Response& res) {
        status = res.status;
        request_id = res.get_header_value("X-Request-ID");
        retry_after = res.get_header_value("Retry-After");
        return true;
      },
      [&](const char* data, size_t n) {
        if (status >= 400) {
          error_body.append(data, n);
          return error_body.size() < (1 << 20);
        }
        const bool go_on = parser.feed(std::string_view(data, n), [&](const api::SseEvent& e) {
          return on_event(e.event, e.data);
        });
        stopped = !go_on;
        return go_on;
      });
  if (stopped) return Status::Ok();
  if (status >= 400) return error_from_response(status, error_body, request_id, retry_after);
  if (!r) return transport_error(r.error(), base_url_);
  return Status::Ok();
}

}  // namespace hypersdk::cli
