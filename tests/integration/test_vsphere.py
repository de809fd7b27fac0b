"""The vsphere provider (issue 13) through the real binary against VMware's vCenter simulator
(tests/vcsim): provider list/test with each TLS mode and each failure named (login, port,
certificate), inventory globs over names and inventory paths, an OVA export checked with
sha256sum, xmllint and qemu-img compare against the datastore disk, a session that expires in
the middle of an export, snapshots, full backups and the migrate chain."""
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import FakeClock, free_port, wait_for
from ops_support import wait_for_scheduler_ticks
from target_servers import S3Server, s3_target_yaml
from test_providers import run_tool, submit_json, wait_done
from test_schedule_workflows import occurrences, started
from vcsim_support import Soap, Vcsim

MIB = 1024 * 1024


@pytest.fixture
def source_disk(tmp_path):
    """A streamOptimized VMDK made by qemu-img from random bytes: what vCenter's lease serves."""
    raw = tmp_path / "source.raw"
    raw.write_bytes(os.urandom(4 * MIB))
    vmdk = tmp_path / "source.vmdk"
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o",
                    "subformat=streamOptimized", str(raw), str(vmdk)], check=True)
    return vmdk


@pytest.fixture
def sim(tmp_path, source_disk):
    s = Vcsim(tmp_path, disk=source_disk)
    yield s
    s.stop()


def vsphere_yaml(sim, name="vsphere", trust=None, password="env:VC_PASSWORD", url=None,
                 max_sessions=2):
    trust = trust if trust is not None else f"ca_file: {sim.cert}"
    return (f"  {name}:\n    kind: vsphere\n    url: {url or sim.url}\n"
            f"    username: {sim.info['username']}\n    password: {password}\n"
            f"    {trust}\n    max_sessions: {max_sessions}\n")


def configure(h, sim, extra="", **kw):
    h.env["VC_PASSWORD"] = sim.info["password"]
    h.write_config("providers:\n" + vsphere_yaml(sim, **kw) +
                   f"export:\n  dir: {h.tmp / 'exports'}\n" + extra)


def provider_test(h, name="vsphere"):
    r = h.run("provider", "test", name, "--json")
    return r.returncode, json.loads(r.stdout)


def test_provider_list_and_test_succeed_with_a_ca_file_a_thumbprint_or_insecure(h, sim):
    configure(h, sim)
    rc, rep = provider_test(h)
    assert rc == 0 and rep["healthy"] is True, rep
    assert rep["kind"] == "vsphere" and rep["vm_count"] >= 4, rep
    assert "API " in rep["diagnosis"] and "logged in as user" in rep["diagnosis"], rep
    listed = h.json("provider", "list")
    assert [(p["name"], p["healthy"]) for p in listed] == [("vsphere", True)], listed
    # Pinned by the SHA-256 thumbprint (any case, with colons), or verification off.
    for trust in (f'thumbprint: "{sim.info["thumbprint"].lower()}"', "insecure: true"):
        configure(h, sim, trust=trust)
        rc, rep = provider_test(h)
        assert rc == 0 and rep["healthy"] is True, (trust, rep)


def test_provider_test_names_what_failed(h, sim, tmp_path):
    # Wrong password: the login check fails with class auth.
    configure(h, sim)
    h.env["VC_PASSWORD"] = "wrong"
    rc, rep = provider_test(h)
    assert rc != 0 and rep["healthy"] is False
    assert rep["failed_check"] == "login" and rep["error_class"] == "auth", rep
    assert "InvalidLogin" in rep["diagnosis"], rep
    # Closed port: reachability, class network.
    configure(h, sim, url=f"https://127.0.0.1:{free_port()}/sdk")
    rc, rep = provider_test(h)
    assert rc != 0 and rep["failed_check"] == "reachability", rep
    assert rep["error_class"] == "network", rep
    # The system's CAs do not trust the simulator's certificate: tls, and nothing was sent.
    configure(h, sim, trust="insecure: false")
    rc, rep = provider_test(h)
    assert rc != 0 and rep["failed_check"] == "tls", rep
    assert "not trusted" in rep["diagnosis"], rep
    # A pinned thumbprint that is not the server's: tls as well.
    configure(h, sim, trust='thumbprint: "' + ":".join(["AB"] * 32) + '"')
    rc, rep = provider_test(h)
    assert rc != 0 and rep["failed_check"] == "tls", rep
    # The plain-text form says which check failed, on stderr, exit non-zero.
    r = h.run("provider", "test", "vsphere")
    assert r.returncode != 0 and "tls failed" in r.stderr, r.stderr


