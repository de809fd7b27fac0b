// The provider port (DESIGN §9): where VMs live and how their disks are read. One adapter per
// kind (local disk images, libvirt, ...), configured under `providers:` and looked up by name
// in the registry (registry.h).
//
// A provider answers questions about VMs and takes and removes snapshots; it does not copy
// bytes itself: it hands out the paths of the disks to read (the VM's current disks or a
// snapshot's point-in-time copies) and the export pipeline (src/export/) reads them.
//
// Errors carry a class (auth, network, not_found, ...) and a message a person can act on.
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"

namespace hypersdk::providers {

struct Disk {
  std::string path;             // a file the caller may open and read
  std::string format;           // raw | qcow2 | vmdk
  std::uint64_t capacity = 0;   // virtual size in bytes
  std::uint64_t file_size = 0;  // bytes on disk
};

struct Vm {
  std::string name;
  std::string state;  // "stopped", "running", ... as the provider knows it
  int cpus = 1;
  std::uint64_t memory_mib = 1024;
  std::vector<Disk> disks;
};

// The outcome of test(): ok, or a failure with its class and a diagnosis naming the cause
// (DNS, refused, TLS, auth failed or expired, missing permission, missing directory) and
// what to do about it.
struct TestReport {
  bool ok = false;
  std::string diagnosis;
  int vm_count = 0;
  ErrorClass cls = ErrorClass::internal;  // when !ok
  // When !ok and the provider checks in stages: the one that failed ("reachability", "tls",
  // "api_version", "login", "inventory"); empty otherwise.
  std::string failed_check;
};

// What fetch_disks reports while it copies: bytes done of total, a line for the job's log,
// and whether the job was cancelled (then it stops and returns class cancelled).
struct FetchHooks {
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  std::function<void(const std::string& line)> log;
  std::function<bool()> cancelled;
};

// A backup taken by the hypervisor itself (libvirt's backup API with checkpoints): a qcow2
// file it wrote, holding the whole disk or, when `incremental`, only what changed since the
// checkpoint asked for.
struct NativeBackup {
  std::string path;  // where the hypervisor wrote it; the caller moves it away
  bool incremental = false;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual const std::string& name() const = 0;
  virtual std::string kind() const = 0;
  // Reachability, authentication and permissions, with a diagnosis.
  virtual TestReport test() = 0;
  // VMs whose names match the shell-style glob ("" or "*" = all), by name.
  virtual Result<std::vector<Vm>> list(const std::string& glob) = 0;
  // One VM. Errors: not_found naming the VM and the provider.
  virtual Result<Vm> get(const std::string& vm) = 0;
  // A point-in-time copy of the VM's disks; returns its id. `cancelled` (may be empty):
  // the job was cancelled; a provider whose snapshots are long tasks (vsphere) stops
  // waiting and returns class cancelled.
  virtual Result<std::string> snapshot_create(const std::string& vm,
                                              const std::function<bool()>& cancelled = {}) = 0;
  // Removes a snapshot (and merges it back when the provider needs that). Removing one that
  // is already gone succeeds. `cancelled` as for snapshot_create.
  virtual Status snapshot_remove(const std::string& vm, const std::string& snapshot,
                                 const std::function<bool()>& cancelled = {}) = 0;
  // The disks to read for an export: the snapshot's when `snapshot` is not empty, else the
  // VM's current disks.
  virtual Result<std::vector<Disk>> disks(const std::string& vm, const std::string& snapshot) = 0;
  // disks(), made readable here: a provider whose disks are local files returns them as they
  // are; a remote one (vsphere) downloads them into `workdir` (which the caller created and
  // removes afterwards) and returns the downloaded files.
  virtual Result<std::vector<Disk>> fetch_disks(const std::string& vm, const std::string& snapshot,
                                                const std::filesystem::path& workdir,
                                                const FetchHooks& hooks) {
    (void)workdir;
    (void)hooks;
    return disks(vm, snapshot);
  }
  // Whether backup_native() can back up this VM now (a running domain of a hypervisor with a
  // backup API). Providers without one keep the defaults.
  virtual bool native_backup_available(const Vm&) const { return false; }
  // Backs up the VM's single disk, incremental since checkpoint `since` when not empty and
  // the hypervisor still has it (else whole), and leaves checkpoint `checkpoint` for the next.
  // progress(done, total) and cancelled() are polled while it runs.
  virtual Result<NativeBackup> backup_native(
      const std::string& vm, const std::string& checkpoint, const std::string& since,
      const std::function<void(std::uint64_t, std::uint64_t)>& progress,
      const std::function<bool()>& cancelled) {
    (void)vm, (void)checkpoint, (void)since, (void)progress, (void)cancelled;
    return make_error(ErrorClass::invalid, "provider kind " + kind() + " has no backup API");
  }
};

// Shell-style name match (fnmatch): "prod-web-*", "db-?"; "" matches everything.
bool name_matches(const std::string& glob, const std::string& name);

}  // namespace hypersdk::providers
