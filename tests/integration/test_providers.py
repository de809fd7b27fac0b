"""Providers and exports (issue 11) with the real binary and real tools: qemu-img (compare,
check), sha256sum -c, xmllint and tar on the OVA; a stalled source (a FIFO that stops) and a
cancelled export; full and incremental backups restored to the source's exact bytes."""
import hashlib
import json
import os
import select
import shutil
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest

from conftest import wait_for

MIB = 1024 * 1024


def vm_dir(root: Path, name: str, size=64 * MIB, manifest=None):
    d = root / name
    d.mkdir(parents=True)
    disk = d / "disk.raw"
    with open(disk, "wb") as f:
        f.write(os.urandom(size))
    if manifest:
        (d / "vm.yaml").write_text(manifest)
    return disk


def configure(h, vms: Path, extra=""):
    h.write_config(
        f"providers:\n  lab:\n    kind: local\n    dirs: [{vms}]\n"
        f"export:\n  dir: {h.tmp / 'exports'}\n" + extra)


def submit_json(h, request):
    req = h.tmp / f"req-{time.monotonic_ns()}.json"
    req.write_text(json.dumps(request))
    return h.submit("--file", str(req))


def wait_done(h, job, timeout=120):
    return wait_for(lambda: (lambda j: j if j["status"] in ("succeeded", "failed", "cancelled")
                             else None)(h.json("query", "--id", job)),
                    timeout=timeout, what=f"job {job} to finish")


def run_tool(*args, cwd=None):
    r = subprocess.run(args, capture_output=True, text=True, cwd=cwd)
    return r


def test_export_ova_passes_real_tools_and_a_flipped_byte_fails_verify(h):
    vms = h.tmp / "vms"
    src = vm_dir(vms, "web-1", manifest="cpus: 2\nmemory_mib: 2048\n")
    configure(h, vms)
    srv = h.serve()
    job = submit_json(h, {"type": "export", "payload": {"provider": "lab", "vm": "web-1",
                                                        "format": "ova"}})
    j = wait_done(h, job)
    assert j["status"] == "succeeded", j
    assert j["provider"] == "lab" and j["target"] == "web-1"  # filled from the payload
    r = j["result"]
    ova = Path(r["path"])
    assert ova.is_absolute() and ova.exists() and ova.parent.parent == h.tmp / "exports"
    assert r["format"] == r["output_format"] == "ova"
    assert r["size_bytes"] == r["output_size_bytes"] == ova.stat().st_size
    assert r["sha256"] == hashlib.sha256(ova.read_bytes()).hexdigest()
    # No temporary files left beside it.
    assert sorted(p.name for p in ova.parent.iterdir()) == [ova.name]

    # tar lists the .ovf first.
    names = run_tool("tar", "tf", str(ova)).stdout.split()
    assert names[0] == "web-1.ovf", names
    assert names[-1] == "web-1.mf" and any(n.endswith(".vmdk") for n in names)
    out = h.tmp / "unpacked"
    out.mkdir()
    assert run_tool("tar", "xf", str(ova), "-C", str(out)).returncode == 0
    # sha256sum -c of the manifest (OpenSSL-style lines, which sha256sum reads with --tag form).
    mf = (out / "web-1.mf").read_text()
    assert all(l.startswith("SHA256(") for l in mf.splitlines())
    tagged = out / "check.sha256"
    tagged.write_text(mf.replace("SHA256(", "SHA256 (").replace(")= ", ") = "))
    c = run_tool("sha256sum", "-c", str(tagged), cwd=out)
    assert c.returncode == 0 and c.stdout.count(": OK") == 2, c.stdout + c.stderr
    # xmllint accepts the OVF; it names the disk's capacity and the CPUs and memory.
    x = run_tool("xmllint", "--noout", str(out / "web-1.ovf"))
    assert x.returncode == 0, x.stderr
    ovf = (out / "web-1.ovf").read_text()
    assert f'ovf:capacity="{64 * MIB}"' in ovf
    assert "<rasd:VirtualQuantity>2</rasd:VirtualQuantity>" in ovf
    assert "<rasd:VirtualQuantity>2048</rasd:VirtualQuantity>" in ovf
    vmdk = next(out.glob("*.vmdk"))
    assert f'ovf:size="{vmdk.stat().st_size}"' in ovf
    # qemu-img compare: the disk in the OVA is the source, byte for byte.
    cmp = run_tool("qemu-img", "compare", "-f", "raw", "-F", "vmdk", str(src), str(vmdk))
    assert cmp.returncode == 0 and "identical" in cmp.stdout, cmp.stdout + cmp.stderr

    # verify passes on the intact package ...
    v = wait_done(h, submit_json(h, {"type": "verify", "payload": {"path": str(ova)}}))
    assert v["status"] == "succeeded", v
    assert v["result"]["verified"] is True and v["result"]["bytes_read"] == ova.stat().st_size
    # ... and fails clearly, without retrying, when one byte of the disk is flipped.
    data = bytearray(ova.read_bytes())
    at = len(data) // 2
    data[at] ^= 0xFF
    bad = h.tmp / "bad.ova"
    bad.write_bytes(bytes(data))
    v = wait_done(h, submit_json(h, {"type": "verify", "payload": {"path": str(bad)},
                                     "retry": {"max_retries": 0}}))
    assert v["status"] == "failed"
    assert v["error"]["class"] == "invalid"
    assert "SHA256 mismatch for web-1-j-" in v["error"]["message"], v["error"]
    assert "damaged" in v["error"]["message"]
    srv.stop()


