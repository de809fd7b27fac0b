#include "notify/email.h"

#include <curl/curl.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/markup_text.h"
#include "core/time_text.h"

namespace hypersdk::notify {

namespace {

using nlohmann::json;

// Header values must not carry line breaks (header injection).
std::string header_safe(std::string s) {
  for (char& c : s)
    if (c == '\r' || c == '\n') c = ' ';
  return s;
}

std::string rfc5322_date(core::TimeMs t) {
  const std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

struct Line {
  std::string kind, severity, job, type, status, vm, message, when;
};

Line line_of(const OutgoingEvent& e) {
  Line l{e.kind, e.severity, "", "", "", "", "", core::format_time(e.at)};
  const json p = json::parse(e.payload, nullptr, false);
  if (p.is_object() && p.contains("job") && p["job"].is_object()) {
    l.job = p["job"].value("id", "");
    l.type = p["job"].value("type", "");
    l.status = p["job"].value("status", "");
    l.vm = p["job"].value("vm_name", "");
  }
  if (p.is_object() && p.contains("error") && p["error"].is_object())
    l.message = p["error"].value("message", "");
  else if (p.is_object() && p.contains("schedule") && p["schedule"].is_string())
    l.message = "schedule " + p["schedule"].get<std::string>();
  return l;
}

}  // namespace

HttpResult send_email(const Receiver& r, const std::vector<EmailItem>& items, core::TimeMs now_ms) {
  curl_global_once();
  HttpResult out;
  std::vector<Line> lines;
  for (const auto& it : items) lines.push_back(line_of(it.event));
  const std::string subject =
      items.size() == 1 ? "[hypersdk] " + lines[0].kind + " " + lines[0].job + " " + lines[0].vm
                        : "[hypersdk] digest: " + std::to_string(items.size()) + " events";
  std::string text = "hypersdk notifications\n\n";
  std::string html =
      "<html><body><h2>hypersdk notifications</h2><table border=\"1\" cellpadding=\"4\">"
      "<tr><th>Time</th><th>Event</th><th>Severity</th><th>Job</th><th>Type</th><th>Status</th>"
      "<th>VM</th><th>Detail</th></tr>";
  for (const auto& l : lines) {
    text += l.when + "  " + l.kind + "  " + l.severity + "  " + l.job + " " + l.type + " " +
            l.status + " " + l.vm + (l.message.empty() ? "" : "  " + l.message) + "\n";
    html += "<tr>";
    for (const auto* cell :
         {&l.when, &l.kind, &l.severity, &l.job, &l.type, &l.status, &l.vm, &l.message})
      html += "<td>" + core::markup_escape(*cell) + "</td>";
    html += "</tr>\n";
  }
  html += "</table></body></html>";

  CURL* curl = curl_easy_init();
  if (!curl) {
    out.error = "cannot create a libcurl handle";
    return out;
  }
  SocketGuard guard;
  guard.allow_private = r.config.allow_private;
  curl_slist* rcpt = nullptr;
  std::string to_header;
  for (const auto& to : r.config.to) {
    rcpt = curl_slist_append(rcpt, ("<" + to + ">").c_str());
    to_header += (to_header.empty() ? "" : ", ") + to;
  }
  const std::string host = r.config.from.substr(r.config.from.find('@') + 1);
  const std::string message_id = "<hypersdk." + std::to_string(items.front().event.id) + "." +
                                 std::to_string(now_ms) + "@" +
                                 (host.empty() ? "localhost" : host) + ">";
  curl_slist* headers = nullptr;
  for (const std::string& h :
       {"Date: " + rfc5322_date(now_ms), "From: " + header_safe(r.config.from),
        "To: " + header_safe(to_header), "Subject: " + header_safe(subject),
        "Message-ID: " + message_id, std::string("MIME-Version: 1.0")})
    headers = curl_slist_append(headers, h.c_str());

  curl_mime* mime = curl_mime_init(curl);
  curl_mime* alt = curl_mime_init(curl);
  curl_mimepart* part = curl_mime_addpart(alt);
  curl_mime_data(part, text.c_str(), CURL_ZERO_TERMINATED);
  curl_mime_type(part, "text/plain; charset=utf-8");
  // SMTP lines stop at 998 octets: quoted-printable wraps whatever the content holds.
  curl_mime_encoder(part, "quoted-printable");
  part = curl_mime_addpart(alt);
  curl_mime_data(part, html.c_str(), CURL_ZERO_TERMINATED);
  curl_mime_type(part, "text/html; charset=utf-8");
  curl_mime_encoder(part, "quoted-printable");
  part = curl_mime_addpart(mime);
  curl_mime_subparts(part, alt);
  curl_mime_type(part, "multipart/alternative");
  curl_slist* inline_hdr = curl_slist_append(nullptr, "Content-Disposition: inline");
  curl_mime_headers(part, inline_hdr, 1);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].job_log.empty()) continue;
    part = curl_mime_addpart(mime);
    curl_mime_data(part, items[i].job_log.data(), items[i].job_log.size());
    curl_mime_type(part, "text/plain; charset=utf-8");
    curl_mime_filename(part, ((lines[i].job.empty() ? "job" : lines[i].job) + ".log").c_str());
    curl_mime_encoder(part, "base64");
  }

  curl_easy_setopt(curl, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, ("<" + r.config.from + ">").c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(r.config.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  // starttls: the upgrade is required, never silently skipped; none: plain (a local relay).
  curl_easy_setopt(curl, CURLOPT_USE_SSL,
                   r.config.tls == "none" ? static_cast<long>(CURLUSESSL_NONE)
                                          : static_cast<long>(CURLUSESSL_ALL));
  if (!r.config.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, r.config.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, r.password.c_str());
  }
  install_socket_guard(curl, &guard);
  const auto start = std::chrono::steady_clock::now();
  const CURLcode rc = curl_easy_perform(curl);
  out.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  if (rc == CURLE_OK) {
    out.status = static_cast<int>(code);
  } else if (guard.refused) {
    out.error = "refused to connect to the private address " + guard.address +
                " (set allow_private: true on the receiver to allow it)";
  } else if (rc == CURLE_USE_SSL_FAILED) {
    out.error =
        "the SMTP server does not offer STARTTLS, which this receiver requires (tls: starttls); "
        "use smtps:// or, for a trusted local relay only, tls: none";
  } else {
    out.error = std::string("SMTP: ") + curl_easy_strerror(rc) +
                (code > 0 ? " (server reply " + std::to_string(code) + ")" : "");
    if (code >= 400) out.status = static_cast<int>(code);
  }
  curl_mime_free(mime);
  curl_slist_free_all(headers);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  return out;
}

}  // namespace hypersdk::notify
