// S3 multipart upload: create (or resume from the ledger), parts in parallel, complete.
// The parts are sent without hashing (their sizes are counted); a thread beside them computes
// the whole file's SHA-256 (the result's checksum). What the stored object is checked against
// depends on the kind of ETag the server gives the completed object, which only the completed
// upload tells:
//  - the whole object's MD5 (s3rver, MinIO): the file's MD5 is computed while the server
//    completes the upload (s3rver reads every part back then, seconds for a GiB);
//  - AWS's MD5 of the part MD5s ("-N"; AWS, Ceph): that MD5 is dropped unfinished and the
//    parts' MD5s are read back from the file, `parallel` at a time, each also checked against
//    the ETag the server gave that part.
// One MD5 pass per upload instead of two (per part while sending, and the whole file): the
// client's MD5 (~1.8 CPU s/GiB here) competes with the server for the cores on a small machine.
#include <openssl/evp.h>

#include <atomic>
#include <future>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "targets/file_digest.h"
#include "targets/s3_target.h"

namespace hypersdk::targets {
namespace {

constexpr int kPartTries = 3;

bool retryable(const Error& e) {
  return e.cls == ErrorClass::network || e.cls == ErrorClass::unavailable ||
         e.cls == ErrorClass::timeout;
}

// S3's multipart ETag: MD5 of the concatenated binary part MD5s, "-" and the part count.
std::string multipart_etag(const std::vector<MultipartPart>& parts) {
  std::string raw;
  for (const auto& p : parts)
    for (std::size_t i = 0; i + 1 < p.md5_hex.size(); i += 2)
      raw += static_cast<char>(std::stoi(p.md5_hex.substr(i, 2), nullptr, 16));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(raw.data(), raw.size(), md, &n, EVP_md5(), nullptr);
  return hex(md, n) + "-" + std::to_string(parts.size());
}

// The parts' MD5s read back from the file, `parallel` parts at a time.
Result<std::vector<MultipartPart>> part_md5s(const std::filesystem::path& file,
                                             std::uint64_t part_size,
                                             std::vector<MultipartPart> parts,
                                             const std::function<bool()>& cancelled, int parallel) {
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::optional<Error> first_error;
  auto work = [&] {
    for (std::size_t i; (i = next++) < parts.size();) {
      MultipartPart& p = parts[i];
      auto d = file_digest(file, static_cast<std::uint64_t>(p.number - 1) * part_size, p.size,
                           cancelled, kMd5);
      if (d && d->size != p.size)
        d = make_error(ErrorClass::conflict, "part " + std::to_string(p.number) + ": " +
                                                 file.string() + " is shorter than when sent");
      if (!d) {
        std::lock_guard lock(mu);
        if (!first_error) first_error = d.error();
        return;
      }
      p.md5_hex = d->md5;
    }
  };
  std::vector<std::thread> threads;
  const int n = std::max(1, std::min<int>(parallel, static_cast<int>(parts.size())));
  for (int i = 0; i < n; ++i) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  if (first_error) return *first_error;
  return parts;
}

}  // namespace

Result<PutResult> S3Target::put_multipart(const std::filesystem::path& file, const std::string& key,
                                          std::uint64_t size, const PutOptions& options) {
  // The whole-file SHA-256, concurrently with the parts.
  std::atomic<bool> stop{false};
  auto cancelled = [&] { return stop.load() || (options.cancelled && options.cancelled()); };
  auto whole = std::async(std::launch::async,
                          [&] { return file_digest(file, 0, UINT64_MAX, cancelled, kSha256); });
  auto finish_digest = [&] {
    stop = true;
    (void)whole.get();
  };

  std::string upload_id;
  std::uint64_t part_size = spec_.part_size;
  std::map<int, MultipartPart> done;
  int resumed = 0;
  if (options.ledger && options.ledger->load) {
    if (auto r = options.ledger->load(); r && !r->upload_id.empty() && r->part_size > 0) {
      upload_id = r->upload_id;
      part_size = r->part_size;
      for (const auto& p : r->parts) done[p.number] = p;
      resumed = static_cast<int>(done.size());
    }
  }
  if (upload_id.empty()) {
    S3Client::Call create;
    create.method = "POST";
    create.key = key;
    create.query = {{"uploads", ""}};
    create.payload_sha256 = sha256_hex("");
    auto res = client_.perform(create);
    if (!res || res->status / 100 != 2) {
      finish_digest();
      return res ? http_status_error(*res, "create multipart upload of " + url_of(key))
                 : res.error();
    }
    std::smatch m;
    static const std::regex id_re("<UploadId>([^<]+)</UploadId>");
    if (!std::regex_search(res->body, m, id_re)) {
      finish_digest();
      return make_error(ErrorClass::unavailable, "the server gave no UploadId for " + url_of(key));
    }
    upload_id = m[1];
    if (options.ledger && options.ledger->begin)
      if (Status s = options.ledger->begin(upload_id, part_size); !s.ok()) {
        finish_digest();
        return s.error();
      }
  }

  const int nparts = static_cast<int>((size + part_size - 1) / part_size);
  std::mutex mu;  // guards done, first_error, progress calls
  std::optional<Error> first_error;
  std::uint64_t bytes_done = 0;
  for (const auto& [n, p] : done) bytes_done += p.size;
  std::map<int, std::uint64_t> in_flight;
  auto report = [&] {  // REQUIRES: mu held
    if (!options.progress) return;
    std::uint64_t sent = bytes_done;
    for (const auto& [n, b] : in_flight) sent += b;
    options.progress(std::min(sent, size), size);
  };
  std::atomic<int> next{1};
  auto worker = [&] {
    for (;;) {
      const int n = next++;
      if (n > nparts) return;
      {
        std::lock_guard lock(mu);
        if (first_error) return;
        if (done.count(n)) continue;  // finished in an earlier attempt: not sent again
      }
      const std::uint64_t offset = static_cast<std::uint64_t>(n - 1) * part_size;
      const std::uint64_t len = std::min(part_size, size - offset);
      auto fail = [&](Error e) {
        std::lock_guard lock(mu);
        if (!first_error) first_error = std::move(e);
      };
      // Bytes read for the part (0 again when a retried request starts over): a file that
      // shrank under the upload is caught here; the MD5 check comes after the complete.
      std::uint64_t sent_bytes = 0;
      Result<HttpResponse> res = make_error(ErrorClass::internal, "not sent");
      for (int attempt = 1; attempt <= kPartTries; ++attempt) {
        S3Client::Call call;
        call.method = "PUT";
        call.key = key;
        call.query = {{"partNumber", std::to_string(n)}, {"uploadId", upload_id}};
        call.file = FileRange{file, offset, len};
        call.cancelled = options.cancelled;
        call.on_body_read = [&](std::uint64_t at, const char*, std::size_t k) {
          sent_bytes = at + k;
        };
        call.on_progress = [&](std::uint64_t sent) {
          std::lock_guard lock(mu);
          in_flight[n] = sent;
          report();
          return !first_error && !(options.cancelled && options.cancelled());
        };
        res = client_.perform(call);
        Error e =
            !res ? res.error()
            : res->status / 100 != 2
                ? http_status_error(*res, "PUT part " + std::to_string(n) + " of " + url_of(key))
                : Error{};
        if (res && res->status / 100 == 2) break;
        if (!retryable(e) || attempt == kPartTries) return fail(e);
        std::this_thread::sleep_for(std::chrono::seconds(attempt));
      }
      if (sent_bytes != len)
        return fail(make_error(ErrorClass::conflict, "part " + std::to_string(n) +
                                                         ": the file changed while it was sent"));
      MultipartPart part{n, len, res->header("etag"), ""};
      if (options.ledger && options.ledger->part_done)
        if (Status s = options.ledger->part_done(part); !s.ok()) return fail(s.error());
      std::lock_guard lock(mu);
      in_flight.erase(n);
      bytes_done += len;
      done[n] = part;
      report();
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < std::min(spec_.parallel, nparts); ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();

  auto abort = [&] {
    S3Client::Call call;
    call.method = "DELETE";
    call.key = key;
    call.query = {{"uploadId", upload_id}};
    (void)client_.perform(call);
    if (options.ledger && options.ledger->finish) (void)options.ledger->finish();
  };
  if (first_error) {
    finish_digest();
    // Cancelled by the operator: nothing is left behind. Any other failure keeps the upload
    // and the finished parts for the next attempt.
    if (first_error->cls == ErrorClass::cancelled &&
        (!options.cancel_is_final || options.cancel_is_final()))
      abort();
    if (first_error->cls == ErrorClass::auth) abort();
    return *first_error;
  }
  auto digest = whole.get();
  if (!digest) return digest.error();
  if (!options.sha256.empty() && options.sha256 != digest->sha256) {
    abort();
    return make_error(ErrorClass::conflict, file.string() + " changed: its SHA-256 is " +
                                                digest->sha256 + ", the input said " +
                                                options.sha256);
  }

  std::vector<MultipartPart> parts;
  std::string xml = "<CompleteMultipartUpload>";
  for (const auto& [n, p] : done) {
    parts.push_back(p);
    xml += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" + p.etag +
           "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  // The whole file's MD5, while the server completes the upload (see the top of the file).
  std::atomic<bool> md5_stop{false};
  auto whole_md5 = std::async(std::launch::async, [&] {
    return file_digest(
        file, 0, UINT64_MAX,
        [&] { return md5_stop.load() || (options.cancelled && options.cancelled()); }, kMd5);
  });
  struct StopMd5 {  // an early return does not wait for a digest nobody will read
    std::atomic<bool>& stop;
    std::future<Result<Digest>>& f;
    ~StopMd5() {
      stop = true;
      if (f.valid()) f.wait();
    }
  } stop_md5{md5_stop, whole_md5};
  S3Client::Call complete;
  complete.method = "POST";
  complete.key = key;
  complete.query = {{"uploadId", upload_id}};
  complete.body = xml;
  complete.payload_sha256 = sha256_hex(xml);
  complete.headers = {{"Content-Type", "application/xml"}};
  auto res = client_.perform(complete);
  if (!res) return res.error();
  // S3 may answer 200 with an <Error> body when completing fails late.
  if (res->status / 100 != 2 || res->body.find("<Error>") != std::string::npos)
    return http_status_error(*res, "complete multipart upload of " + url_of(key));
  if (options.ledger && options.ledger->finish)
    if (Status s = options.ledger->finish(); !s.ok()) return s.error();

  PutResult out{url_of(key), key, size, digest->sha256, "size", nparts, resumed};
  auto remote = stat(key);
  if (!remote) return remote.error();
  if (remote->size != size)
    return make_error(ErrorClass::conflict, "uploaded " + std::to_string(size) +
                                                " bytes but the server holds " +
                                                std::to_string(remote->size));
  if (remote->etag) {
    // AWS: MD5 of the part MD5s ("-N"); some S3-compatible servers: the whole object's MD5.
    const std::string etag = unquote(*remote->etag);
    if (etag.find('-') != std::string::npos) {
      md5_stop = true;
      auto hashed = part_md5s(file, part_size, parts, options.cancelled, spec_.parallel);
      if (!hashed) return hashed.error();
      for (const auto& p : *hashed)
        if (!p.etag.empty() && unquote(p.etag) != p.md5_hex)
          return make_error(ErrorClass::conflict, "part " + std::to_string(p.number) +
                                                      ": the server's ETag " + p.etag +
                                                      " differs from its MD5 " + p.md5_hex);
      if (etag != multipart_etag(*hashed))
        return make_error(ErrorClass::conflict, "the server's ETag " + *remote->etag +
                                                    " differs from the parts' " +
                                                    multipart_etag(*hashed));
    } else {
      auto md5 = whole_md5.get();
      if (!md5) return md5.error();
      if (etag != md5->md5)
        return make_error(ErrorClass::conflict, "the server's ETag " + *remote->etag +
                                                    " differs from the file's MD5 " + md5->md5);
    }
    out.checked_by = "etag-md5";
  }
  if (options.progress) options.progress(size, size);
  return out;
}

}  // namespace hypersdk::targets
