// The s3 target: single PUT up to multipart_threshold, multipart above it (s3_multipart.cpp).
#include "targets/s3_target.h"

#include <openssl/evp.h>

#include <atomic>
#include <future>

#include "targets/file_digest.h"

namespace hypersdk::targets {

std::string base64_of_hex(const std::string& hex_digest) {
  std::string raw;
  for (std::size_t i = 0; i + 1 < hex_digest.size(); i += 2)
    raw += static_cast<char>(std::stoi(hex_digest.substr(i, 2), nullptr, 16));
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

S3Target::S3Target(TargetSpec spec) : spec_(std::move(spec)), client_(spec_) {}

std::string S3Target::url_of(const std::string& key) const {
  return client_.object_url(key);
}

Result<PutResult> S3Target::put(const std::filesystem::path& file, const std::string& key,
                                const PutOptions& options) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec)
    return make_error(ErrorClass::not_found, "cannot read " + file.string() + ": " + ec.message());
  if (size > spec_.multipart_threshold) return put_multipart(file, key, size, options);

  // SHA-256 and MD5 are computed while the body is sent (the payload goes unsigned,
  // UNSIGNED-PAYLOAD) and the stored object is checked against them afterwards.
  // The digest runs on a thread of its own, beside the transfer (the file is in the page
  // cache by then, and the server, not the hashing, sets the pace).
  std::atomic<bool> stop{false};
  auto whole = std::async(std::launch::async, [&] {
    return file_digest(file, 0, UINT64_MAX,
                       [&] { return stop.load() || (options.cancelled && options.cancelled()); });
  });
  S3Client::Call call;
  call.method = "PUT";
  call.key = key;
  call.file = FileRange{file, 0, size};
  call.cancelled = options.cancelled;
  call.on_progress = [&](std::uint64_t sent) {
    if (options.progress) options.progress(sent, size);
    return !(options.cancelled && options.cancelled());
  };
  auto res = client_.perform(call);
  if (!res || res->status / 100 != 2) {
    stop = true;
    (void)whole.get();
    return res ? http_status_error(*res, "PUT " + client_.object_url(key)) : res.error();
  }
  auto digested = whole.get();
  if (!digested) return digested.error();
  const Digest sent = *digested;
  if (sent.size != size) {
    (void)remove(key);
    return make_error(ErrorClass::conflict, file.string() + " changed while it was sent");
  }
  if (!options.sha256.empty() && options.sha256 != sent.sha256) {
    (void)remove(key);
    return make_error(ErrorClass::conflict, file.string() + " changed: its SHA-256 is " +
                                                sent.sha256 + ", the input said " + options.sha256);
  }
  PutResult out{client_.object_url(key), key, size, sent.sha256, "size"};
  // The server's own account of what it stored.
  auto remote = stat(key);
  if (!remote) return remote.error();
  if (remote->size != size)
    return make_error(ErrorClass::conflict, "uploaded " + std::to_string(size) +
                                                " bytes but the server holds " +
                                                std::to_string(remote->size));
  if (remote->sha256) {
    if (*remote->sha256 != sent.sha256)
      return make_error(ErrorClass::conflict, "the server's SHA-256 " + *remote->sha256 +
                                                  " differs from the file's " + sent.sha256);
    out.checked_by = "sha256";
  } else if (remote->etag && unquote(*remote->etag) == sent.md5) {
    out.checked_by = "etag-md5";
  } else if (remote->etag && unquote(*remote->etag).find('-') == std::string::npos &&
             unquote(*remote->etag).size() == 32) {
    return make_error(ErrorClass::conflict, "the server's ETag " + *remote->etag +
                                                " differs from the file's MD5 " + sent.md5);
  }
  if (options.progress) options.progress(size, size);
  return out;
}

Result<RemoteObject> S3Target::stat(const std::string& key) {
  S3Client::Call call;
  call.method = "HEAD";
  call.key = key;
  call.headers = {{"x-amz-checksum-mode", "ENABLED"}};
  auto res = client_.perform(call);
  if (!res) return res.error();
  if (res->status / 100 != 2) return http_status_error(*res, "HEAD " + client_.object_url(key));
  RemoteObject o;
  o.size = std::strtoull(res->header("content-length").c_str(), nullptr, 10);
  if (auto e = res->header("etag"); !e.empty()) o.etag = e;
  if (auto c = res->header("x-amz-checksum-sha256"); !c.empty()) {
    // base64 -> hex
    std::string raw(c.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                  reinterpret_cast<const unsigned char*>(c.data()),
                                  static_cast<int>(c.size()));
    if (n >= 32) o.sha256 = hex(reinterpret_cast<const unsigned char*>(raw.data()), 32);
  }
  return o;
}

Status S3Target::fetch(const std::string& key,
                       const std::function<bool(const char*, std::size_t)>& sink) {
  S3Client::Call call;
  call.method = "GET";
  call.key = key;
  call.sink = sink;
  auto res = client_.perform(call);
  if (!res) return res.error();
  if (res->status / 100 != 2) return http_status_error(*res, "GET " + client_.object_url(key));
  return Status::Ok();
}

Status S3Target::remove(const std::string& key) {
  S3Client::Call call;
  call.method = "DELETE";
  call.key = key;
  auto res = client_.perform(call);
  if (!res) return res.error();
  if (res->status / 100 != 2) return http_status_error(*res, "DELETE " + client_.object_url(key));
  return Status::Ok();
}

}  // namespace hypersdk::targets