def test_bad_vsphere_config_is_rejected_naming_the_field(h, sim):
    h.env["P"] = "secret"
    for body, field in [("    url: http://vc/sdk\n    username: u\n    password: env:P\n", "url"),
                        ("    url: https://vc\n    username: u\n    password: env:P\n"
                         "    thumbprint: nope\n", "thumbprint"),
                        ("    url: https://vc\n    username: u\n    password: env:P\n"
                         "    insecure: true\n    ca_file: /x.pem\n", "exclude each other"),
                        ("    url: https://vc\n    username: u\n    password: env:P\n"
                         "    max_sessions: 0\n", "max_sessions"),
                        ("    url: https://vc\n    username: u\n    pasword: p\n", "pasword"),
                        # A literal password would show in `config show`: references only.
                        ("    url: https://vc\n    username: u\n    password: hunter2\n",
                         "env:NAME or file:/path")]:
        h.write_config("providers:\n  vc:\n    kind: vsphere\n" + body)
        r = h.run("provider", "list")
        assert r.returncode == 2, (body, r.stdout, r.stderr)
        assert field in r.stderr, (field, r.stderr)


def test_inventory_glob_matches_names_and_inventory_paths(h, sim):
    configure(h, sim)
    names = [v["name"] for v in h.json("provider", "vms", "vsphere", "--glob", "DC0_H0_*")]
    assert names == ["DC0_H0_VM0", "DC0_H0_VM1"], names
    by_path = [v["name"] for v in h.json("provider", "vms", "vsphere", "--glob", "DC0/vm/DC0_C0*")]
    assert by_path and all(n.startswith("DC0_C0_") for n in by_path), by_path
    vm = h.json("provider", "vms", "vsphere", "--glob", "DC0_H0_VM0")[0]
    # vcsim's model: 1 CPU, 32 MiB, one 1 MiB disk (not the defaults a parse failure leaves).
    assert vm["state"] == "running" and vm["cpus"] == 1 and vm["memory_mib"] == 32, vm
    assert vm["disks"][0]["capacity_bytes"] == MIB, vm
    assert len(vm["disks"]) == 1 and vm["disks"][0]["path"].startswith("[LocalDS_0] "), vm
    assert h.json("provider", "vms", "vsphere", "--glob", "nothing-*") == []


def check_ova(h, ova: Path, source: Path, vm="DC0_H0_VM0"):
    out = h.tmp / ("unpacked-" + ova.stem)
    out.mkdir()
    assert run_tool("tar", "xf", str(ova), "-C", str(out)).returncode == 0
    names = run_tool("tar", "tf", str(ova)).stdout.split()
    assert names[0] == f"{vm}.ovf" and names[-1] == f"{vm}.mf", names
    mf = (out / f"{vm}.mf").read_text()
    tagged = out / "check.sha256"
    tagged.write_text(mf.replace("SHA256(", "SHA256 (").replace(")= ", ") = "))
    c = run_tool("sha256sum", "-c", str(tagged), cwd=out)
    assert c.returncode == 0 and c.stdout.count(": OK") == 2, c.stdout + c.stderr
    x = run_tool("xmllint", "--noout", str(out / f"{vm}.ovf"))
    assert x.returncode == 0, x.stderr
    assert f'ovf:capacity="{4 * MIB}"' in (out / f"{vm}.ovf").read_text()
    vmdk = next(out.glob("*.vmdk"))
    cmp = run_tool("qemu-img", "compare", "-F", "vmdk", "-f", "vmdk", str(source), str(vmdk))
    assert cmp.returncode == 0 and "identical" in cmp.stdout, cmp.stdout + cmp.stderr


def datastore_disk(sim, vm):
    return Path(next(d["path"] for d in sim.info["disks"] if d["vm"] == vm))


