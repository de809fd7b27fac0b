// The libvirt provider against libvirt's own test driver (in-process, no daemon): a node file
// with several domains, their disks, CPUs, memory and states; the domain XML parser on what a
// running QEMU domain shows after an external snapshot; the error classification.
#include <doctest/doctest.h>
#include <libvirt/virterror.h>

#include <filesystem>
#include <fstream>

#include "providers/libvirt_provider.h"
#include "providers/libvirt_xml.h"
#include "providers/registry.h"

using namespace hypersdk;
using namespace hypersdk::providers;
namespace fs = std::filesystem;

namespace {

// A test-driver node: three domains, one shut off, one with two disks and a cdrom.
fs::path write_node(const fs::path& dir) {
  fs::create_directories(dir);
  auto domain = [](const std::string& name, int vcpus, int mib, bool running,
                   const std::string& disks) {
    return "<domain type='test'><name>" + name + "</name><memory unit='MiB'>" +
           std::to_string(mib) + "</memory><vcpu>" + std::to_string(vcpus) +
           "</vcpu><os><type>hvm</type></os>" +
           (running ? "" : "<test:runstate>5</test:runstate>") + "<devices>" + disks +
           "</devices></domain>";
  };
  auto disk = [](const std::string& dev, const std::string& file, const std::string& fmt,
                 const std::string& device = "disk") {
    return "<disk type='file' device='" + device + "'><driver name='qemu' type='" + fmt +
           "'/><source file='" + file + "'/><target dev='" + dev + "' bus='virtio'/></disk>";
  };
  const fs::path node = dir / "node.xml";
  std::ofstream(node)
      << "<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><cpu><nodes>1</nodes>"
         "<sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active>"
         "<mhz>2000</mhz></cpu><memory>8388608</memory>"
      << domain("prod-web-1", 2, 2048, true, disk("vda", "/vms/web1.qcow2", "qcow2"))
      << domain("prod-web-2", 1, 1024, false,
                disk("vda", "/vms/web2.raw", "raw") + disk("vdb", "/vms/web2-data.raw", "raw") +
                    disk("hdc", "/isos/install.iso", "raw", "cdrom"))
      << domain("prod-db-1", 4, 4096, true, disk("vda", "/vms/db1.qcow2", "qcow2")) << "</node>";
  return node;
}

}  // namespace

TEST_CASE("libvirt provider: lists the test driver's default domain with its disk") {
  LibvirtProvider p("kvm", "test:///default");
  auto r = p.test();
  CHECK(r.ok);
  CHECK(r.vm_count == 1);
  CHECK(r.diagnosis.find("test:///default") != std::string::npos);
  auto vms = p.list("");
  REQUIRE(vms);
  REQUIRE(vms->size() == 1);
  const Vm& vm = vms->front();
  CHECK(vm.name == "test");
  CHECK(vm.state == "running");
  CHECK(vm.cpus == 2);
  CHECK(vm.memory_mib == 8192);
  REQUIRE(vm.disks.size() == 1);
  CHECK(vm.disks[0].path == "/guest/diskimage1");
  CHECK(vm.disks[0].format == "raw");
  CHECK(vm.disks[0].capacity > 0);  // the test driver's block info
}

TEST_CASE(
    "libvirt provider: a glob over a node's domains with their CPUs, memory, power state and "
    "disks") {
  const fs::path dir = fs::temp_directory_path() / ("lv-node-" + std::to_string(::getpid()));
  const fs::path node = write_node(dir);
  LibvirtProvider p("lab", "test://" + node.string());
  auto r = p.test();
  REQUIRE_MESSAGE(r.ok, r.diagnosis);
  CHECK(r.vm_count == 3);
  auto web = p.list("prod-web-*");
  REQUIRE(web);
  REQUIRE(web->size() == 2);
  CHECK((*web)[0].name == "prod-web-1");
  CHECK((*web)[0].state == "running");
  CHECK((*web)[0].cpus == 2);
  CHECK((*web)[0].memory_mib == 2048);
  CHECK((*web)[0].disks.size() == 1);
  CHECK((*web)[0].disks[0].format == "qcow2");
  CHECK((*web)[1].name == "prod-web-2");
  CHECK((*web)[1].state == "stopped");
  // The cdrom is not a disk to export.
  REQUIRE((*web)[1].disks.size() == 2);
  CHECK((*web)[1].disks[1].path == "/vms/web2-data.raw");
  auto all = p.list("*");
  REQUIRE(all);
  CHECK(all->size() == 3);
  auto none = p.list("staging-*");
  REQUIRE(none);
  CHECK(none->empty());
  auto db = p.get("prod-db-1");
  REQUIRE(db);
  CHECK(db->cpus == 4);
  auto missing = p.get("prod-db-9");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().cls == ErrorClass::not_found);
  CHECK(missing.error().message.find("no VM 'prod-db-9' in provider 'lab'") != std::string::npos);
  // A shut-off domain's snapshot is the disks themselves; removing it is a no-op.
  auto snap = p.snapshot_create("prod-web-2");
  REQUIRE(snap);
  CHECK(snap->starts_with("cold-"));
  auto disks = p.disks("prod-web-2", *snap);
  REQUIRE(disks);
  CHECK(disks->size() == 2);
  CHECK(p.snapshot_remove("prod-web-2", *snap).ok());
  fs::remove_all(dir);
}

