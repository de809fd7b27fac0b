// The webdav target: PUT to a temporary name, then MOVE onto the key (Overwrite: T), so a
// reader never sees a partial file; missing collections are made with MKCOL. Basic auth,
// TLS with ca_file. The server gives no checksum: the size is checked after the upload and
// verify --remote downloads the file to hash it. Listing (retention) is a PROPFIND of Depth 1,
// which nginx answers with its dav-ext module.
#include <random>

#include "targets/curl_http.h"
#include "targets/file_digest.h"
#include "targets/remote_listing.h"
#include "targets/transfer_targets.h"

namespace hypersdk::targets {
namespace {

class WebDavTarget final : public Target {
 public:
  explicit WebDavTarget(TargetSpec spec) : spec_(std::move(spec)) {
    base_ = spec_.url;
    if (base_.empty() || base_.back() != '/') base_ += '/';
  }
  const TargetSpec& spec() const override { return spec_; }
  std::string url_of(const std::string& key) const override {
    return base_ + uri_encode(key, /*keep_slash=*/true);
  }

  Result<PutResult> put(const std::filesystem::path& file, const std::string& key,
                        const PutOptions& options) override {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) return make_error(ErrorClass::not_found, "cannot read " + file.string());
    std::string digest = options.sha256;
    if (digest.empty()) {
      auto d = file_digest(file, 0, UINT64_MAX, options.cancelled);
      if (!d) return d.error();
      digest = d->sha256;
    }
    if (Status s = make_collections(key); !s.ok()) return s.error();
    std::random_device rd;
    const std::string tmp_key = key + ".hypersdk-part-" + std::to_string(rd());
    HttpRequest req = base("PUT", url_of(tmp_key));
    req.file = FileRange{file, 0, size};
    req.on_progress = [&](std::uint64_t sent) {
      if (options.progress) options.progress(sent, size);
      return !(options.cancelled && options.cancelled());
    };
    auto res = http_perform(req);
    if (!res) return res.error();
    if (res->status / 100 != 2) return http_status_error(*res, "PUT " + url_of(tmp_key));
    HttpRequest move = base("MOVE", url_of(tmp_key));
    move.headers = {"Destination: " + url_of(key), "Overwrite: T"};
    auto moved = http_perform(move);
    if (!moved || moved->status / 100 != 2) {
      (void)remove(tmp_key);
      return moved ? http_status_error(*moved, "MOVE to " + url_of(key)) : moved.error();
    }
    auto st = stat(key);
    if (!st) return st.error();
    if (st->size != size)
      return make_error(ErrorClass::conflict, url_of(key) + " holds " + std::to_string(st->size) +
                                                  " bytes, sent " + std::to_string(size));
    return PutResult{url_of(key), key, size, digest, "size"};
  }

  Result<RemoteObject> stat(const std::string& key) override {
    auto res = http_perform(base("HEAD", url_of(key)));
    if (!res) return res.error();
    if (res->status / 100 != 2) return http_status_error(*res, "HEAD " + url_of(key));
    RemoteObject o;
    o.size = std::strtoull(res->header("content-length").c_str(), nullptr, 10);
    if (auto e = res->header("etag"); !e.empty()) o.etag = e;
    return o;
  }

  Status fetch(const std::string& key,
               const std::function<bool(const char*, std::size_t)>& sink) override {
    HttpRequest req = base("GET", url_of(key));
    req.sink = sink;
    auto res = http_perform(req);
    if (!res) return res.error();
    if (res->status / 100 != 2) return http_status_error(*res, "GET " + url_of(key));
    return Status::Ok();
  }

  // The files in the prefix's own collection whose names start with the rest of it; files
  // deeper down are not listed (retention looks at one collection), nor copies still being
  // written (".hypersdk-part-"). A collection that does not exist holds nothing.
  Result<std::vector<ObjectEntry>> list(const std::string& prefix) override {
    const auto slash = prefix.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : prefix.substr(0, slash + 1);
    const std::string stem = prefix.substr(dir.size());
    HttpRequest req = base("PROPFIND", url_of(dir));
    req.headers = {"Depth: 1"};  // no body: all properties (RFC 4918 9.1)
    std::string xml;
    req.sink = [&](const char* data, std::size_t n) {
      xml.append(data, n);
      return true;
    };
    auto res = http_perform(req);
    if (!res) return res.error();
    if (res->status == 404) return std::vector<ObjectEntry>{};
    if (res->status / 100 != 2) return http_status_error(*res, "PROPFIND " + url_of(dir));
    auto entries = parse_propfind(xml, url_of(dir));
    if (!entries) return entries.error();
    std::vector<ObjectEntry> out;
    for (const auto& e : *entries) {
      if (e.collection || !e.name.starts_with(stem) || e.name.find('/') != std::string::npos ||
          e.name.find(".hypersdk-part-") != std::string::npos)
        continue;
      out.push_back({dir + e.name, e.size, e.modified_ms});
    }
    return out;
  }

  Status remove(const std::string& key) override {
    auto res = http_perform(base("DELETE", url_of(key)));
    if (!res) return res.error();
    if (res->status / 100 != 2) return http_status_error(*res, "DELETE " + url_of(key));
    return Status::Ok();
  }

 private:
  HttpRequest base(const std::string& method, const std::string& url) const {
    HttpRequest r;
    r.method = method;
    r.url = url;
    r.user = spec_.user;
    r.password = spec_.password;
    r.ca_file = spec_.ca_file;
    r.timeout_seconds = spec_.timeout_seconds;
    return r;
  }
  // MKCOL each parent collection of the key; 405 means it exists already.
  Status make_collections(const std::string& key) {
    for (auto slash = key.find('/'); slash != std::string::npos; slash = key.find('/', slash + 1)) {
      auto res = http_perform(base("MKCOL", url_of(key.substr(0, slash + 1))));
      if (!res) return res.error();
      if (res->status / 100 != 2 && res->status != 405)
        return http_status_error(*res, "MKCOL " + url_of(key.substr(0, slash + 1)));
    }
    return Status::Ok();
  }
  const TargetSpec spec_;
  std::string base_;
};

}  // namespace

Result<std::unique_ptr<Target>> make_webdav_target(const TargetSpec& spec) {
  return std::unique_ptr<Target>(new WebDavTarget(spec));
}

}  // namespace hypersdk::targets
