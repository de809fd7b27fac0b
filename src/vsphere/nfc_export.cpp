#include "vsphere/nfc_export.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include "vsphere/poll_wait.h"

namespace hypersdk::vsphere {

namespace fs = std::filesystem;

namespace {

// vCenter keeps an idle lease for its timeout (often 5 min); progress every few seconds
// keeps it well inside that.
constexpr auto kKeepAlive = std::chrono::seconds(5);
constexpr auto kReadyTimeout = std::chrono::minutes(5);

struct Device {
  std::string url, target_id;
};

// Device URLs may name the host as "*" (ESXi behind vCenter): it is the host we talk to.
std::string with_host(std::string url, const std::string& sdk_url) {
  const auto star = url.find("://*");
  if (star == std::string::npos) return url;
  const auto host_begin = sdk_url.find("://");
  if (host_begin == std::string::npos) return url;
  const auto host_end = sdk_url.find('/', host_begin + 3);
  const std::string host = sdk_url.substr(host_begin + 3, host_end - host_begin - 3);
  return url.replace(star + 3, 1, host);
}

Status lease_call(VimClient& c, const char* method, const MoRef& lease, const std::string& args) {
  XmlDoc keep;
  auto r = c.invoke(std::string("<") + method + " xmlns=\"urn:vim25\">" + lease.xml("_this") +
                        args + "</" + method + ">",
                    &keep);
  if (!r) return r.error();
  return Status::Ok();
}

Result<ObjectContent> wait_ready(VimClient& c, const MoRef& lease,
                                 const providers::FetchHooks& hooks) {
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  PollWait poll(hooks.cancelled);
  for (;;) {
    auto l = c.retrieve_one(lease, {"state", "error", "info"});
    if (!l) return l.error();
    const std::string state = l->text("state");
    if (state == "ready") return l;
    if (state == "error") {
      XmlNode err = l->prop("error");
      return make_error(fault_class(err.child("fault").attr("type")),
                        "export lease failed: " + err.child_text("localizedMessage"));
    }
    if (state == "done") return make_error(ErrorClass::conflict, "export lease already done");
    if (state != "initializing")
      return make_error(ErrorClass::internal, "export lease in unknown state '" + state + "'");
    if (std::chrono::steady_clock::now() > deadline)
      return make_error(ErrorClass::timeout, "export lease not ready after 5 minutes");
    if (!poll.wait())
      return make_error(ErrorClass::cancelled, "cancelled while the export lease initialized");
  }
}

Result<std::vector<fs::path>> download_all(VimClient& c, const MoRef& lease, const fs::path& dir,
                                           const providers::FetchHooks& hooks) {
  auto l = wait_ready(c, lease, hooks);
  if (!l) return l.error();
  XmlNode info = l->prop("info");
  std::vector<Device> devices;
  for (const auto& d : info.children("deviceUrl"))
    if (d.child_text("disk") == "true")
      devices.push_back({with_host(d.child_text("url"), c.soap().url()), d.child_text("targetId")});
  if (devices.empty())
    return make_error(ErrorClass::not_found, "the export lease offers no disk to download");
  const std::uint64_t capacity = std::stoull("0" + info.child_text("totalDiskCapacityInKB")) * 1024;
  std::uint64_t done_before = 0;
  auto last_keepalive = std::chrono::steady_clock::now();
  std::vector<fs::path> out;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const fs::path file = dir / ("disk" + std::to_string(i + 1) + ".vmdk");
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return make_error(ErrorClass::internal, "cannot create " + file.string());
    if (hooks.log)
      hooks.log("downloading disk " + std::to_string(i + 1) + " of " +
                std::to_string(devices.size()) + " (" + devices[i].target_id + ")");
    auto n = c.soap().download(devices[i].url, fd, [&](std::uint64_t bytes) {
      const std::uint64_t done = done_before + bytes;
      const std::uint64_t total = std::max(capacity, done);
      if (hooks.progress) hooks.progress(done, total);
      if (std::chrono::steady_clock::now() - last_keepalive >= kKeepAlive) {
        last_keepalive = std::chrono::steady_clock::now();
        const int pct = total ? static_cast<int>(done * 100 / total) : 0;
        // A failed keep-alive is not fatal by itself: the download goes on, and Complete
        // says at the end whether the lease survived.
        if (Status s = lease_call(c, "HttpNfcLeaseProgress", lease,
                                  "<percent>" + std::to_string(pct) + "</percent>");
            !s.ok() && hooks.log)
          hooks.log("lease keep-alive failed: " + s.error().message);
      }
      return !(hooks.cancelled && hooks.cancelled());
    });
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!n) return n.error();
    if (!synced) return make_error(ErrorClass::internal, "cannot sync " + file.string());
    done_before += *n;
    out.push_back(file);
  }
  return out;
}

}  // namespace

Result<std::vector<fs::path>> nfc_download(VimClient& client, const MoRef& lease,
                                           const fs::path& workdir,
                                           const providers::FetchHooks& hooks) {
  auto files = download_all(client, lease, workdir, hooks);
  if (!files) {
    // Release the VM now rather than at the lease's timeout; the first error is the one
    // to report.
    (void)lease_call(client, "HttpNfcLeaseAbort", lease, "");
    return files.error();
  }
  if (Status s = lease_call(client, "HttpNfcLeaseComplete", lease, ""); !s.ok())
    return make_error(s.error().cls, "HttpNfcLeaseComplete: " + s.error().message);
  return files;
}

}  // namespace hypersdk::vsphere