TEST_CASE("libvirt provider: an unreachable daemon is diagnosed, not a crash or a hang") {
  LibvirtProvider p("gone", "qemu+unix:///session?socket=/nonexistent/hypersdk/libvirt-sock");
  auto r = p.test();
  CHECK_FALSE(r.ok);
  CHECK(r.cls == ErrorClass::network);
  CHECK(r.diagnosis.find("no such socket") != std::string::npos);
  auto vms = p.list("");
  REQUIRE_FALSE(vms);
  CHECK(vms.error().cls == ErrorClass::network);
}

TEST_CASE("libvirt errors: classified with a diagnosis a person can act on") {
  auto auth = classify_libvirt_error(VIR_ERR_AUTH_FAILED, "authentication failed: bad password",
                                     "connecting to qemu+tcp://h/system");
  CHECK(auth.cls == ErrorClass::auth);
  CHECK(auth.message.find("username/password") != std::string::npos);
  auto perm = classify_libvirt_error(
      VIR_ERR_SYSTEM_ERROR,
      "Failed to connect socket to '/run/libvirt/libvirt-sock': Permission denied", "connecting");
  CHECK(perm.cls == ErrorClass::auth);
  CHECK(perm.message.find("missing permission") != std::string::npos);
  auto refused = classify_libvirt_error(
      VIR_ERR_SYSTEM_ERROR, "Failed to connect socket to '/x/sock': Connection refused", "c");
  CHECK(refused.cls == ErrorClass::network);
  CHECK(refused.message.find("connection refused") != std::string::npos);
  auto driver = classify_libvirt_error(VIR_ERR_NO_CONNECT,
                                       "no connection driver available for foo:///x", "connecting");
  CHECK(driver.cls == ErrorClass::invalid);
  CHECK(classify_libvirt_error(VIR_ERR_NO_DOMAIN, "Domain not found", "x").cls ==
        ErrorClass::not_found);
}

TEST_CASE("libvirt domain XML: a disk under an external snapshot shows its overlay and base") {
  const std::string xml = R"(<domain type='qemu' id='1'>
  <name>vm1</name>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/vms/d1.hsdk-1-0.qcow2' index='2'/>
      <backingStore type='file' index='1'>
        <format type='raw'/>
        <source file='/vms/d1.raw'/>
        <backingStore/>
      </backingStore>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type="block" device="cdrom">
      <source dev="/dev/sr0"/>
      <target dev="hdc"/>
    </disk>
    <disk type='file' device='disk'>
      <source file='/vms/it&apos;s.img'/>
      <target dev='vdb'/>
    </disk>
  </devices>
</domain>)";
  auto disks = parse_domain_disks(xml);
  REQUIRE(disks);
  REQUIRE(disks->size() == 3);
  const auto& d = (*disks)[0];
  CHECK(d.target == "vda");
  CHECK(d.device == "disk");
  CHECK(d.format == "qcow2");
  CHECK(d.source == "/vms/d1.hsdk-1-0.qcow2");
  CHECK(d.backing == "/vms/d1.raw");
  CHECK(d.backing_format == "raw");
  CHECK(libvirt_overlay_path(d.backing, "hsdk-1-0") == d.source);
  CHECK((*disks)[1].device == "cdrom");
  CHECK((*disks)[1].source == "/dev/sr0");
  CHECK((*disks)[2].source == "/vms/it's.img");
  CHECK((*disks)[2].backing.empty());
  CHECK_FALSE(parse_domain_disks("<network/>"));
}

TEST_CASE("libvirt provider config: uri required, unknown fields named, secrets resolved") {
  auto ok = build_providers(YAML::Load("kvm: {kind: libvirt, uri: 'test:///default', "
                                       "username: env:LV_USER}"),
                            {{"LV_USER", "admin"}});
  REQUIRE(ok);
  CHECK(ok->at("kvm")->kind() == "libvirt");
  auto no_uri = build_providers(YAML::Load("kvm: {kind: libvirt}"), {});
  REQUIRE_FALSE(no_uri);
  CHECK(no_uri.error().message.find("providers.kvm.uri") != std::string::npos);
  auto extra =
      build_providers(YAML::Load("kvm: {kind: libvirt, uri: 'test:///default', dirs: []}"), {});
  REQUIRE_FALSE(extra);
  CHECK(extra.error().message.find("unknown field 'dirs'") != std::string::npos);
  auto unset = build_providers(
      YAML::Load("kvm: {kind: libvirt, uri: 'test:///default', password: env:NOPE_NOT_SET}"), {});
  REQUIRE_FALSE(unset);
  CHECK(unset.error().message.find("providers.kvm.password") != std::string::npos);
}
