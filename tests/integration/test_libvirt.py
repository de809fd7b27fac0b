"""The libvirt provider (issue 11) with the real binary: `provider list/test/vms` against
libvirt's test driver (in-process, test:///default and a node file with several domains),
diagnoses of an unreachable daemon; then, under a session libvirtd that the test starts
(libvirt_support.py; QEMU with TCG), a disk-only external snapshot of a running domain, the
export of its point-in-time state, the snapshot merged back (blockcommit + pivot) also when
the export fails, and incremental backups of the running domain."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import BIN, wait_for
from libvirt_support import SessionLibvirtd

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


def test_provider_test_names_a_missing_permission_on_the_socket(h):
    """A daemon socket this user may not open: the diagnosis says permission, not 'down'."""
    base = Path(tempfile.mkdtemp(prefix="hypersdk-lvperm-"))
    try:
        os.chmod(base, 0o755)
        sock_path = base / "libvirt-sock"
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(sock_path))
        s.listen(1)
        config = base / "config.yaml"
        config.write_text(f"providers:\n  kvm:\n    kind: libvirt\n"
                          f"    uri: 'qemu+unix:///session?socket={sock_path}'\n")
        os.chmod(config, 0o644)
        prefix = []
        if os.geteuid() == 0:
            # root passes every permission check: ask as an unprivileged user instead.
            os.chmod(sock_path, 0o600)
            prefix = ["setpriv", "--reuid=54321", "--regid=54321", "--clear-groups", "--"]
        else:
            os.chmod(sock_path, 0)
        r = subprocess.run(prefix + [BIN, "--config", str(config), "provider", "test",
                                     "kvm"], capture_output=True, text=True, timeout=60,
                           env={"PATH": os.environ["PATH"], "HOME": str(base)})
        assert r.returncode == 1, r.stdout + r.stderr
        assert "Permission denied" in r.stderr and "missing permission" in r.stderr, r.stderr
        s.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_bad_libvirt_provider_config_is_refused_naming_the_field(h):
    h.write_config("providers:\n  kvm:\n    kind: libvirt\n    dirs: [/srv]\n")
    r = h.run("config", "validate")
    assert r.returncode == 2
    assert "unknown field 'dirs' for kind libvirt" in r.stderr, r.stderr
    assert "providers.kvm" in r.stderr and "uri" in r.stderr, r.stderr


# --- under a session libvirtd with QEMU (libvirt_support.py) --------------------------------

@pytest.fixture(scope="module")
def libvirtd():
    d = SessionLibvirtd()
    yield d
    d.stop()


def qemu_write(d, vm, pattern, offset, length):
    """Writes into the running domain's disk as its guest would (QEMU's qemu-io on the
    device's block backend): the write lands on whatever image is the disk's top now."""
    r = d.virsh("qemu-monitor-command", vm, "--hmp",
                f'qemu-io -d /machine/peripheral/virtio-disk0/virtio-backend '
                f'"write -P {pattern} {offset} {length}"')
    assert r.stdout.strip() == "", r.stdout


def image_bytes(path, fmt, out):
    subprocess.run(["qemu-img", "convert", "-U", "-q", "-f", fmt, "-O", "raw", str(path),
                    str(out)], check=True)
    return out.read_bytes()


def submit_json(h, request):
    req = h.tmp / f"req-{time.monotonic_ns()}.json"
    req.write_text(json.dumps(request))
    return h.submit("--file", str(req))


def wait_done(h, job, timeout=60):
    return wait_for(lambda: (lambda j: j if j["status"] in ("succeeded", "failed", "cancelled")
                             else None)(h.json("query", "--id", job)),
                    timeout=timeout, what=f"job {job} to finish")


def workflow_done(h, wid):
    return wait_for(lambda: (lambda w: w if w["status"] in ("succeeded", "failed", "cancelled")
                             else None)(h.json("workflow", "show", "--id", wid)),
                    timeout=90, interval=0.2, what=f"workflow {wid}")


def configure(h, d, export_dir=None):
    h.write_config(f"providers:\n  kvm:\n    kind: libvirt\n    uri: '{d.uri}'\n"
                   f"export:\n  dir: {export_dir or h.tmp / 'exports'}\n")


def test_snapshot_of_a_running_domain_exports_its_point_in_time_and_merges_back(h, libvirtd):
    d = libvirtd
    data = os.urandom(4 * MIB)
    disk = d.disk("web-1", data)
    d.start_domain("web-1", disk)
    configure(h, d)
    srv = h.serve()
    # Without a snapshot, a running domain's disk is not read (the guest writes to it).
    live = wait_done(h, submit_json(h, {"type": "export", "retry": {"max_retries": 0},
                                        "payload": {"provider": "kvm", "vm": "web-1",
                                                    "format": "raw"}}))
    assert live["status"] == "failed" and live["error"]["class"] == "conflict", live
    assert "is running: read a snapshot of it" in live["error"]["message"]
    snap_job = wait_done(h, submit_json(h, {"type": "snapshot", "payload": {
        "provider": "kvm", "vm": "web-1", "action": "create"}}))
    assert snap_job["status"] == "succeeded", snap_job
    snap = snap_job["result"]["snapshot"]
    overlay = disk.parent / f"web-1.{snap}.qcow2"
    assert d.disk_source("web-1") == str(overlay)
    # The guest goes on writing: into the overlay, not into the image the export reads.
    qemu_write(d, "web-1", "0xab", 0, 64 * 1024)
    exp = wait_done(h, submit_json(h, {"type": "export", "payload": {
        "provider": "kvm", "vm": "web-1", "format": "raw", "snapshot": snap}}))
    assert exp["status"] == "succeeded", exp
    assert exp["provider"] == "kvm" and exp["target"] == "web-1"
    assert Path(exp["result"]["path"]).read_bytes() == data  # the point-in-time state
    assert d.virsh("domstate", "web-1").stdout.strip() == "running"
    rm = wait_done(h, submit_json(h, {"type": "snapshot", "payload": {
        "provider": "kvm", "vm": "web-1", "action": "remove", "snapshot": snap}}))
    assert rm["status"] == "succeeded", rm
    # Merged back while running: the domain reads its own image again, the overlay is gone,
    # and the write made under the snapshot is in the image.
    assert d.virsh("domstate", "web-1").stdout.strip() == "running"
    assert d.disk_source("web-1") == str(disk)
    assert not overlay.exists()
    # Removing it again is not an error (already gone).
    again = wait_done(h, submit_json(h, {"type": "snapshot", "payload": {
        "provider": "kvm", "vm": "web-1", "action": "remove", "snapshot": snap}}))
    assert again["status"] == "succeeded", again["error"]
    d.virsh("destroy", "web-1")
    now = image_bytes(disk, "qcow2", h.tmp / "after.raw")
    assert now[:64 * 1024] == b"\xab" * (64 * 1024) and now[64 * 1024:] == data[64 * 1024:]
    srv.stop()


def chain(name, vm, export):
    return {"name": name, "steps": [
        {"name": "snap", "type": "snapshot",
         "payload": {"provider": "kvm", "vm": vm, "action": "create"}},
        {"name": "export", "type": export["type"], "depends_on": ["snap"],
         "payload": export["payload"], "retry": {"max_retries": 0}},
        {"name": "cleanup", "type": "snapshot", "depends_on": ["snap", "export"],
         "trigger_rule": "all_done", "payload": {"action": "remove"}},
    ]}


def test_the_snapshot_is_merged_back_even_when_the_export_fails(h, libvirtd):
    d = libvirtd
    disk = d.disk("web-2", os.urandom(MIB))
    d.start_domain("web-2", disk)
    blocker = h.tmp / "not-a-dir"
    blocker.write_text("x")
    # export.dir below a regular file: the export cannot create its output and fails.
    configure(h, d, export_dir=blocker / "exports")
    srv = h.serve()
    wf = h.tmp / "wf.json"
    wf.write_text(json.dumps(chain("lv-fail", "web-2",
                                   {"type": "export", "payload": {"format": "ova"}})))
    wid = h.run("workflow", "submit", "--file", str(wf), check=True).stdout.strip()
    w = workflow_done(h, wid)
    st = {s["name"]: s["state"] for s in w["steps"]}
    assert st["export"] == "failed" and st["cleanup"] == "succeeded", st
    assert d.disk_source("web-2") == str(disk)
    assert not list(disk.parent.glob("web-2.hsdk-*"))
    assert d.virsh("domstate", "web-2").stdout.strip() == "running"
    srv.stop()
    d.virsh("destroy", "web-2")


def test_incremental_backups_of_a_running_domain_restore_its_exact_bytes(h, libvirtd):
    d = libvirtd
    data = bytearray(os.urandom(16 * MIB))
    disk = d.disk("db-1", bytes(data))
    d.start_domain("db-1", disk)
    configure(h, d)
    srv = h.serve()

    def backup(kind):
        wf = h.tmp / f"wf-{kind}.json"
        wf.write_text(json.dumps(chain(f"lv-{kind}", "db-1", {"type": "backup",
                                                              "payload": {"type": kind}})))
        wid = h.run("workflow", "submit", "--file", str(wf), check=True).stdout.strip()
        w = workflow_done(h, wid)
        assert w["status"] == "succeeded", [(s["name"], h.json("query", "--id", s["job_id"]).get("error")) for s in w["steps"] if s.get("job_id")]
        steps = {s["name"]: s for s in w["steps"]}
        return h.json("query", "--id", steps["export"]["job_id"])["result"]

    full = backup("full")
    assert full["type"] == "full"
    # The guest changes 1 MiB; the next backup holds about that much.
    qemu_write(d, "db-1", "0x5a", 3 * MIB, MIB)
    data[3 * MIB:4 * MIB] = b"\x5a" * MIB
    incr = backup("incremental")
    assert incr["type"] == "incremental" and incr["parent_id"] == full["backup_id"]
    assert incr["changed_bytes"] == MIB
    assert incr["size_bytes"] < full["size_bytes"] / 4, (incr, full)
    assert d.disk_source("db-1") == str(disk)  # every snapshot merged back
    out = h.tmp / "restored.raw"
    r = h.run("restore", "--backup", str(incr["backup_id"]), "--to", str(out), "--wait")
    assert r.returncode == 0, r.stdout + r.stderr
    assert out.read_bytes() == bytes(data)
    srv.stop()
    d.virsh("destroy", "db-1")


def test_restore_onto_a_shut_off_domain_and_refused_while_it_runs(h, libvirtd):
    d = libvirtd
    data = os.urandom(4 * MIB)
    disk = d.disk("app-1", data)
    d.define_domain("app-1", disk)
    configure(h, d)
    srv = h.serve()
    full = wait_done(h, submit_json(h, {"type": "backup", "payload": {
        "provider": "kvm", "vm": "app-1", "type": "full"}}))
    assert full["status"] == "succeeded", full
    # The disk is replaced by something else while the domain is off ...
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), str(4 * MIB)],
                   check=True)
    d.chown(disk)
    backup_id = str(full["result"]["backup_id"])
    r = h.run("restore", "--backup", backup_id, "--vm", "app-1", "--wait")
    assert r.returncode == 0, r.stdout + r.stderr
    # ... and restored: the domain's own qcow2 holds the backed-up bytes, and QEMU (the
    # daemon's user) can open it again.
    assert image_bytes(disk, "qcow2", h.tmp / "now.raw") == data
    d.virsh("start", "app-1")
    assert d.virsh("domstate", "app-1").stdout.strip() == "running"
    running = h.run("restore", "--backup", backup_id, "--vm", "app-1", "--wait")
    assert running.returncode == 1
    assert "is running: shut it down" in running.stderr, running.stderr
    srv.stop()
    d.virsh("destroy", "app-1")
    d.virsh("undefine", "app-1")


def test_backups_of_a_running_domain_use_libvirts_backup_api_with_checkpoints(h, libvirtd):
    d = libvirtd
    data = bytearray(os.urandom(16 * MIB))
    disk = d.disk("db-2", bytes(data))
    d.start_domain("db-2", disk)
    configure(h, d)
    srv = h.serve()

    def backup(kind):
        j = wait_done(h, submit_json(h, {"type": "backup", "payload": {
            "provider": "kvm", "vm": "db-2", "type": kind}}))
        assert j["status"] == "succeeded", j.get("error")
        return j["result"]

    full = backup("full")
    assert full["type"] == "full" and full["method"] == "hypervisor"
    assert full["changed_bytes"] == 16 * MIB
    qemu_write(d, "db-2", "0x77", 5 * MIB, MIB)
    data[5 * MIB:6 * MIB] = b"\x77" * MIB
    incr = backup("incremental")
    # Only what the guest wrote since the full's checkpoint, chained onto the full by name.
    assert incr["type"] == "incremental" and incr["method"] == "hypervisor"
    assert incr["parent_id"] == full["backup_id"]
    assert incr["changed_bytes"] == MIB
    assert incr["size_bytes"] < full["size_bytes"] / 4, (incr, full)
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", incr["path"]],
                                     capture_output=True, text=True, check=True).stdout)
    assert info["backing-filename"] == Path(full["path"]).name
    # Only the newest checkpoint is kept in the domain.
    cps = d.virsh("checkpoint-list", "db-2", "--name").stdout.split()
    assert len(cps) == 1 and cps[0].startswith("hsdk-"), cps
    assert not list(disk.parent.glob(".db-2.*backup*"))  # nothing left beside the disk
    out = h.tmp / "restored.raw"
    r = h.run("restore", "--backup", str(incr["backup_id"]), "--to", str(out), "--wait")
    assert r.returncode == 0, r.stdout + r.stderr
    assert out.read_bytes() == bytes(data)
    srv.stop()
    d.virsh("destroy", "db-2")