def test_export_ova_of_a_simulator_vm_matches_its_datastore_disk(h, sim):
    configure(h, sim)
    srv = h.serve()
    # The server's API answers for the same provider.
    status, _, rep = srv.api("POST", "/api/v1/providers/vsphere/test", {})
    assert status == 200 and rep["healthy"] is True and rep["kind"] == "vsphere", rep
    job = h.submit("--type", "export", "--provider", "vsphere", "--vm", "DC0_H0_VM0",
                   "--format", "ova")
    j = wait_done(h, job)
    assert j["status"] == "succeeded", j
    assert j["provider"] == "vsphere" and j["target"] == "DC0_H0_VM0", j
    ova = Path(j["result"]["path"])
    assert j["result"]["format"] == "ova" and ova.exists()
    check_ova(h, ova, datastore_disk(sim, "DC0_H0_VM0"))
    # The OVF describes the simulator VM's hardware as its inventory gives it.
    vm = h.json("provider", "vms", "vsphere", "--glob", "DC0_H0_VM0")[0]
    ovf = subprocess.run(["tar", "xOf", str(ova), "DC0_H0_VM0.ovf"], capture_output=True,
                         text=True, check=True).stdout
    assert f"<rasd:VirtualQuantity>{vm['cpus']}</rasd:VirtualQuantity>" in ovf, ovf
    assert f"<rasd:VirtualQuantity>{vm['memory_mib']}</rasd:VirtualQuantity>" in ovf, ovf
    # The downloaded source disks are gone: only the OVA is left.
    assert sorted(p.name for p in ova.parent.iterdir()) == [ova.name]
    logs = h.run("logs", "--id", job).stdout
    assert "export lease" in logs and "downloading disk 1 of 1" in logs, logs
    assert logs.index("exporting VM DC0_H0_VM0") < logs.index("downloading disk"), logs
    srv.stop()


def test_session_expiring_in_the_middle_of_an_export_logs_in_again_and_completes(h, sim):
    configure(h, sim)
    srv = h.serve()
    # A first job leaves a logged-in session in the provider's pool ...
    first = wait_done(h, h.submit("--type", "export", "--provider", "vsphere", "--vm",
                                  "DC0_H0_VM1", "--format", "vmdk"))
    assert first["status"] == "succeeded", first
    # ... and the next one meets the expiry right after vCenter hands out its export lease.
    sim.expire_sessions_after_next_export()
    job = h.submit("--type", "export", "--provider", "vsphere", "--vm", "DC0_H0_VM0",
                   "--format", "ova", "--retry-max", "0")
    j = wait_done(h, job)
    assert j["status"] == "succeeded" and j["attempt"] == 1, j
    logs = h.run("logs", "--id", job).stdout
    assert "vSphere session expired; logged in again" in logs, logs
    check_ova(h, Path(j["result"]["path"]), datastore_disk(sim, "DC0_H0_VM0"))
    srv.stop()


def vm_snapshots(sim, vm_name):
    """The snapshot ids the simulator holds for the VM (its snapshot tree, read over SOAP)."""
    soap = Soap(sim)
    soap.login()
    vm = soap.find_vm(vm_name)
    status, text = soap.call(
        '<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
        'propertyCollector</_this><specSet><propSet><type>VirtualMachine</type>'
        '<pathSet>snapshot</pathSet></propSet><objectSet>'
        f'<obj type="VirtualMachine">{vm}</obj></objectSet></specSet><options/>'
        '</RetrievePropertiesEx>')
    assert status == 200, text[:300]
    return set(re.findall(r'<snapshot type="VirtualMachineSnapshot">([^<]+)</snapshot>', text))


