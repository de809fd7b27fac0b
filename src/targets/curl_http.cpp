#include "targets/curl_http.h"

#include <curl/curl.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <regex>

namespace hypersdk::targets {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  const HttpRequest* req = nullptr;
  HttpResponse* res = nullptr;
  std::FILE* file = nullptr;
  std::uint64_t remaining = 0;
  std::size_t body_pos = 0;
  bool sink_stopped = false;
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t want = size * n;
  if (t->file) {
    want = static_cast<std::size_t>(std::min<std::uint64_t>(want, t->remaining));
    if (want == 0) return 0;
    const std::size_t got = std::fread(buf, 1, want, t->file);
    if (got == 0) return CURL_READFUNC_ABORT;  // the file shrank under us
    if (t->req->on_body_read) t->req->on_body_read(t->req->file->length - t->remaining, buf, got);
    t->remaining -= got;
    return got;
  }
  const std::string& body = t->req->body;
  want = std::min(want, body.size() - t->body_pos);
  std::memcpy(buf, body.data() + t->body_pos, want);
  t->body_pos += want;
  return want;
}

std::size_t write_cb(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  // Only a 2xx body goes to the sink; error bodies are kept for the message.
  if (t->req->sink && t->res->status >= 200 && t->res->status < 300) {
    if (!t->req->sink(data, len)) {
      t->sink_stopped = true;
      return 0;
    }
    return len;
  }
  if (t->res->body.size() < (1u << 20)) t->res->body.append(data, len);
  return len;
}

std::size_t header_cb(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->res->headers.clear();  // a 100 Continue or an earlier answer
    auto sp = line.find(' ');
    if (sp != std::string::npos) t->res->status = std::atol(line.c_str() + sp + 1);
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.pop_back();
    t->res->headers[name] = value;
  }
  return size * n;
}

int progress_cb(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(user);
  if (t->req->on_progress && !t->req->on_progress(static_cast<std::uint64_t>(ulnow))) return 1;
  return 0;
}

}  // namespace

Result<HttpResponse> http_perform(const HttpRequest& req) {
  global_init();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return make_error(ErrorClass::internal, "curl_easy_init failed");
  HttpResponse res;
  Transfer t{&req, &res};
  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(nullptr, std::fclose);
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // no proxies from the environment
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(req.timeout_seconds));
  // A stall (under 1 byte/s for timeout_seconds) ends the transfer; a slow but moving one
  // continues however long it takes.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(req.timeout_seconds));
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  if (!req.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, req.ca_file.c_str());
  if (!req.user.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, req.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, req.password.c_str());
  }
  std::uint64_t body_size = req.body.size();
  if (req.file) {
    file.reset(std::fopen(req.file->path.c_str(), "rb"));
    if (!file)
      return make_error(ErrorClass::not_found,
                        "cannot open " + req.file->path.string() + ": " + std::strerror(errno));
    // Unbuffered: fread reads straight into libcurl's upload buffer, no copy through stdio's.
    std::setvbuf(file.get(), nullptr, _IONBF, 0);
    if (fseeko(file.get(), static_cast<off_t>(req.file->offset), SEEK_SET) != 0)
      return make_error(ErrorClass::internal, "cannot seek in " + req.file->path.string());
    t.file = file.get();
    t.remaining = req.file->length;
    body_size = req.file->length;
  }
  const bool has_body = req.file.has_value() || req.method == "PUT" || req.method == "POST";
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method == "PUT") {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  } else if (req.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
  } else if (req.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  if (has_body) {
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    if (req.method == "POST")
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
    else
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
    curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
  }
  struct curl_slist* headers = nullptr;
  for (const auto& h : req.headers) headers = curl_slist_append(headers, h.c_str());
  // S3 and nginx answer 100 Continue promptly, but it costs a round trip per request.
  headers = curl_slist_append(headers, "Expect:");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hold(headers, curl_slist_free_all);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    if (t.sink_stopped) return make_error(ErrorClass::cancelled, req.method + " stopped");
    if (rc == CURLE_ABORTED_BY_CALLBACK)
      return make_error(ErrorClass::cancelled, req.method + " " + req.url + ": cancelled");
    const std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    const ErrorClass cls = rc == CURLE_OPERATION_TIMEDOUT ? ErrorClass::timeout
                           : rc == CURLE_LOGIN_DENIED     ? ErrorClass::auth
                                                          : ErrorClass::network;
    return make_error(cls, req.method + " " + req.url + ": " + why);
  }
  return res;
}

Error http_status_error(const HttpResponse& res, const std::string& what) {
  std::smatch m;
  std::string code;
  static const std::regex code_re("<Code>([^<]*)</Code>");
  if (std::regex_search(res.body, m, code_re)) code = m[1];
  std::string msg = what + ": HTTP " + std::to_string(res.status);
  if (!code.empty()) msg += " " + code;
  static const std::regex message_re("<Message>([^<]*)</Message>");
  if (std::regex_search(res.body, m, message_re)) msg += ": " + std::string(m[1]);
  ErrorClass cls = ErrorClass::invalid;
  if (res.status == 401 || res.status == 403 || code == "SignatureDoesNotMatch" ||
      code == "InvalidAccessKeyId")
    cls = ErrorClass::auth;
  else if (res.status == 404)
    cls = ErrorClass::not_found;
  else if (res.status == 429 || code == "SlowDown")
    cls = ErrorClass::rate_limited;
  else if (res.status == 408)
    cls = ErrorClass::timeout;
  else if (res.status >= 500)
    cls = ErrorClass::unavailable;
  return make_error(cls, msg);
}

int retry_after_seconds(const HttpResponse& res) {
  const std::string v = res.header("retry-after");
  if (v.empty() || v.size() > 6) return 0;
  for (char ch : v)
    if (ch < '0' || ch > '9') return 0;
  return std::atoi(v.c_str());
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' ||
        (keep_slash && ch == '/')) {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

}  // namespace hypersdk::targets
