// Taking over a backup file that a hypervisor wrote (libvirt's backup API): moved under
// export.dir atomically, chained onto its parent by name, checked, made durable.
// Thread safety: free function.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/error.h"

namespace hypersdk::exporter {

struct Adopted {
  std::uint64_t size = 0;        // bytes of the file
  std::uint64_t data_bytes = 0;  // guest bytes the file itself holds (not its backing chain)
};

// Moves the qcow2 `from` to `to`: under a temporary name beside `to` (a rename, or a copy
// when it is on another file system), its backing file set to `backing` (a file name in the
// same directory; "" for none) without touching its data (qemu-img rebase -u), checked with
// its chain (qemu-img check), fsynced, renamed, the directory fsynced. On error nothing is
// left at `to` or beside it. Errors: internal with qemu-img's message; not_found.
Result<Adopted> adopt_native_backup(const std::filesystem::path& from,
                                    const std::filesystem::path& to, const std::string& backing);

}  // namespace hypersdk::exporter
