// LibvirtProvider's backups through libvirt's backup API (libvirt_provider.h): push mode,
// QEMU writes the disk's data (all of it, or the clusters changed since a checkpoint) into a
// qcow2 file beside the disk's image, where the hypervisor's user may write; a checkpoint
// (a dirty bitmap in the image) is created in the same step, so nothing written between
// the backup and the checkpoint is lost. Older checkpoints of ours are deleted afterwards:
// only the newest is needed for the next incremental, and every live bitmap costs the guest
// a little on each write.
#include <libvirt/virterror.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "core/markup_text.h"
#include "providers/libvirt_provider.h"

namespace hypersdk::providers {

namespace fs = std::filesystem;

namespace {

constexpr const char* kCheckpointPrefix = "hsdk-";
constexpr auto kPoll = std::chrono::milliseconds(50);

bool checkpoint_exists(virDomainPtr dom, const std::string& name) {
  virDomainCheckpointPtr cp = lv().virDomainCheckpointLookupByName(dom, name.c_str(), 0);
  if (!cp) return false;
  lv().virDomainCheckpointFree(cp);
  return true;
}

// Deletes our checkpoints other than `keep` (best effort: a leftover costs a bitmap, not
// correctness).
void delete_other_checkpoints(virDomainPtr dom, const std::string& keep) {
  virDomainCheckpointPtr* cps = nullptr;
  const int n = lv().virDomainListAllCheckpoints(dom, &cps, 0);
  for (int i = 0; i < n; ++i) {
    const char* name = lv().virDomainCheckpointGetName(cps[i]);
    if (name && std::string(name).starts_with(kCheckpointPrefix) && keep != name)
      lv().virDomainCheckpointDelete(cps[i], 0);
    lv().virDomainCheckpointFree(cps[i]);
  }
  std::free(cps);
}

}  // namespace

bool LibvirtProvider::native_backup_available(const Vm& vm) const {
  return vm.state == "running" && vm.disks.size() == 1 && vm.disks[0].format == "qcow2";
}

Result<NativeBackup> LibvirtProvider::backup_native(
    const std::string& vm, const std::string& checkpoint, const std::string& since,
    const std::function<void(std::uint64_t, std::uint64_t)>& progress,
    const std::function<bool()>& cancelled) {
  auto c = open();
  if (!c) return c.error();
  auto d = lookup(**c, vm);
  if (!d) return d.error();
  auto disks = domain_disks(d->dom, vm);
  if (!disks) return disks.error();
  if (disks->size() != 1)
    return invalid_error("backup: VM '" + vm + "' has " + std::to_string(disks->size()) +
                         " disks; backups handle single-disk VMs for now");
  const LibvirtDisk& disk = disks->front();
  const bool incremental = !since.empty() && checkpoint_exists(d->dom, since);
  const fs::path image(disk.source);
  const fs::path out =
      image.parent_path() / ("." + image.stem().string() + "." + checkpoint + ".backup.qcow2");
  std::error_code ec;
  fs::remove(out, ec);  // a leftover of an interrupted attempt: libvirt refuses to overwrite
  std::string backup = "<domainbackup mode='push'>";
  if (incremental) backup += "<incremental>" + core::markup_escape(since) + "</incremental>";
  backup += "<disks><disk name='" + core::markup_escape(disk.target) +
            "' type='file'><target file='" + core::markup_escape(out.string()) +
            "'/><driver type='qcow2'/></disk></disks></domainbackup>";
  const std::string cp =
      "<domaincheckpoint><name>" + core::markup_escape(checkpoint) + "</name></domaincheckpoint>";
  if (lv().virDomainBackupBegin(d->dom, backup.c_str(), cp.c_str(), 0) < 0)
    return libvirt_error("starting a backup of VM '" + vm + "'");
  for (;;) {
    virDomainJobInfo info{};
    if (lv().virDomainGetJobInfo(d->dom, &info) < 0)
      return libvirt_error("following the backup of VM '" + vm + "'");
    if (info.type == VIR_DOMAIN_JOB_NONE) break;
    if (progress && info.dataTotal) progress(info.dataProcessed, info.dataTotal);
    if (cancelled && cancelled()) {
      lv().virDomainAbortJob(d->dom);
      fs::remove(out, ec);
      return make_error(ErrorClass::cancelled, "cancelled while backing up VM '" + vm + "'");
    }
    std::this_thread::sleep_for(kPoll);
  }
  int type = 0;
  virTypedParameterPtr params = nullptr;
  int nparams = 0;
  if (lv().virDomainGetJobStats(d->dom, &type, &params, &nparams, VIR_DOMAIN_JOB_STATS_COMPLETED) <
      0)
    return libvirt_error("reading the outcome of the backup of VM '" + vm + "'");
  lv().virTypedParamsFree(params, nparams);
  if (type != VIR_DOMAIN_JOB_COMPLETED) {
    fs::remove(out, ec);
    return make_error(ErrorClass::internal, "the backup of VM '" + vm +
                                                "' did not complete (libvirt job type " +
                                                std::to_string(type) + ")");
  }
  delete_other_checkpoints(d->dom, checkpoint);
  return NativeBackup{out.string(), incremental};
}

}  // namespace hypersdk::providers
