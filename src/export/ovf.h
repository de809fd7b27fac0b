// The OVF descriptor (DMTF DSP0243, the 1.x envelope every importer reads) of one VM: its
// disk files with sizes and capacities, CPUs and memory. Pure function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hypersdk::exporter {

struct OvfDisk {
  std::string file;             // member name in the package, e.g. "web-1-disk1.vmdk"
  std::uint64_t file_size = 0;  // bytes of that file
  std::uint64_t capacity = 0;   // virtual size in bytes
};

struct OvfVm {
  std::string name;
  int cpus = 1;
  std::uint64_t memory_mib = 1024;
  std::vector<OvfDisk> disks;
};

// Well-formed XML; every user-supplied text escaped.
std::string ovf_descriptor(const OvfVm& vm);

}  // namespace hypersdk::exporter