def test_provider_list_and_test_diagnose_a_missing_directory(h):
    vms = h.tmp / "vms"
    vm_dir(vms, "prod-web-1", size=MIB)
    vm_dir(vms, "prod-web-2", size=MIB)
    vm_dir(vms, "prod-db-1", size=MIB)
    h.write_config(f"providers:\n  lab:\n    kind: local\n    dirs: [{vms}]\n"
                   f"  gone:\n    kind: local\n    dirs: [{h.tmp / 'nowhere'}]\n")
    ok = h.run("provider", "test", "lab")
    assert ok.returncode == 0 and "3 VMs" in ok.stdout, ok.stdout + ok.stderr
    bad = h.run("provider", "test", "gone")
    assert bad.returncode == 1
    assert "does not exist" in bad.stderr and "providers.gone.dirs" in bad.stderr, bad.stderr
    listed = h.json("provider", "list")
    by_name = {p["name"]: p for p in listed}
    assert by_name["lab"]["healthy"] is True and by_name["lab"]["vm_count"] == 3
    assert by_name["gone"]["healthy"] is False and by_name["gone"]["error_class"] == "not_found"
    unknown = h.run("provider", "test", "nope")
    assert unknown.returncode == 3 and "no provider 'nope'" in unknown.stderr
    # The same through the API.
    srv = h.serve()
    status, _, body = srv.api("GET", "/api/v1/providers")
    assert status == 200 and {p["name"] for p in body["providers"]} == {"lab", "gone"}
    status, _, body = srv.api("POST", "/api/v1/providers/gone/test")
    assert status == 200 and body["healthy"] is False and "does not exist" in body["diagnosis"]
    status, _, body = srv.api("GET", "/api/v1/providers/lab/vms?glob=prod-web-*")
    assert status == 200 and [v["name"] for v in body["vms"]] == ["prod-web-1", "prod-web-2"]
    status, _, body = srv.api("GET", "/api/v1/providers/nope/vms")
    assert status == 404
    srv.stop()


def test_bad_provider_config_is_rejected_naming_the_field(h):
    h.write_config("providers:\n  lab:\n    kind: vsphere9\n")
    r = h.run("config", "validate")
    assert r.returncode == 2 and "providers.lab" in r.stderr and "vsphere9" in r.stderr, r.stderr
    h.write_config("providers:\n  lab:\n    kind: local\n    dirs: [relative/dir]\n")
    r = h.run("config", "validate")
    assert r.returncode == 2 and "absolute" in r.stderr, r.stderr


def test_bad_export_payload_is_rejected_at_submit(h):
    r = h.run("submit", "--file", "/dev/stdin",
              input=json.dumps({"type": "export", "payload": {"format": "zip"}}))
    assert r.returncode == 2 and "payload.format" in r.stderr and "zip" in r.stderr, r.stderr


