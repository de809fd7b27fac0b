#include "vsphere/inventory.h"

#include <map>

namespace hypersdk::vsphere {

namespace {

struct Parent {
  std::string name, parent;  // parent: moref value ("" at the root)
};

std::uint64_t to_u64(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoull(s);
  } catch (...) {
    return 0;
  }
}

std::vector<InventoryDisk> disks_of(const XmlNode& devices) {
  std::vector<InventoryDisk> out;
  for (const auto& d : devices.children()) {
    if (d.attr("type") != "VirtualDisk") continue;
    InventoryDisk disk;
    disk.file = d.child("backing").child_text("fileName");
    disk.capacity = to_u64(d.child_text("capacityInBytes"));
    if (disk.capacity == 0) disk.capacity = to_u64(d.child_text("capacityInKB")) * 1024;
    out.push_back(std::move(disk));
  }
  return out;
}

}  // namespace

std::string state_name(const std::string& power_state) {
  if (power_state == "poweredOn") return "running";
  if (power_state == "poweredOff") return "stopped";
  return power_state.empty() ? "unknown" : power_state;
}

Result<std::vector<InventoryVm>> list_vms(VimClient& client) {
  auto content = client.service_content();
  if (!content) return content.error();
  // Names and parents of the containers, to spell each VM's inventory path.
  std::map<std::string, Parent> up;
  for (const char* type : {"Folder", "Datacenter"}) {
    auto objs = client.retrieve_all(type, {"name", "parent"});
    if (!objs) return objs.error();
    for (const auto& o : *objs) up[o.obj.value] = {o.text("name"), o.text("parent")};
  }
  auto vms =
      client.retrieve_all("VirtualMachine", {"name", "parent", "runtime.powerState",
                                             "config.template", "config.hardware.numCPU",
                                             "config.hardware.memoryMB", "config.hardware.device"});
  if (!vms) return vms.error();
  std::vector<InventoryVm> out;
  for (const auto& o : *vms) {
    InventoryVm vm;
    vm.ref = o.obj;
    vm.name = o.text("name");
    vm.power_state = o.text("runtime.powerState");
    vm.is_template = o.text("config.template") == "true";
    vm.cpus = static_cast<int>(to_u64(o.text("config.hardware.numCPU")));
    if (vm.cpus < 1) vm.cpus = 1;
    vm.memory_mib = to_u64(o.text("config.hardware.memoryMB"));
    vm.disks = disks_of(o.prop("config.hardware.device"));
    // The path climbs parents up to (not including) the root folder, "Datacenters".
    std::string path = vm.name;
    std::string at = o.text("parent");
    for (int depth = 0; depth < 64 && !at.empty() && at != content->root_folder; ++depth) {
      auto it = up.find(at);
      if (it == up.end()) break;
      path = it->second.name + "/" + path;
      at = it->second.parent;
    }
    vm.path = path;
    out.push_back(std::move(vm));
  }
  return out;
}

}  // namespace hypersdk::vsphere
