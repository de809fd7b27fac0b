// Provider `local`: VMs are disk images (raw, qcow2, vmdk) in configured directories, what a
// laptop user has. Each subdirectory of a configured directory is one VM named after it,
// holding its disk images (*.raw, *.img, *.qcow2, *.vmdk, in name order; a named pipe is a raw
// disk that streams) and optionally a manifest `vm.yaml` ({name, cpus, memory_mib, disks:
// [file, ...]}) for what the files cannot tell (the OVF's CPU and memory).
//
// Snapshots are point-in-time copies of the disks under the VM's `.snapshots/ID/` (reflinked
// where the file system can, else copied), removed by snapshot_remove.
// Thread safety: no mutable state; safe from any thread.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "providers/provider.h"

namespace hypersdk::providers {

class LocalProvider final : public Provider {
 public:
  LocalProvider(std::string name, std::vector<std::filesystem::path> dirs)
      : name_(std::move(name)), dirs_(std::move(dirs)) {}

  const std::string& name() const override { return name_; }
  std::string kind() const override { return "local"; }
  TestReport test() override;
  Result<std::vector<Vm>> list(const std::string& glob) override;
  Result<Vm> get(const std::string& vm) override;
  Result<std::string> snapshot_create(const std::string& vm,
                                      const std::function<bool()>& cancelled = {}) override;
  Status snapshot_remove(const std::string& vm, const std::string& snapshot,
                         const std::function<bool()>& cancelled = {}) override;
  Result<std::vector<Disk>> disks(const std::string& vm, const std::string& snapshot) override;

 private:
  Result<std::filesystem::path> vm_dir(const std::string& vm) const;
  Result<Vm> read_vm(const std::filesystem::path& dir) const;

  std::string name_;
  std::vector<std::filesystem::path> dirs_;
};

// The format of a disk image from its first bytes (qcow2, vmdk) or "raw", and its virtual
// size. Errors: not_found, internal (unreadable).
Result<Disk> probe_disk(const std::filesystem::path& path);

}  // namespace hypersdk::providers