def test_snapshot_create_and_remove_with_task_polling(h, sim):
    configure(h, sim)
    srv = h.serve()
    j = wait_done(h, h.submit("--type", "snapshot", "--provider", "vsphere", "--vm", "DC0_H0_VM1"))
    assert j["status"] == "succeeded", j
    snap = j["result"]["snapshot"]
    assert vm_snapshots(sim, "DC0_H0_VM1") == {snap}
    # Exporting the snapshot reads its point in time through ExportSnapshot.
    e = wait_done(h, submit_json(h, {"type": "export", "payload": {
        "provider": "vsphere", "vm": "DC0_H0_VM1", "format": "vmdk", "snapshot": snap}}))
    assert e["status"] == "succeeded" and e["result"]["snapshot"] == snap, e
    for _ in range(2):  # removing one that is already gone succeeds (a retried cleanup)
        r = wait_done(h, submit_json(h, {"type": "snapshot", "payload": {
            "provider": "vsphere", "vm": "DC0_H0_VM1", "action": "remove", "snapshot": snap}}))
        assert r["status"] == "succeeded" and r["result"]["removed"] is True, r
    assert vm_snapshots(sim, "DC0_H0_VM1") == set()
    # A snapshot vCenter does not know: its ManagedObjectNotFound fault is class not_found.
    gone = wait_done(h, submit_json(h, {"type": "export", "retry": {"max_retries": 0}, "payload": {
        "provider": "vsphere", "vm": "DC0_H0_VM1", "format": "vmdk", "snapshot": snap}}))
    assert gone["status"] == "failed" and gone["error"]["class"] == "not_found", gone
    assert "ManagedObjectNotFound" in gone["error"]["message"], gone
    # An unknown VM is not_found and not retried.
    bad = wait_done(h, h.submit("--type", "snapshot", "--provider", "vsphere", "--vm", "nope"))
    assert bad["status"] == "failed" and bad["error"]["class"] == "not_found", bad
    srv.stop()


def test_full_backup_of_a_simulator_vm_holds_its_disk(h, sim):
    configure(h, sim)
    srv = h.serve()
    j = wait_done(h, h.submit("--type", "backup", "--provider", "vsphere", "--vm", "DC0_H0_VM0"))
    assert j["status"] == "succeeded", j
    path = Path(j["result"]["path"])
    assert j["result"]["format"] == "qcow2", j
    cmp = run_tool("qemu-img", "compare", "-f", "vmdk", "-F", "qcow2",
                   str(datastore_disk(sim, "DC0_H0_VM0")), str(path))
    assert cmp.returncode == 0 and "identical" in cmp.stdout, cmp.stdout + cmp.stderr
    # The downloaded source is gone; only backups are left under export.dir.
    assert not list((h.tmp / "exports" / "backups").glob(".source-*"))
    srv.stop()


@pytest.fixture
def s3(tmp_path):
    srv = S3Server(tmp_path)
    yield srv
    srv.stop()


def migrate(h, vm):
    wid = h.run("workflow", "submit", "--template", "migrate", "--param", f"vm={vm}",
                "--param", "provider=vsphere", "--param", "target=offsite",
                check=True).stdout.strip()
    return wait_for(lambda: (lambda w: w if w["status"] in ("succeeded", "failed", "cancelled")
                             else None)(h.json("workflow", "show", "--id", wid)),
                    timeout=180, interval=0.2, what=f"workflow {wid}")


def test_migrate_runs_on_a_simulator_vm_and_removes_its_snapshot_also_on_failure(h, sim, s3):
    configure(h, sim, extra="retry:\n  max_retries: 0\ntargets:\n" + s3_target_yaml("offsite", s3))
    srv = h.serve()
    w = migrate(h, "DC0_H0_VM0")
    steps = {s["name"]: h.json("query", "--id", s["job_id"]) for s in w["steps"]}
    assert w["status"] == "succeeded", {n: (j["status"], j.get("error")) for n, j in steps.items()}
    snap = steps["snapshot"]["result"]["snapshot"]
    assert steps["export"]["result"]["snapshot"] == snap
    assert steps["cleanup"]["result"]["removed"] is True
    assert vm_snapshots(sim, "DC0_H0_VM0") == set()
    key = steps["upload"]["result"]["key"]
    assert steps["verify"]["result"]["sha256"] == steps["export"]["result"]["sha256"]
    ova = h.tmp / "uploaded.ova"
    ova.write_bytes(s3.object_path(key).read_bytes())
    check_ova(h, ova, datastore_disk(sim, "DC0_H0_VM0"))

    # The upload fails: verify never runs, and the snapshot is removed all the same.
    s3.fault(503, count=1000, code="ServiceUnavailable")
    w = migrate(h, "DC0_H0_VM1")
    st = {s["name"]: s["state"] for s in w["steps"]}
    assert w["status"] == "failed", w
    assert st["upload"] == "failed" and st["verify"] == "upstream_failed", st
    assert st["snapshot"] == st["export"] == st["cleanup"] == "succeeded", st
    assert vm_snapshots(sim, "DC0_H0_VM1") == set()
    srv.stop()


