// Provider `libvirt`: the domains of one libvirt connection (`uri`: test:///default,
// qemu:///session, qemu:///system, qemu+ssh://host/system, or a session daemon's socket:
// qemu+unix:///session?socket=/path). A VM is a domain; its disks are the <disk
// device='disk'> of its XML; CPU and memory come from virDomainGetInfo.
//
// Snapshots (libvirt_snapshot.cpp) are disk-only external snapshots of a running domain
// (DISK_ONLY | NO_METADATA | ATOMIC): every disk gets a qcow2 overlay beside its image,
// `<image>.<id>.qcow2`, that takes the domain's writes while the image below stays as it was
// at that instant, for the export to read. Removal merges the overlay back (active
// blockcommit, then pivot) and deletes it. NO_METADATA keeps libvirt's snapshot list clean;
// the snapshot is recognised by its overlay's name in the domain's live XML, so a removal
// works after a restart of ours. A shut-off domain's disks do not change while it is off:
// its snapshot id says so ("cold-...") and reads the disks themselves. disks() without a
// snapshot of a domain that is not shut off is a conflict (the guest writes while we read).
//
// Every operation opens its own connection (a unix socket round trip) and closes it, so a
// daemon restart or a reload of the config is seen by the next call.
// Thread safety: no mutable state; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "providers/libvirt_connection.h"
#include "providers/libvirt_xml.h"
#include "providers/provider.h"

namespace hypersdk::providers {

class LibvirtProvider final : public Provider {
 public:
  LibvirtProvider(std::string name, std::string uri, LibvirtCredentials creds = {})
      : name_(std::move(name)), uri_(std::move(uri)), creds_(std::move(creds)) {}

  const std::string& name() const override { return name_; }
  std::string kind() const override { return "libvirt"; }
  const std::string& uri() const { return uri_; }
  TestReport test() override;
  Result<std::vector<Vm>> list(const std::string& glob) override;
  Result<Vm> get(const std::string& vm) override;
  Result<std::string> snapshot_create(const std::string& vm,
                                      const std::function<bool()>& cancelled = {}) override;
  Status snapshot_remove(const std::string& vm, const std::string& snapshot,
                         const std::function<bool()>& cancelled = {}) override;
  Result<std::vector<Disk>> disks(const std::string& vm, const std::string& snapshot) override;
  // libvirt_backup.cpp: push-mode virDomainBackupBegin of a running domain's single qcow2
  // disk, with a checkpoint for the next incremental.
  bool native_backup_available(const Vm& vm) const override;
  Result<NativeBackup> backup_native(
      const std::string& vm, const std::string& checkpoint, const std::string& since,
      const std::function<void(std::uint64_t, std::uint64_t)>& progress,
      const std::function<bool()>& cancelled) override;

 private:
  Result<std::unique_ptr<LibvirtConnection>> open() const { return libvirt_open(uri_, creds_); }
  Result<DomainRef> lookup(const LibvirtConnection& c, const std::string& vm) const;
  Result<Vm> describe(virDomainPtr dom) const;
  Result<std::vector<LibvirtDisk>> domain_disks(virDomainPtr dom, const std::string& vm) const;

  std::string name_;
  std::string uri_;
  LibvirtCredentials creds_;
};

// The overlay file an external snapshot `id` puts over `image`: "<image>.<id>.qcow2" beside
// it (the image's extension dropped: /vms/web.qcow2 -> /vms/web.hsdk-1.qcow2).
std::string libvirt_overlay_path(const std::string& image, const std::string& id);

// libvirt's virDomainState as the provider port's words: running, paused, stopped, ...
std::string libvirt_state_name(int state);

}  // namespace hypersdk::providers
