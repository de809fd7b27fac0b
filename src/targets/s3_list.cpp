// Listing an S3 bucket under a prefix (ListObjectsV2), for retention (keep_last).
#include <cstring>

#include "targets/remote_listing.h"
#include "targets/s3_target.h"

namespace hypersdk::targets {

namespace {

// The text of the first <tag>...</tag> at or after `from`; `from` moves past it.
std::optional<std::string> element(const std::string& xml, const std::string& tag,
                                   std::size_t& from, std::size_t until = std::string::npos) {
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  const auto a = xml.find(open, from);
  if (a == std::string::npos || a >= until) return std::nullopt;
  const auto b = xml.find(close, a + open.size());
  if (b == std::string::npos) return std::nullopt;
  from = b + close.size();
  return xml.substr(a + open.size(), b - a - open.size());
}

std::string xml_unescape(std::string s) {
  static const std::pair<const char*, const char*> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : kEntities)
    for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + 1))
      s.replace(p, std::strlen(from), to);
  return s;
}

}  // namespace

Result<std::vector<ObjectEntry>> S3Target::list(const std::string& prefix) {
  std::vector<ObjectEntry> out;
  const std::string full = client_.object_key(prefix);  // the target's own prefix first
  std::string token;
  for (int page = 0; page < 10000; ++page) {
    S3Client::Call call;
    call.method = "GET";
    call.query = {{"list-type", "2"}, {"prefix", full}};
    if (!token.empty()) call.query.insert({"continuation-token", token});
    auto res = client_.perform(call);
    if (!res) return res.error();
    if (res->status / 100 != 2)
      return http_status_error(*res, "GET " + client_.object_url("") + "?list-type=2");
    const std::string& xml = res->body;
    std::size_t at = 0;
    while (auto contents = element(xml, "Contents", at)) {
      auto field = [&](const char* tag) {
        std::size_t i = 0;
        return element(*contents, tag, i);
      };
      ObjectEntry e;
      if (auto k = field("Key")) e.key = xml_unescape(*k);
      if (auto m = field("LastModified")) e.modified_ms = parse_iso8601_ms(*m);
      if (auto z = field("Size")) e.size = std::strtoull(z->c_str(), nullptr, 10);
      // Back to a key relative to the target, as put and remove take it.
      if (e.key.size() < full.size() - prefix.size()) continue;
      e.key = e.key.substr(full.size() - prefix.size());
      out.push_back(std::move(e));
    }
    std::size_t t = 0;
    const auto truncated = element(xml, "IsTruncated", t);
    if (!truncated || *truncated != "true") return out;
    t = 0;
    auto next = element(xml, "NextContinuationToken", t);
    if (!next || next->empty()) return out;
    token = xml_unescape(*next);
  }
  return out;
}

}  // namespace hypersdk::targets
