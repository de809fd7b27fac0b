// The VMs of a vSphere inventory with what an export needs: name, inventory path
// ("DC0/vm/folder/web-1", datacenter first, as govc and SearchIndex spell it), power state,
// CPUs, memory and virtual disks (datastore path and capacity). One ContainerView read for
// the VMs and one for the folders and datacenters that make up their paths.
// Thread safety: uses the caller's client only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vsphere/vim_client.h"

namespace hypersdk::vsphere {

struct InventoryDisk {
  std::string file;  // "[LocalDS_0] DC0_H0_VM0/disk1.vmdk"
  std::uint64_t capacity = 0;
};

struct InventoryVm {
  MoRef ref;
  std::string name, path;
  std::string power_state;  // poweredOn | poweredOff | suspended
  bool is_template = false;
  int cpus = 1;
  std::uint64_t memory_mib = 0;
  std::vector<InventoryDisk> disks;
};

Result<std::vector<InventoryVm>> list_vms(VimClient& client);

// poweredOn -> running, poweredOff -> stopped, suspended -> suspended.
std::string state_name(const std::string& power_state);

}  // namespace hypersdk::vsphere
