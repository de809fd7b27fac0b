// Downloading a VM's disks through an HttpNfcLease (what ExportVm / ExportSnapshot return):
// wait until the lease is ready, download each disk device URL over HTTPS into `workdir`
// with progress, keep the lease alive with HttpNfcLeaseProgress while bytes flow, then
// HttpNfcLeaseComplete; HttpNfcLeaseAbort on any failure or cancel, so vCenter releases
// the VM at once instead of after the lease timeout.
// Thread safety: uses the caller's client only.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "providers/provider.h"
#include "vsphere/vim_client.h"

namespace hypersdk::vsphere {

// The files downloaded, one per disk, in the lease's device order.
Result<std::vector<std::filesystem::path>> nfc_download(VimClient& client, const MoRef& lease,
                                                        const std::filesystem::path& workdir,
                                                        const providers::FetchHooks& hooks);

}  // namespace hypersdk::vsphere