def test_stalled_export_times_out_and_retries_and_cancel_leaves_no_partial_file(h):
    vms = h.tmp / "vms"
    d = vms / "slow"
    d.mkdir(parents=True)
    fifo = d / "disk.raw"
    os.mkfifo(fifo)
    configure(h, vms, "jobs:\n  stall_timeout: 5s\n")
    srv = h.serve()
    stop = threading.Event()

    def feeder():
        # The first reader gets 3 MiB, then nothing while it stays connected (a stalled
        # source). Later readers get a slow, steady trickle, so they never stall.
        first = True
        while not stop.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.02)
                continue
            try:
                os.set_blocking(fd, True)
                if first:
                    first = False
                    for _ in range(3):
                        os.write(fd, b"\x5a" * MIB)
                    p = select.poll()
                    p.register(fd, select.POLLERR)  # the reader went away
                    while not stop.is_set() and not p.poll(100):
                        pass
                else:
                    while not stop.is_set():
                        os.write(fd, b"\x5b" * 65536)
                        time.sleep(0.1)
            except OSError:
                pass  # the reader went away (EPIPE)
            finally:
                os.close(fd)

    t = threading.Thread(target=feeder, daemon=True)
    t.start()
    job = submit_json(h, {"type": "export", "payload": {"provider": "lab", "vm": "slow",
                                                        "format": "raw"},
                          "retry": {"max_retries": 1, "backoff": "fixed", "base": "1s"}})
    # Progress shows while it runs.
    j = wait_for(lambda: (lambda q: q if q.get("progress", {}).get("done_bytes", 0) >= 3 * MIB
                          else None)(h.json("query", "--id", job)), timeout=30,
                 what="progress of 3 MiB")
    assert j["status"] == "running"
    q = h.run("query", "--id", job).stdout
    assert "progress:" in q and "MiB" in q and "B/s" in q, q
    # The API streams it too: a "progress" event on the job's log stream.
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("GET", f"/api/v1/jobs/{job}/logs?follow=1")
    resp = conn.getresponse()
    assert resp.status == 200
    event = None
    while True:
        line = resp.readline().decode()
        assert line, "the stream ended without a progress event"
        if line.startswith("event: progress"):
            event = json.loads(resp.readline().decode().removeprefix("data: "))
            break
    conn.close()
    assert event["done_bytes"] >= 3 * MIB and "rate_bytes_per_second" in event
    # No more bytes: after stall_timeout it fails as a timeout and is retried.
    j = wait_for(lambda: (lambda q: q if q["errors"] else None)(h.json("query", "--id", job)),
                 timeout=30, what="the stall to fail the attempt")
    assert j["errors"][0]["class"] == "timeout"
    assert "stalled: no progress for 5s" in j["errors"][0]["message"]
    # The retry gets bytes again; cancel it while it copies: no file is left.
    wait_for(lambda: h.json("query", "--id", job)["attempt"] == 2 and
             h.json("query", "--id", job)["status"] == "running", timeout=30,
             what="the second attempt")
    # logs --follow on a terminal draws a progress bar while the bytes come in.
    import pty
    from conftest import BIN
    master, slave = pty.openpty()
    follower = subprocess.Popen([BIN, "--config", str(h.config), "--db", str(h.db), "logs",
                                 "--id", job, "--follow"], stdin=slave, stdout=slave,
                                stderr=slave, env=h.env)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and b"iB/s" not in seen:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    follower.terminate()
    follower.wait(timeout=10)
    os.close(master)
    assert b"[#" in seen or b"[ " in seen, seen[-500:]
    assert b"iB/s" in seen and b"\r" in seen, seen[-500:]
    out_dir = h.tmp / "exports" / "slow"
    wait_for(lambda: out_dir.exists() and any(out_dir.iterdir()), what="the temp output")
    assert all(p.name.startswith(".") for p in out_dir.iterdir())  # only the hidden temp
    assert h.run("cancel", "--id", job).returncode == 0
    j = wait_done(h, job)
    assert j["status"] == "cancelled"
    assert list(out_dir.iterdir()) == []
    stop.set()
    srv.stop()