def job_progress(h, job):
    return h.json("query", "--id", job).get("progress", {}).get("done_bytes", 0)


def test_slow_download_keeps_the_lease_alive_and_cancel_aborts_it(h, sim):
    configure(h, sim)
    srv = h.serve()
    # 4 MiB at 512 KiB/s: about 8 s of download, past the 5 s keep-alive period.
    sim.throttle(512 * 1024)
    job = h.submit("--type", "export", "--provider", "vsphere", "--vm", "DC0_H0_VM0",
                   "--format", "vmdk")
    j = wait_done(h, job)
    assert j["status"] == "succeeded", j
    calls = sim.lease_calls()
    assert calls.get("HttpNfcLeaseProgress", 0) >= 1, calls
    assert calls.get("HttpNfcLeaseComplete") == 1 and not calls.get("HttpNfcLeaseAbort"), calls

    # Cancelled while its disk downloads: the lease is aborted, nothing is left behind.
    sim.throttle(128 * 1024)
    job = h.submit("--type", "export", "--provider", "vsphere", "--vm", "DC0_H0_VM1",
                   "--format", "ova")
    wait_for(lambda: job_progress(h, job) > 0, timeout=60, what="download progress")
    assert h.run("cancel", "--id", job).returncode == 0
    j = wait_done(h, job)
    assert j["status"] == "cancelled", j
    assert wait_for(lambda: sim.lease_calls().get("HttpNfcLeaseAbort") == 1, timeout=10,
                    what="HttpNfcLeaseAbort")
    out = h.tmp / "exports" / "DC0_H0_VM1"
    assert not out.exists() or list(out.iterdir()) == [], list(out.iterdir())
    srv.stop()


def test_concurrent_exports_share_at_most_max_sessions(h, sim):
    configure(h, sim, extra="workers:\n  count: 3\n", max_sessions=1)
    srv = h.serve()
    sim.throttle(2 * MIB)  # each 4 MiB download takes about 2 s: the jobs overlap
    vms = ["DC0_H0_VM0", "DC0_H0_VM1", "DC0_C0_RP0_VM0"]
    jobs = [h.submit("--type", "export", "--provider", "vsphere", "--vm", vm, "--format", "vmdk")
            for vm in vms]
    seen = set()

    def all_done():
        seen.add(sim.sessions())
        return all(h.json("query", "--id", j)["status"] in ("succeeded", "failed") for j in jobs)

    wait_for(all_done, timeout=120, interval=0.1, what="three exports")
    for j in jobs:
        r = h.json("query", "--id", j)
        assert r["status"] == "succeeded", r
    # One session (none before the first job logs in), reused by one job after another;
    # never a second one.
    assert max(seen) == 1, seen
    srv.stop()


def test_a_failed_download_aborts_the_lease_and_leaves_nothing(h, sim):
    configure(h, sim)
    srv = h.serve()
    datastore_disk(sim, "DC0_H0_VM1").unlink()  # the device URL now answers 404
    j = wait_done(h, submit_json(h, {"type": "export", "retry": {"max_retries": 0}, "payload": {
        "provider": "vsphere", "vm": "DC0_H0_VM1", "format": "ova"}}))
    assert j["status"] == "failed" and j["error"]["class"] == "not_found", j
    assert "HTTP 404" in j["error"]["message"], j
    calls = sim.lease_calls()
    assert calls.get("HttpNfcLeaseAbort") == 1 and not calls.get("HttpNfcLeaseComplete"), calls
    out = h.tmp / "exports" / "DC0_H0_VM1"
    assert not out.exists() or list(out.iterdir()) == [], list(out.iterdir())
    srv.stop()


def wait_cancelled(h, job):
    """Cancels the job and returns (the job when it ended, seconds from cancel to the end)."""
    t0 = time.monotonic()
    assert h.run("cancel", "--id", job).returncode == 0
    j = wait_done(h, job, timeout=60)
    return j, time.monotonic() - t0


