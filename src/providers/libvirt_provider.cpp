#include "providers/libvirt_provider.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "providers/local_provider.h"

namespace hypersdk::providers {

namespace fs = std::filesystem;

std::string libvirt_state_name(int state) {
  switch (state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
      return "running";
    case VIR_DOMAIN_PAUSED:
      return "paused";
    case VIR_DOMAIN_SHUTDOWN:
      return "shutting-down";
    case VIR_DOMAIN_SHUTOFF:
      return "stopped";
    case VIR_DOMAIN_CRASHED:
      return "crashed";
    case VIR_DOMAIN_PMSUSPENDED:
      return "suspended";
    default:
      return "unknown";
  }
}

std::string libvirt_overlay_path(const std::string& image, const std::string& id) {
  const fs::path p(image);
  return (p.parent_path() / (p.stem().string() + "." + id + ".qcow2")).string();
}

Result<DomainRef> LibvirtProvider::lookup(const LibvirtConnection& c, const std::string& vm) const {
  virDomainPtr d = lv().virDomainLookupByName(c.get(), vm.c_str());
  if (!d) {
    Error e = libvirt_error("looking up domain '" + vm + "' at " + uri_);
    if (e.cls == ErrorClass::not_found)
      return make_error(ErrorClass::not_found,
                        "no VM '" + vm + "' in provider '" + name_ + "' (libvirt " + uri_ + ")");
    return e;
  }
  return DomainRef(d);
}

Result<std::vector<LibvirtDisk>> LibvirtProvider::domain_disks(virDomainPtr dom,
                                                               const std::string& vm) const {
  char* xml = lv().virDomainGetXMLDesc(dom, 0);
  if (!xml) return libvirt_error("reading the description of domain '" + vm + "'");
  const std::string text(xml);
  std::free(xml);
  auto all = parse_domain_disks(text);
  if (!all) return make_error(ErrorClass::internal, "domain '" + vm + "': " + all.error().message);
  std::vector<LibvirtDisk> out;
  for (auto& d : *all)
    if (d.device == "disk" && !d.source.empty()) out.push_back(std::move(d));
  return out;
}

Result<Vm> LibvirtProvider::describe(virDomainPtr dom) const {
  Vm vm;
  const char* n = lv().virDomainGetName(dom);
  vm.name = n ? n : "";
  virDomainInfo info{};
  if (lv().virDomainGetInfo(dom, &info) < 0)
    return libvirt_error("reading the state of domain '" + vm.name + "'");
  vm.state = libvirt_state_name(info.state);
  vm.cpus = info.nrVirtCpu > 0 ? static_cast<int>(info.nrVirtCpu) : 1;
  vm.memory_mib = info.maxMem >= 1024 ? info.maxMem / 1024 : 1;  // KiB
  auto disks = domain_disks(dom, vm.name);
  if (!disks) return disks.error();
  for (const auto& d : *disks) {
    Disk disk;
    disk.path = d.source;
    disk.format = d.format.empty() ? "raw" : d.format;
    virDomainBlockInfo bi{};
    if (lv().virDomainGetBlockInfo(dom, d.target.c_str(), &bi, 0) == 0) {
      disk.capacity = bi.capacity;
      disk.file_size = bi.physical;
    } else if (auto probed = probe_disk(d.source)) {
      // A driver without block info (or an inactive domain it cannot open): the file itself.
      disk.capacity = probed->capacity;
      disk.file_size = probed->file_size;
      if (d.format.empty()) disk.format = probed->format;
    }
    vm.disks.push_back(std::move(disk));
  }
  return vm;
}

TestReport LibvirtProvider::test() {
  TestReport r;
  auto c = open();
  if (!c) {
    r.cls = c.error().cls;
    r.diagnosis = c.error().message;
    return r;
  }
  const int n = lv().virConnectNumOfDomains((*c)->get());
  const int defined = lv().virConnectNumOfDefinedDomains((*c)->get());
  if (n < 0 || defined < 0) {
    Error e = libvirt_error("listing the domains at " + uri_);
    r.cls = e.cls;
    r.diagnosis = e.message;
    return r;
  }
  r.ok = true;
  r.vm_count = n + defined;
  r.diagnosis = std::to_string(r.vm_count) + " VMs (" + std::to_string(n) + " running) at " + uri_;
  return r;
}

Result<std::vector<Vm>> LibvirtProvider::list(const std::string& glob) {
  auto c = open();
  if (!c) return c.error();
  virDomainPtr* doms = nullptr;
  const int n = lv().virConnectListAllDomains((*c)->get(), &doms, 0);
  if (n < 0) return libvirt_error("listing the domains at " + uri_);
  std::vector<DomainRef> refs;
  for (int i = 0; i < n; ++i) refs.emplace_back(doms[i]);
  std::free(doms);
  std::vector<Vm> out;
  for (const auto& ref : refs) {
    const char* name = lv().virDomainGetName(ref.dom);
    if (!name || !name_matches(glob, name)) continue;
    auto vm = describe(ref.dom);
    if (!vm) return vm.error();
    out.push_back(std::move(*vm));
  }
  std::sort(out.begin(), out.end(), [](const Vm& a, const Vm& b) { return a.name < b.name; });
  return out;
}

Result<Vm> LibvirtProvider::get(const std::string& vm) {
  auto c = open();
  if (!c) return c.error();
  auto d = lookup(**c, vm);
  if (!d) return d.error();
  return describe(d->dom);
}

Result<std::vector<Disk>> LibvirtProvider::disks(const std::string& vm,
                                                 const std::string& snapshot) {
  auto current = get(vm);
  if (!current) return current.error();
  // A running guest writes while its disks would be read (and QEMU holds their write lock):
  // only a snapshot gives a consistent image.
  if (snapshot.empty() && current->state != "stopped")
    return make_error(ErrorClass::conflict,
                      "VM '" + vm + "' is " + current->state +
                          ": read a snapshot of it (a snapshot step before this one, then "
                          "snapshot remove), or shut it down");
  if (snapshot.empty() || snapshot.starts_with("cold-")) return current->disks;
  auto c = open();
  if (!c) return c.error();
  auto d = lookup(**c, vm);
  if (!d) return d.error();
  auto lv = domain_disks(d->dom, vm);
  if (!lv) return lv.error();
  // The point-in-time images are the ones below this snapshot's overlays.
  std::vector<Disk> out;
  for (std::size_t i = 0; i < lv->size(); ++i) {
    const LibvirtDisk& ld = (*lv)[i];
    if (ld.backing.empty() || ld.source != libvirt_overlay_path(ld.backing, snapshot))
      return make_error(ErrorClass::not_found, "no snapshot '" + snapshot + "' of VM '" + vm +
                                                   "' in provider '" + name_ + "': disk " +
                                                   ld.target + " reads " + ld.source);
    auto probed = probe_disk(ld.backing);
    if (!probed) return probed.error();
    if (!ld.backing_format.empty()) probed->format = ld.backing_format;
    out.push_back(*probed);
  }
  return out;
}

}  // namespace hypersdk::providers