def test_full_then_incremental_backup_restores_the_exact_current_bytes(h):
    vms = h.tmp / "vms"
    src = vm_dir(vms, "db-1", size=64 * MIB)
    configure(h, vms)
    srv = h.serve()
    full = wait_done(h, submit_json(h, {"type": "backup", "payload": {
        "provider": "lab", "vm": "db-1", "type": "full"}}))
    assert full["status"] == "succeeded", full
    # Change 1 MiB in the middle.
    with open(src, "r+b") as f:
        f.seek(20 * MIB)
        f.write(os.urandom(MIB))
    inc = wait_done(h, submit_json(h, {"type": "backup", "payload": {
        "provider": "lab", "vm": "db-1", "type": "incremental"}}))
    assert inc["status"] == "succeeded", inc
    fr, ir = full["result"], inc["result"]
    assert ir["type"] == "incremental" and ir["parent_id"] == fr["backup_id"]
    assert ir["changed_bytes"] == MIB
    # Far smaller than the full: the changed clusters and metadata only.
    assert ir["size_bytes"] < fr["size_bytes"] / 10, (ir["size_bytes"], fr["size_bytes"])
    info = json.loads(run_tool("qemu-img", "info", "--output=json", ir["path"]).stdout)
    assert info["backing-filename"] == Path(fr["path"]).name

    listed = h.json("backup", "list", "--vm", "db-1")
    assert [b["id"] for b in listed] == [ir["backup_id"], fr["backup_id"]]
    assert all(b["verified_at"] for b in listed)
    shown = h.json("backup", "show", "--id", str(ir["backup_id"]))
    assert shown["chain"] == [fr["backup_id"], ir["backup_id"]]

    out = h.tmp / "restored.raw"
    r = h.run("restore", "--backup", str(ir["backup_id"]), "--to", str(out), "--wait")
    assert r.returncode == 0, r.stdout + r.stderr
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(src.read_bytes()).digest()
    cmp = run_tool("qemu-img", "compare", "-f", "raw", "-F", "raw", str(src), str(out))
    assert cmp.returncode == 0, cmp.stdout
    # Restoring the full alone gives the old bytes (the change is only in the incremental).
    old = h.tmp / "old.raw"
    assert h.run("restore", "--backup", str(fr["backup_id"]), "--to", str(old),
                 "--wait").returncode == 0
    assert old.read_bytes() != src.read_bytes()
    srv.stop()


def test_restore_onto_a_vm_rewrites_its_disk_atomically_keeping_owner_and_mode(h):
    vms = h.tmp / "vms"
    src = vm_dir(vms, "app-1", size=4 * MIB)
    os.chmod(src, 0o640)
    os.chown(src, 65534, 65534)
    configure(h, vms)
    srv = h.serve()
    full = wait_done(h, submit_json(h, {"type": "backup", "payload": {
        "provider": "lab", "vm": "app-1", "type": "full"}}))
    assert full["status"] == "succeeded", full
    backed_up = src.read_bytes()
    with open(src, "r+b") as f:  # the disk goes bad after the backup
        f.write(b"\0" * MIB)
    inode = src.stat().st_ino
    r = h.run("restore", "--backup", str(full["result"]["backup_id"]), "--vm", "app-1", "--wait")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "onto VM app-1" in r.stdout
    assert src.read_bytes() == backed_up
    st = src.stat()
    # A new file renamed over the old one (atomic), with the old one's owner and mode.
    assert st.st_ino != inode and (st.st_mode & 0o777) == 0o640
    assert (st.st_uid, st.st_gid) == (65534, 65534)
    assert sorted(p.name for p in src.parent.iterdir()) == ["disk.raw"]  # no temp left
    # --to and --vm together, or neither, is bad usage; an unknown VM is not found.
    both = h.run("restore", "--backup", "1", "--vm", "app-1", "--to", str(h.tmp / "x.raw"))
    assert both.returncode == 2 and "--to" in both.stderr and "--vm" in both.stderr, both.stderr
    neither = h.run("restore", "--backup", "1")
    assert neither.returncode == 2 and "--to PATH" in neither.stderr, neither.stderr
    missing = h.run("restore", "--backup", str(full["result"]["backup_id"]), "--vm", "app-9",
                    "--wait")
    assert missing.returncode == 1 and "no VM 'app-9'" in missing.stderr, missing.stderr
    srv.stop()


def test_retention_keeps_what_a_live_chain_needs(h):
    vms = h.tmp / "vms"
    src = vm_dir(vms, "app", size=4 * MIB)
    configure(h, vms)
    srv = h.serve()
    ids = []
    for kind in ("full", "incremental", "full", "incremental"):
        with open(src, "r+b") as f:
            f.write(os.urandom(64 * 1024))
        j = wait_done(h, submit_json(h, {"type": "backup", "payload": {
            "provider": "lab", "vm": "app", "type": kind, "keep_last": 1}}))
        assert j["status"] == "succeeded", j
        ids.append(j["result"]["backup_id"])
    live = [b["id"] for b in h.json("backup", "list", "--vm", "app")]
    # keep_last 1 keeps the newest, and the full it is built on; the first chain went.
    assert live == [ids[3], ids[2]]
    for b in (ids[0], ids[1]):
        assert not Path(h.json("backup", "show", "--id", str(b))["path"]).exists()
    srv.stop()


