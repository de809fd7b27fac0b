// OVA packages: writing one (ustar: the .ovf descriptor first, then the disks in References
// order, then the .mf manifest of SHA256 lines) and checking one.
//
// The manifest comes last so that every byte is hashed while it is written, in one pass
// (OVF 2.0, DSP0243 §5.3, allows the manifest at the end of the archive for exactly this;
// importers such as ovftool and VirtualBox read it there).
// Thread safety: free functions; hooks run on the calling thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "export/byte_pump.h"
#include "export/ovf.h"

namespace hypersdk::exporter {

struct OvaDisk {
  std::filesystem::path source;  // a streamOptimized VMDK to package
  std::string member;            // its name inside the OVA
  std::uint64_t capacity = 0;    // the disk's virtual size
};

struct OvaResult {
  std::uint64_t size = 0;
  std::string sha256;                          // of the whole .ova file
  std::map<std::string, std::string> members;  // member -> its SHA-256 (the manifest)
};

// Writes `out` atomically (atomic_output.h): on any error or cancel nothing is left. Progress
// counts bytes of the archive written of its exact final size.
Result<OvaResult> write_ova(
    const std::filesystem::path& out, const std::string& vm_name, int cpus,
    std::uint64_t memory_mib, const std::vector<OvaDisk>& disks,
    const std::function<void(std::uint64_t done, std::uint64_t total)>& progress,
    const std::function<bool()>& cancelled);

struct OvaCheck {
  std::vector<std::string> members;  // in archive order
  std::uint64_t bytes_read = 0;
};

// Reads every byte of the package: the .ovf must come first, every member but the manifest
// must be listed in the .mf with a matching SHA256, and every listed file must be present.
// Errors: invalid naming the member and what is wrong; not_found; cancelled.
Result<OvaCheck> verify_ova(
    const std::filesystem::path& path,
    const std::function<void(std::uint64_t done, std::uint64_t total)>& progress,
    const std::function<bool()>& cancelled);

// Parses manifest text: "SHA256(name)= hex" lines (also "SHA256 (name) = hex").
// Errors: invalid naming the line.
Result<std::map<std::string, std::string>> parse_manifest(const std::string& text);

}  // namespace hypersdk::exporter
