// The sftp target: libcurl's SFTP (libssh2). The server's host key must be in known_hosts
// (an unknown or changed key is refused, class auth, never added); key files or a password.
// A file goes up under a temporary name in the destination directory and is renamed onto
// the key when complete (a reader never sees a partial file); missing directories are made.
// SFTP gives no checksum: the size is checked after the upload; verify --remote downloads.
// Listing (retention) reads the directory twice through libcurl (names only, then the server's
// long lines, which tell files from directories) and stats each file for its time.
#include <curl/curl.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <random>

#include "targets/curl_http.h"
#include "targets/file_digest.h"
#include "targets/remote_listing.h"
#include "targets/transfer_targets.h"

namespace hypersdk::targets {
namespace {

struct Io {
  std::FILE* in = nullptr;
  std::uint64_t size = 0;
  const PutOptions* put = nullptr;
  const std::function<bool(const char*, std::size_t)>* sink = nullptr;
  bool sink_stopped = false;
  bool names_only = false;         // a directory URL lists names only (CURLOPT_DIRLISTONLY)
  curl_off_t* filetime = nullptr;  // when set: the file's modification time (s since the epoch)
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* io = static_cast<Io*>(user);
  return std::fread(buf, 1, size * n, io->in);
}

std::size_t write_cb(char* data, std::size_t size, std::size_t n, void* user) {
  auto* io = static_cast<Io*>(user);
  if (io->sink && *io->sink && !(*io->sink)(data, size * n)) {
    io->sink_stopped = true;
    return 0;
  }
  return size * n;
}

int progress_cb(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t ulnow) {
  auto* io = static_cast<Io*>(user);
  if (!io->put) return 0;
  if (io->put->progress) io->put->progress(static_cast<std::uint64_t>(ulnow), io->size);
  return io->put->cancelled && io->put->cancelled() ? 1 : 0;
}

// Only keys already in known_hosts pass; libcurl would otherwise ask (and some builds add).
int key_cb(CURL*, const struct curl_khkey*, const struct curl_khkey*, enum curl_khmatch match,
           void*) {
  return match == CURLKHMATCH_OK ? CURLKHSTAT_FINE : CURLKHSTAT_REJECT;
}

// A path for the SFTP quote commands, quoted when it has spaces or quotes.
std::string quoted(const std::string& path) {
  std::string out = "\"";
  for (char c : path) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class SftpTarget final : public Target {
 public:
  explicit SftpTarget(TargetSpec spec) : spec_(std::move(spec)) {
    // sftp://host[:port]/dir -> origin "sftp://host[:port]", dir "/dir/"
    const auto slash = spec_.url.find('/', std::strlen("sftp://"));
    origin_ = slash == std::string::npos ? spec_.url : spec_.url.substr(0, slash);
    dir_ = slash == std::string::npos ? "/" : spec_.url.substr(slash);
    if (dir_.back() != '/') dir_ += '/';
  }
  const TargetSpec& spec() const override { return spec_; }
  std::string url_of(const std::string& key) const override {
    return origin_ + uri_encode(dir_ + key, /*keep_slash=*/true);
  }

  Result<PutResult> put(const std::filesystem::path& file, const std::string& key,
                        const PutOptions& options) override {
    if (key.empty() || key.find("..") != std::string::npos || key.front() == '/')
      return invalid_error("key: expected a relative path inside the target, got '" + key + "'");
    std::string digest = options.sha256;
    if (digest.empty()) {
      auto d = file_digest(file, 0, UINT64_MAX, options.cancelled);
      if (!d) return d.error();
      digest = d->sha256;
    }
    std::unique_ptr<std::FILE, decltype(&std::fclose)> in(std::fopen(file.c_str(), "rb"),
                                                          std::fclose);
    if (!in) return make_error(ErrorClass::not_found, "cannot read " + file.string());
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(file, ec);
    std::random_device rd;
    const std::string final_path = dir_ + key;
    const std::string tmp_path = final_path + ".hypersdk-part-" + std::to_string(rd());
    Io io{in.get(), size, &options};
    // OpenSSH's SFTP rename does not replace: remove an older copy first ('*': may fail).
    auto st = perform(
        url_of(tmp_path.substr(dir_.size())), io, /*upload=*/true, false, {},
        {"*rm " + quoted(final_path), "rename " + quoted(tmp_path) + " " + quoted(final_path)});
    if (!st.ok()) {
      Io none{};
      (void)perform(origin_ + "/", none, false, true, {"*rm " + quoted(tmp_path)}, {});
      return st.error();
    }
    auto remote = stat(key);
    if (!remote) return remote.error();
    if (remote->size != size)
      return make_error(ErrorClass::conflict, url_of(key) + " holds " +
                                                  std::to_string(remote->size) + " bytes, sent " +
                                                  std::to_string(size));
    if (options.progress) options.progress(size, size);
    return PutResult{url_of(key), key, size, digest, "size"};
  }

  Result<RemoteObject> stat(const std::string& key) override {
    Io none{};
    curl_off_t length = -1;
    auto st = perform(url_of(key), none, false, true, {}, {}, &length);
    if (!st.ok()) return st.error();
    return RemoteObject{length < 0 ? 0 : static_cast<std::uint64_t>(length), {}, {}};
  }

  Status fetch(const std::string& key,
               const std::function<bool(const char*, std::size_t)>& sink) override {
    Io io{};
    io.sink = &sink;
    return perform(url_of(key), io, false, false, {}, {});
  }

  // The files in the prefix's own directory whose names start with the rest of it; files
  // deeper down are not listed (retention looks at one directory), nor copies still being
  // written (".hypersdk-part-"). A directory that does not exist holds nothing. SFTP (v3)
  // gives modification times in whole seconds.
  Result<std::vector<ObjectEntry>> list(const std::string& prefix) override {
    const auto slash = prefix.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : prefix.substr(0, slash + 1);
    const std::string stem = prefix.substr(dir.size());
    std::string names, longs;
    for (std::string* into : {&names, &longs}) {
      const std::function<bool(const char*, std::size_t)> sink = [into](const char* d,
                                                                        std::size_t n) {
        into->append(d, n);
        return true;
      };
      Io io{};
      io.sink = &sink;
      io.names_only = into == &names;
      Status st = perform(url_of(dir), io, false, false, {}, {});
      if (!st.ok() && st.error().cls == ErrorClass::not_found) return std::vector<ObjectEntry>{};
      if (!st.ok()) return st.error();
    }
    std::vector<ObjectEntry> out;
    for (const std::string& name : sftp_regular_files(names, longs)) {
      if (!name.starts_with(stem) || name.find(".hypersdk-part-") != std::string::npos) continue;
      Io io{};
      curl_off_t length = -1, mtime = -1;
      io.filetime = &mtime;
      Status st = perform(url_of(dir + name), io, false, true, {}, {}, &length);
      if (!st.ok() && st.error().cls == ErrorClass::not_found) continue;  // removed meanwhile
      if (!st.ok()) return st.error();
      out.push_back({dir + name, length < 0 ? 0 : static_cast<std::uint64_t>(length),
                     mtime < 0 ? 0 : static_cast<std::int64_t>(mtime) * 1000});
    }
    return out;
  }

  Status remove(const std::string& key) override {
    Io none{};
    return perform(origin_ + "/", none, false, true, {"rm " + quoted(dir_ + key)}, {});
  }

 private:
  Status perform(const std::string& url, Io& io, bool upload, bool nobody,
                 const std::vector<std::string>& quote, const std::vector<std::string>& postquote,
                 curl_off_t* length = nullptr) const {
    // One handle for all of this target's requests: libcurl keeps its SSH connection open
    // between them (curl_easy_reset clears the options, not the connection), so a put with its
    // stat, a retention listing with a stat per file and the removals cost one handshake.
    if (!curl_) curl_.reset(curl_easy_init());
    if (!curl_) return make_error(ErrorClass::internal, "curl_easy_init failed");
    CURL* c = curl_.get();
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(spec_.timeout_seconds));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(spec_.timeout_seconds));
    curl_easy_setopt(c, CURLOPT_USERNAME, spec_.user.c_str());
    if (!spec_.password.empty()) curl_easy_setopt(c, CURLOPT_PASSWORD, spec_.password.c_str());
    if (!spec_.private_key.empty())
      curl_easy_setopt(c, CURLOPT_SSH_PRIVATE_KEYFILE, spec_.private_key.c_str());
    if (!spec_.public_key.empty())
      curl_easy_setopt(c, CURLOPT_SSH_PUBLIC_KEYFILE, spec_.public_key.c_str());
    curl_easy_setopt(c, CURLOPT_SSH_KNOWNHOSTS, spec_.known_hosts.c_str());
    curl_easy_setopt(c, CURLOPT_SSH_KEYFUNCTION, key_cb);
    curl_easy_setopt(c, CURLOPT_FTP_CREATE_MISSING_DIRS, static_cast<long>(CURLFTP_CREATE_DIR));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &io);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &io);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    if (nobody) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (io.names_only) curl_easy_setopt(c, CURLOPT_DIRLISTONLY, 1L);
    if (io.filetime) curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
    if (upload) {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
      curl_easy_setopt(c, CURLOPT_READDATA, &io);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(io.size));
      curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    }
    struct curl_slist* q = nullptr;
    for (const auto& s : quote) q = curl_slist_append(q, s.c_str());
    struct curl_slist* pq = nullptr;
    for (const auto& s : postquote) pq = curl_slist_append(pq, s.c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hold_q(q, curl_slist_free_all);
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hold_pq(pq, curl_slist_free_all);
    if (q) curl_easy_setopt(c, CURLOPT_QUOTE, q);
    if (pq) curl_easy_setopt(c, CURLOPT_POSTQUOTE, pq);
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    const CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
      if (length) curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, length);
      if (io.filetime) curl_easy_getinfo(c, CURLINFO_FILETIME_T, io.filetime);
      return Status::Ok();
    }
    const std::string why = url + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc));
    switch (rc) {
      case CURLE_ABORTED_BY_CALLBACK:
        return make_error(ErrorClass::cancelled, "upload cancelled");
      case CURLE_LOGIN_DENIED:
      case CURLE_REMOTE_ACCESS_DENIED:
        return make_error(ErrorClass::auth, why);
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSH:
        // Host key not in known_hosts (or changed), or the SSH handshake refused.
        return make_error(ErrorClass::auth, why);
      case CURLE_REMOTE_FILE_NOT_FOUND:
        return make_error(ErrorClass::not_found, why);
      case CURLE_OPERATION_TIMEDOUT:
        return make_error(ErrorClass::timeout, why);
      case CURLE_REMOTE_DISK_FULL:
        return make_error(ErrorClass::unavailable, why);
      case CURLE_QUOTE_ERROR:
        return make_error(ErrorClass::internal, why);
      default:
        return make_error(io.sink_stopped ? ErrorClass::cancelled : ErrorClass::network, why);
    }
  }

  const TargetSpec spec_;
  std::string origin_, dir_;
  mutable std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl_{nullptr, curl_easy_cleanup};
};

}  // namespace

Result<std::unique_ptr<Target>> make_sftp_target(const TargetSpec& spec) {
  return std::unique_ptr<Target>(new SftpTarget(spec));
}

}  // namespace hypersdk::targets