# A cancel is seen by the worker, then by the poll within a 25 ms slice: well under a few
# seconds even on the loaded CI machine. Before the fix a snapshot task was not cancellable.
CANCEL_BOUND_S = 8


def test_cancel_during_a_slow_snapshot_task_cancels_it_promptly(h, sim):
    configure(h, sim)
    srv = h.serve()
    sim.hold("task")  # CreateSnapshot_Task stays "running" until cancelled
    job = h.submit("--type", "snapshot", "--provider", "vsphere", "--vm", "DC0_H0_VM1")
    # The task was created (vcsim made its snapshot) and the job is polling it.
    wait_for(lambda: vm_snapshots(sim, "DC0_H0_VM1"), timeout=60, what="the snapshot task")
    # Long enough for the poll interval to back off to its 1 s bound.
    time.sleep(2.5)
    assert h.json("query", "--id", job)["status"] == "running"
    j, took = wait_cancelled(h, job)
    assert j["status"] == "cancelled", j
    assert took < CANCEL_BOUND_S, took
    # vCenter was asked to cancel the task, which rolled its snapshot back.
    assert sim.lease_calls().get("CancelTask") == 1, sim.lease_calls()
    assert vm_snapshots(sim, "DC0_H0_VM1") == set()
    # The provider is not left stuck: the next snapshot task runs to its end.
    ok = wait_done(h, h.submit("--type", "snapshot", "--provider", "vsphere", "--vm", "DC0_H0_VM1"))
    assert ok["status"] == "succeeded", ok
    srv.stop()


def test_cancel_while_the_export_lease_initializes_aborts_the_lease(h, sim):
    configure(h, sim)
    srv = h.serve()
    sim.hold("lease")  # the export lease stays "initializing"
    job = h.submit("--type", "export", "--provider", "vsphere", "--vm", "DC0_H0_VM0",
                   "--format", "ova")
    wait_for(lambda: "export lease" in h.run("logs", "--id", job).stdout, timeout=60,
             what="the export lease")
    time.sleep(2.5)  # the lease poll backs off to its 1 s bound
    assert h.json("query", "--id", job)["status"] == "running"
    j, took = wait_cancelled(h, job)
    assert j["status"] == "cancelled", j
    assert took < CANCEL_BOUND_S, took
    calls = sim.lease_calls()
    assert calls.get("HttpNfcLeaseAbort") == 1 and not calls.get("HttpNfcLeaseComplete"), calls
    out = h.tmp / "exports" / "DC0_H0_VM0"
    assert not out.exists() or list(out.iterdir()) == [], list(out.iterdir())
    srv.stop()


def test_a_target_glob_schedule_fires_one_export_per_matching_simulator_vm(h, sim):
    configure(h, sim)
    clock = FakeClock(h, "2025-06-01T01:59:30Z")
    h.run("schedule", "create", "--name", "h0-exports", "--cron", "0 2 * * *", "--timezone",
          "UTC", "--type", "export", "--provider", "vsphere", "--target", "DC0_H0_*", check=True)
    srv = h.serve(*clock.args())
    wait_for_scheduler_ticks(srv)
    clock.set("2025-06-01T02:00:00.300Z")
    wait_for(lambda: occurrences(h, "h0-exports"), timeout=30, what="the 02:00 occurrence")
    [o] = occurrences(h, "h0-exports")
    assert o["outcome"] == "fired", o
    jobs = [wait_done(h, j) for j in started(o)]
    assert sorted(j["target"] for j in jobs) == ["DC0_H0_VM0", "DC0_H0_VM1"], jobs
    assert all(j["status"] == "succeeded" and j["provider"] == "vsphere" for j in jobs), jobs
    # No other VM of the simulator (DC0_C0_RP0_VM0, ...) got a job.
    assert sorted(j["target"] for j in h.json("list", "--limit", "100")) == \
        ["DC0_H0_VM0", "DC0_H0_VM1"]
    for j in jobs:
        check_ova(h, Path(j["result"]["path"]), datastore_disk(sim, j["target"]), vm=j["target"])
    assert srv.stop() == 0
