#include "export/ovf.h"

#include "core/markup_text.h"

namespace hypersdk::exporter {

namespace {
std::string item(const std::string& body) {
  return "      <Item>\n" + body + "      </Item>\n";
}
std::string rasd(const char* tag, const std::string& v) {
  return std::string("        <rasd:") + tag + ">" + v + "</rasd:" + tag + ">\n";
}
}  // namespace

std::string ovf_descriptor(const OvfVm& vm) {
  const std::string name = core::markup_escape(vm.name);
  std::string x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\""
      " xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\""
      " xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
      "CIM_ResourceAllocationSettingData\""
      " xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
      "CIM_VirtualSystemSettingData\""
      " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
      "  <References>\n";
  for (std::size_t i = 0; i < vm.disks.size(); ++i)
    x += "    <File ovf:id=\"file" + std::to_string(i + 1) + "\" ovf:href=\"" +
         core::markup_escape(vm.disks[i].file) + "\" ovf:size=\"" +
         std::to_string(vm.disks[i].file_size) + "\"/>\n";
  x += "  </References>\n  <DiskSection>\n    <Info>Virtual disk information</Info>\n";
  for (std::size_t i = 0; i < vm.disks.size(); ++i)
    x += "    <Disk ovf:diskId=\"vmdisk" + std::to_string(i + 1) + "\" ovf:fileRef=\"file" +
         std::to_string(i + 1) + "\" ovf:capacity=\"" + std::to_string(vm.disks[i].capacity) +
         "\" ovf:capacityAllocationUnits=\"byte\" ovf:format=\""
         "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized\"/>\n";
  x += "  </DiskSection>\n  <VirtualSystem ovf:id=\"" + name +
       "\">\n"
       "    <Info>A virtual machine exported by hypersdk</Info>\n    <Name>" +
       name +
       "</Name>\n"
       "    <OperatingSystemSection ovf:id=\"1\">\n      <Info>The guest operating system</Info>\n"
       "    </OperatingSystemSection>\n"
       "    <VirtualHardwareSection>\n      <Info>Virtual hardware requirements</Info>\n"
       "      <System>\n"
       "        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>\n"
       "        <vssd:InstanceID>0</vssd:InstanceID>\n"
       "        <vssd:VirtualSystemIdentifier>" +
       name +
       "</vssd:VirtualSystemIdentifier>\n"
       "        <vssd:VirtualSystemType>vmx-10</vssd:VirtualSystemType>\n"
       "      </System>\n";
  x += item(
      rasd("AllocationUnits", "hertz * 10^6") + rasd("Description", "Number of virtual CPUs") +
      rasd("ElementName", std::to_string(vm.cpus) + " virtual CPU(s)") + rasd("InstanceID", "1") +
      rasd("ResourceType", "3") + rasd("VirtualQuantity", std::to_string(vm.cpus)));
  x += item(rasd("AllocationUnits", "byte * 2^20") + rasd("Description", "Memory size") +
            rasd("ElementName", std::to_string(vm.memory_mib) + " MB of memory") +
            rasd("InstanceID", "2") + rasd("ResourceType", "4") +
            rasd("VirtualQuantity", std::to_string(vm.memory_mib)));
  x += item(rasd("Description", "SCSI Controller") + rasd("ElementName", "SCSI Controller 0") +
            rasd("InstanceID", "3") + rasd("ResourceSubType", "lsilogic") +
            rasd("ResourceType", "6"));
  for (std::size_t i = 0; i < vm.disks.size(); ++i)
    x += item(rasd("AddressOnParent", std::to_string(i)) +
              rasd("ElementName", "Hard Disk " + std::to_string(i + 1)) +
              rasd("HostResource", "ovf:/disk/vmdisk" + std::to_string(i + 1)) +
              rasd("InstanceID", std::to_string(4 + i)) + rasd("Parent", "3") +
              rasd("ResourceType", "17"));
  x += "    </VirtualHardwareSection>\n  </VirtualSystem>\n</Envelope>\n";
  return x;
}

}  // namespace hypersdk::exporter
