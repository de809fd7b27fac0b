// LibvirtProvider's snapshots (libvirt_provider.h): a disk-only external snapshot of a running
// domain, and its removal by active blockcommit and pivot.
#include <libvirt/virterror.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "core/markup_text.h"
#include "providers/libvirt_provider.h"

namespace hypersdk::providers {

namespace fs = std::filesystem;

namespace {

// "hsdk-" + ms since the epoch + a process counter: unique, and safe in a file name.
std::string new_id() {
  static std::atomic<int> counter{0};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return "hsdk-" + std::to_string(ms) + "-" + std::to_string(counter.fetch_add(1));
}

bool plain_id(const std::string& id) {
  if (id.empty() || id.size() > 100) return false;
  for (char ch : id)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') return false;
  return true;
}

// How long a blockcommit may take to reach the point where it can pivot. The commit copies
// what the domain wrote since the snapshot, usually little; a slow disk gets its time.
constexpr auto kCommitDeadline = std::chrono::minutes(30);
constexpr auto kPoll = std::chrono::milliseconds(50);

// Merges the overlay of disk `target` into its backing image while the domain runs: an
// active commit, then a pivot back to the image once the two are in sync.
Status commit_and_pivot(virDomainPtr dom, const std::string& vm, const std::string& target) {
  const std::string what = "merging the snapshot of disk " + target + " of VM '" + vm + "' back";
  if (lv().virDomainBlockCommit(dom, target.c_str(), nullptr, nullptr, 0,
                                VIR_DOMAIN_BLOCK_COMMIT_ACTIVE) < 0)
    return libvirt_error(what + " (blockcommit)");
  const auto deadline = std::chrono::steady_clock::now() + kCommitDeadline;
  for (;;) {
    virDomainBlockJobInfo info{};
    const int has = lv().virDomainGetBlockJobInfo(dom, target.c_str(), &info, 0);
    if (has < 0) return libvirt_error(what + " (block job state)");
    if (has == 0)
      return make_error(ErrorClass::internal, what + ": the block job ended before the pivot");
    if (info.cur == info.end) {
      // Synchronous: returns once the domain writes to the image again.
      if (lv().virDomainBlockJobAbort(dom, target.c_str(), VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT) == 0)
        return Status::Ok();
      // "not ready for pivot yet": cur == end is seen a moment before QEMU reports the job
      // ready (its event); anything else is a real failure.
      virErrorPtr raw = lv().virGetLastError();
      const bool not_ready =
          raw && (raw->code == VIR_ERR_BLOCK_COPY_ACTIVE || raw->code == VIR_ERR_OPERATION_INVALID);
      if (!not_ready) return libvirt_error(what + " (pivot)");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      lv().virDomainBlockJobAbort(dom, target.c_str(), 0);
      return make_error(ErrorClass::timeout, what + ": not in sync after 30 minutes; aborted");
    }
    std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace

Result<std::string> LibvirtProvider::snapshot_create(const std::string& vm,
                                                     const std::function<bool()>& cancelled) {
  (void)cancelled;  // its snapshots are quick local operations
  auto c = open();
  if (!c) return c.error();
  auto d = lookup(**c, vm);
  if (!d) return d.error();
  const int active = lv().virDomainIsActive(d->dom);
  if (active < 0) return libvirt_error("reading the state of domain '" + vm + "'");
  const std::string id = new_id();
  // A shut-off domain's disks do not change until it starts: they are their own snapshot.
  if (active == 0) return "cold-" + id;
  auto disks = domain_disks(d->dom, vm);
  if (!disks) return disks.error();
  if (disks->empty())
    return make_error(ErrorClass::not_found, "VM '" + vm + "' has no disks to snapshot");
  std::string xml = "<domainsnapshot><name>" + id + "</name><disks>";
  for (const auto& disk : *disks)
    xml += "<disk name='" + core::markup_escape(disk.target) +
           "' snapshot='external'><driver type='qcow2'/><source file='" +
           core::markup_escape(libvirt_overlay_path(disk.source, id)) + "'/></disk>";
  xml += "</disks></domainsnapshot>";
  virDomainSnapshotPtr snap = lv().virDomainSnapshotCreateXML(
      d->dom, xml.c_str(),
      VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA |
          VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC);
  if (!snap) return libvirt_error("taking a disk-only snapshot of VM '" + vm + "'");
  lv().virDomainSnapshotFree(snap);
  return id;
}

Status LibvirtProvider::snapshot_remove(const std::string& vm, const std::string& snapshot,
                                        const std::function<bool()>& cancelled) {
  (void)cancelled;  // its snapshots are quick local operations
  if (!plain_id(snapshot))
    return invalid_error("snapshot id '" + snapshot + "' is not one this provider made");
  if (snapshot.starts_with("cold-")) return Status::Ok();
  auto c = open();
  if (!c) return c.error();
  auto d = lookup(**c, vm);
  if (!d) return d.error();
  auto disks = domain_disks(d->dom, vm);
  if (!disks) return disks.error();
  std::vector<std::string> overlays;
  for (const auto& disk : *disks) {
    if (disk.backing.empty() || disk.source != libvirt_overlay_path(disk.backing, snapshot))
      continue;  // not under this snapshot (any more): nothing to merge
    if (lv().virDomainIsActive(d->dom) != 1)
      return make_error(ErrorClass::conflict,
                        "VM '" + vm + "' stopped while snapshot " + snapshot +
                            " was in place: start it so the overlay " + disk.source +
                            " can be merged back (blockcommit needs a running domain)");
    if (Status s = commit_and_pivot(d->dom, vm, disk.target); !s.ok()) return s;
    overlays.push_back(disk.source);
  }
  // The merged overlays hold nothing the images lack now; a leftover of an interrupted
  // removal (merged, not yet deleted) goes too.
  for (const auto& disk : *disks) overlays.push_back(libvirt_overlay_path(disk.source, snapshot));
  for (const auto& overlay : overlays) {
    std::error_code ec;
    fs::remove(overlay, ec);
    if (ec)
      return make_error(ErrorClass::internal, "snapshot " + snapshot + " of VM '" + vm +
                                                  "' merged back, but its overlay " + overlay +
                                                  " cannot be deleted: " + ec.message());
  }
  return Status::Ok();
}

}  // namespace hypersdk::providers
