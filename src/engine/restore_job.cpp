// Job type restore (provider_jobs.h): the chain of backups up to one read back into one
// standalone disk, atomically (temp name, fsync, rename).
//
// payload {backup_id, to, format: raw (default) | qcow2}: a new file at `to`.
// payload {backup_id, vm, provider?}: onto the VM's own disk, in the disk's format; the
// provider defaults to the backup's. The VM must be stopped (a local VM always is; a libvirt
// domain must be shut off): writing under a running guest would corrupt what it reads. The
// disk file keeps its owner and mode, so the hypervisor (QEMU under libvirt runs as its own
// user) can open it again.
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "engine/provider_job_support.h"
#include "engine/provider_jobs.h"
#include "engine/step_inputs.h"

namespace hypersdk::engine {

using nlohmann::json;
namespace fs = std::filesystem;
using namespace provider_job;

namespace {

class RestoreHandler final : public Handler {
 public:
  explicit RestoreHandler(ProviderJobDeps deps) : deps_(std::move(deps)) {}
  Result<std::string> run(JobContext& ctx) override {
    auto payload = payload_of(ctx);
    if (!payload) return payload.error();
    std::int64_t id = payload->value("backup_id", std::int64_t{0});
    if (!id) return invalid_error("backup_id: which backup to restore");
    auto chain = deps_.backups->chain(id);
    if (!chain) return chain.error();
    const store::Backup& top = chain->back();
    std::error_code ec;
    for (const auto& b : *chain)
      if (!fs::exists(b.path, ec))
        return make_error(ErrorClass::not_found, "backup " + std::to_string(b.id) +
                                                     " of the chain is missing its file " + b.path);
    Result<json> r = payload->contains("vm") ? onto_vm(ctx, *payload, top, chain->size())
                                             : to_file(ctx, *payload, top, chain->size());
    if (!r) return r.error();
    (*r)["backup_id"] = id;
    (*r)["chain"] = json::array();
    for (const auto& b : *chain) (*r)["chain"].push_back(b.id);
    return r->dump();
  }

 private:
  Result<json> to_file(JobContext& ctx, const json& payload, const store::Backup& top,
                       std::size_t links) {
    const std::string to = payload.value("to", std::string());
    if (to.empty() || to[0] != '/') return invalid_error("to: expected an absolute file path");
    const std::string format = payload.value("format", std::string("raw"));
    if (format != "raw" && format != "qcow2")
      return invalid_error("format: expected raw or qcow2, got '" + format + "'");
    ctx.log("system", "restoring backup " + std::to_string(top.id) + " (a chain of " +
                          std::to_string(links) + ") to " + to);
    auto w = write_disk(ctx, top.path, "qcow2", to, format, 0);
    if (!w) return w.error();
    return file_result(*w);
  }

  Result<json> onto_vm(JobContext& ctx, const json& payload, const store::Backup& top,
                       std::size_t links) {
    if (payload.contains("to"))
      return invalid_error(
          "payload: restore takes to (a new file) or vm (the VM's disk), not both");
    const std::string vm = payload.value("vm", std::string());
    std::string provider_name = payload.value("provider", std::string());
    if (provider_name.empty()) provider_name = top.provider;
    auto provider = deps_.providers->find(provider_name);
    if (!provider) return provider.error();
    auto v = (*provider)->get(vm);
    if (!v) return v.error();
    if (v->state != "stopped")
      return make_error(
          ErrorClass::conflict,
          "VM '" + vm + "' is " + v->state +
              ": shut it down before restoring onto its disk (or restore --to a file)");
    if (v->disks.size() != 1)
      return invalid_error("VM '" + vm + "' has " + std::to_string(v->disks.size()) +
                           " disks; restore onto a VM handles single-disk VMs (backups are)");
    const providers::Disk& disk = v->disks.front();
    if (disk.format != "raw" && disk.format != "qcow2")
      return invalid_error("VM '" + vm + "' has a " + disk.format +
                           " disk; restore writes raw or qcow2 (restore --to a file and convert)");
    struct stat before {};
    const bool existed = ::stat(disk.path.c_str(), &before) == 0;
    ctx.log("system", "restoring backup " + std::to_string(top.id) + " (a chain of " +
                          std::to_string(links) + ") onto disk " + disk.path + " of VM " + vm +
                          " (provider " + provider_name + ")");
    auto w = write_disk(ctx, top.path, "qcow2", disk.path, disk.format, 0);
    if (!w) return w.error();
    if (existed && (::chown(disk.path.c_str(), before.st_uid, before.st_gid) != 0 ||
                    ::chmod(disk.path.c_str(), before.st_mode & 07777) != 0))
      return make_error(ErrorClass::internal,
                        "restored " + disk.path + " but cannot give it back its owner and mode (" +
                            std::to_string(before.st_uid) + ":" + std::to_string(before.st_gid) +
                            "): " + std::strerror(errno));
    json r = file_result(*w);
    r["provider"] = provider_name;
    r["vm"] = vm;
    return r;
  }

  ProviderJobDeps deps_;
};

}  // namespace

std::shared_ptr<Handler> make_restore_handler(const ProviderJobDeps& deps) {
  return std::make_shared<RestoreHandler>(deps);
}

}  // namespace hypersdk::engine
