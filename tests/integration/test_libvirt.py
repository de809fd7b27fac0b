"""The libvirt provider (issue 11) with the real binary: `provider list/test/vms` against
libvirt's test driver (in-process, test:///default and a node file with several domains),
diagnoses of an unreachable daemon; then, under a session libvirtd that the test starts
(libvirt_support.py; QEMU with TCG), a disk-only external snapshot of a running domain, the
export of its point-in-time state, the snapshot merged back (blockcommit + pivot) also when
the export fails, and incremental backups of the running domain."""
import json
import socket
import time

from conftest import wait_for

MIB = 1024 * 1024

NODE = """<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
<cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads>
<active>2</active><mhz>2000</mhz></cpu><memory>8388608</memory>
{domains}</node>"""


def domain(name, vcpus, mib, disk, running=True):
    return (f"<domain type='test'><name>{name}</name><memory unit='MiB'>{mib}</memory>"
            f"<vcpu>{vcpus}</vcpu><os><type>hvm</type></os>"
            + ("" if running else "<test:runstate>5</test:runstate>") +
            f"<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
            f"<source file='{disk}'/><target dev='vda'/></disk></devices></domain>")


def test_provider_list_test_and_vms_against_the_test_driver(h):
    node = h.tmp / "node.xml"
    node.write_text(NODE.format(domains=domain("prod-web-1", 2, 2048, "/vms/w1.qcow2") +
                                domain("prod-web-2", 1, 1024, "/vms/w2.qcow2", running=False) +
                                domain("prod-db-1", 4, 4096, "/vms/d1.qcow2")))
    # A socket that exists but where nobody accepts: connection refused.
    refusing = h.tmp / "refusing.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(refusing))
    h.write_config("providers:\n"
                   "  kvm:\n    kind: libvirt\n    uri: 'test:///default'\n"
                   f"  lab:\n    kind: libvirt\n    uri: 'test://{node}'\n"
                   f"  gone:\n    kind: libvirt\n"
                   f"    uri: 'qemu+unix:///session?socket={h.tmp}/nowhere/libvirt-sock'\n"
                   f"  refused:\n    kind: libvirt\n"
                   f"    uri: 'qemu+unix:///session?socket={refusing}'\n")
    ok = h.run("provider", "test", "lab")
    assert ok.returncode == 0 and "3 VMs (2 running)" in ok.stdout, ok.stdout + ok.stderr
    listed = {p["name"]: p for p in h.json("provider", "list")}
    assert listed["kvm"]["kind"] == "libvirt" and listed["kvm"]["healthy"] is True
    assert listed["kvm"]["vm_count"] == 1
    assert listed["lab"]["vm_count"] == 3
    assert listed["gone"]["healthy"] is False and listed["gone"]["error_class"] == "network"
    assert listed["refused"]["healthy"] is False
    gone = h.run("provider", "test", "gone")
    assert gone.returncode == 1
    assert "no such socket" in gone.stderr and "start libvirtd" in gone.stderr, gone.stderr
    refused = h.run("provider", "test", "refused")
    assert refused.returncode == 1 and "connection refused" in refused.stderr, refused.stderr
    vms = h.json("provider", "vms", "lab", "--glob", "prod-web-*")
    assert [(v["name"], v["state"], v["cpus"], v["memory_mib"]) for v in vms] == [
        ("prod-web-1", "running", 2, 2048), ("prod-web-2", "stopped", 1, 1024)]
    assert vms[0]["disks"][0]["path"] == "/vms/w1.qcow2"
    assert vms[0]["disks"][0]["format"] == "qcow2"
    # The same through the API of a running server.
    srv = h.serve()
    status, _, body = srv.api("GET", "/api/v1/providers/lab/vms?glob=prod-*-1")
    assert status == 200 and [v["name"] for v in body["vms"]] == ["prod-db-1", "prod-web-1"]
    status, _, body = srv.api("POST", "/api/v1/providers/gone/test")
    assert status == 200 and body["healthy"] is False and "no such socket" in body["diagnosis"]
    srv.stop()
    s.close()


def test_a_bad_libvirt_provider_config_is_refused_naming_the_field(h):
    h.write_config("providers:\n  kvm:\n    kind: libvirt\n    dirs: [/srv]\n")
    r = h.run("config", "validate")
    assert r.returncode == 2
    assert "unknown field 'dirs' for kind libvirt" in r.stderr, r.stderr
    assert "providers.kvm" in r.stderr and "uri" in r.stderr, r.stderr