def test_provider_test_names_a_missing_permission(h, tmp_path_factory):
    """Run as an unprivileged user (root can read anything): a directory it cannot enter."""
    import tempfile
    base = Path(tempfile.mkdtemp(prefix="hsdk-perm-"))
    try:
        base.chmod(0o755)
        locked = base / "vms"
        locked.mkdir(mode=0o700)
        cfg = base / "config.yaml"
        cfg.write_text(f"providers:\n  lab:\n    kind: local\n    dirs: [{locked}]\n")
        cfg.chmod(0o644)
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        if os.geteuid() != 0:
            nobody = []  # already unprivileged; the directory is still ours, so lock it hard
            locked.chmod(0)
        from conftest import BIN
        r = subprocess.run(nobody + [BIN, "--config", str(cfg),
                                     "provider", "test", "lab"],
                           capture_output=True, text=True, env={"HOME": str(base),
                                                                "PATH": os.environ["PATH"]})
        assert r.returncode == 1, r.stdout + r.stderr
        assert "missing permission" in r.stderr and str(locked) in r.stderr, r.stderr
    finally:
        (base / "vms").chmod(0o700)
        shutil.rmtree(base)


def _workflow_done(h, wid):
    return wait_for(lambda: (lambda w: w if w["status"] in ("succeeded", "failed", "cancelled")
                             else None)(h.json("workflow", "show", "--id", wid)),
                    timeout=120, interval=0.2, what=f"workflow {wid}")


def _snapshot_chain(name):
    """snapshot -> export of that snapshot -> remove the snapshot whatever the export did."""
    return {"name": name, "steps": [
        {"name": "snap", "type": "snapshot",
         "payload": {"provider": "lab", "vm": "web-1", "action": "create"}},
        {"name": "export", "type": "export", "depends_on": ["snap"],
         "payload": {"format": "ova"}, "retry": {"max_retries": 0}},
        {"name": "verify", "type": "verify", "depends_on": ["export"]},
        # Depends on snap too: inputs reach a step only through upstreams that ran, and when
        # the export fails, verify never runs.
        {"name": "cleanup", "type": "snapshot", "depends_on": ["snap", "verify"],
         "trigger_rule": "all_done", "payload": {"action": "remove"}},
    ]}


def test_snapshot_export_verify_cleanup_chain_follows_the_step_contract(h):
    vms = h.tmp / "vms"
    src = vm_dir(vms, "web-1", size=8 * MIB)
    configure(h, vms)
    srv = h.serve()
    wf = h.tmp / "wf.json"
    wf.write_text(json.dumps(_snapshot_chain("chain-ok")))
    wid = h.run("workflow", "submit", "--file", str(wf), check=True).stdout.strip()
    w = _workflow_done(h, wid)
    assert w["status"] == "succeeded", w
    results = {s["name"]: h.json("query", "--id", s["job_id"]) for s in w["steps"]}
    snap = results["snap"]["result"]["snapshot"]
    exp = results["export"]["result"]
    # The export read the snapshot (its point-in-time copy), not the live disk.
    assert exp["snapshot"] == snap and exp["vm"] == "web-1" and exp["provider"] == "lab"
    assert results["verify"]["result"]["path"] == exp["path"]
    assert results["cleanup"]["result"] == {"provider": "lab", "vm": "web-1", "snapshot": snap,
                                            "removed": True}
    assert not (vms / "web-1" / ".snapshots" / snap).exists()
    srv.stop()


def test_the_snapshot_is_removed_even_when_the_export_fails(h):
    vms = h.tmp / "vms"
    vm_dir(vms, "web-1", size=MIB)
    blocker = h.tmp / "not-a-dir"
    blocker.write_text("x")
    # export.dir below a regular file: the export cannot create its output and fails.
    h.write_config(f"providers:\n  lab:\n    kind: local\n    dirs: [{vms}]\n"
                   f"export:\n  dir: {blocker / 'exports'}\n")
    srv = h.serve()
    wf = h.tmp / "wf.json"
    wf.write_text(json.dumps(_snapshot_chain("chain-fail")))
    wid = h.run("workflow", "submit", "--file", str(wf), check=True).stdout.strip()
    w = _workflow_done(h, wid)
    st = {s["name"]: s["state"] for s in w["steps"]}
    assert st["export"] == "failed" and st["cleanup"] == "succeeded", st
    snaps = vms / "web-1" / ".snapshots"
    assert not snaps.exists() or list(snaps.iterdir()) == []
    srv.stop()


def test_export_formats_and_convert_give_the_source_bytes(h):
    vms = h.tmp / "vms"
    src = vm_dir(vms, "app-1", size=8 * MIB)
    configure(h, vms)
    srv = h.serve()
    fmts = {"qcow2": "qcow2", "vmdk": "vmdk", "raw": "raw"}
    for fmt, qfmt in fmts.items():
        j = wait_done(h, submit_json(h, {"type": "export", "payload": {
            "provider": "lab", "vm": "app-1", "format": fmt}}))
        assert j["status"] == "succeeded", j
        r = j["result"]
        assert r["format"] == fmt and Path(r["path"]).suffix == "." + fmt
        assert r["sha256"] == hashlib.sha256(Path(r["path"]).read_bytes()).hexdigest()
        info = json.loads(run_tool("qemu-img", "info", "--output=json", r["path"]).stdout)
        assert info["format"] == qfmt
        cmp = run_tool("qemu-img", "compare", "-f", "raw", "-F", qfmt, str(src), r["path"])
        assert cmp.returncode == 0, (fmt, cmp.stdout, cmp.stderr)
        if fmt == "qcow2":
            qcow2 = r["path"]
    # OVF: a directory with the descriptor, the disk and the manifest; verify reads it.
    j = wait_done(h, submit_json(h, {"type": "export", "payload": {
        "provider": "lab", "vm": "app-1", "format": "ovf"}}))
    assert j["status"] == "succeeded", j
    ovf = Path(j["result"]["path"])
    assert ovf.suffix == ".ovf" and run_tool("xmllint", "--noout", str(ovf)).returncode == 0
    mf = (ovf.parent / "app-1.mf").read_text()
    tagged = h.tmp / "ovf.sha256"
    tagged.write_text(mf.replace("SHA256(", "SHA256 (").replace(")= ", ") = "))
    assert run_tool("sha256sum", "-c", str(tagged), cwd=ovf.parent).returncode == 0
    v = wait_done(h, submit_json(h, {"type": "verify", "payload": {"path": str(ovf)}}))
    assert v["status"] == "succeeded", v
    # convert: the qcow2 export as a raw file beside it, same bytes as the source.
    c = wait_done(h, submit_json(h, {"type": "convert", "payload": {"path": qcow2,
                                                                     "format": "raw"}}))
    assert c["status"] == "succeeded", c
    assert Path(c["result"]["path"]).read_bytes() == src.read_bytes()
    # A checksum that does not match fails verify clearly.
    v = wait_done(h, submit_json(h, {"type": "verify", "payload": {
        "path": c["result"]["path"], "sha256": "0" * 64}, "retry": {"max_retries": 0}}))
    assert v["status"] == "failed" and "SHA256 mismatch" in v["error"]["message"]
    srv.stop()


def test_sighup_reloads_the_providers(h):
    import signal
    vms = h.tmp / "vms"
    vm_dir(vms, "a", size=MIB)
    configure(h, vms)
    srv = h.serve()
    status, _, body = srv.api("GET", "/api/v1/providers")
    assert [p["name"] for p in body["providers"]] == ["lab"]
    h.write_config(f"providers:\n  lab:\n    kind: local\n    dirs: [{vms}]\n"
                   f"  more:\n    kind: local\n    dirs: [{vms}]\n")
    srv.signal(signal.SIGHUP)
    wait_for(lambda: [p["name"] for p in srv.api("GET", "/api/v1/providers")[2]["providers"]]
             == ["lab", "more"], what="the reloaded providers")
    # A broken providers section is refused as a whole; the running ones stay.
    h.write_config("providers:\n  lab:\n    kind: nope\n")
    srv.signal(signal.SIGHUP)
    from ops_support import metric
    wait_for(lambda: metric(srv, "hypersdk_config_last_reload_successful") == 0,
             what="the reload to be refused")
    assert [p["name"] for p in srv.api("GET", "/api/v1/providers")[2]["providers"]] == \
        ["lab", "more"]
    srv.stop()
