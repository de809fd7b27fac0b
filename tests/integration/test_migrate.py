"""The built-in `migrate` template end to end (issue 12 item 4): a `local` VM goes through
snapshot -> export -> convert -> upload -> verify to a real S3 server (s3rver, SigV4 checked),
and its snapshot is removed afterwards, also when the upload fails; `workflow retry` after
the target is back runs only upload and verify."""
import json
import subprocess

import pytest

from conftest import wait_for
from target_servers import S3Server, s3_target_yaml
from test_providers import MIB, vm_dir


@pytest.fixture
def s3(tmp_path):
    srv = S3Server(tmp_path)
    yield srv
    srv.stop()


def configure_migrate(h, s3):
    vms = h.tmp / "vms"
    vm_dir(vms, "web-1", size=8 * MIB)
    h.write_config(
        f"providers:\n  lab:\n    kind: local\n    dirs: [{vms}]\n"
        f"export:\n  dir: {h.tmp / 'exports'}\n"
        "retry:\n  max_retries: 1\n  base: 1s\n  cap: 1s\n"
        "targets:\n" + s3_target_yaml("offsite", s3))
    return vms


def submit_migrate(h):
    return h.run("workflow", "submit", "--template", "migrate", "--param", "vm=web-1",
                 "--param", "provider=lab", "--param", "target=offsite",
                 check=True).stdout.strip()


def finished(h, wid):
    return wait_for(lambda: (lambda w: w if w["status"] in ("succeeded", "failed", "cancelled")
                             else None)(h.json("workflow", "show", "--id", wid)),
                    timeout=180, interval=0.2, what=f"workflow {wid}")


def results(h, w):
    return {s["name"]: h.json("query", "--id", s["job_id"]) for s in w["steps"]}


def no_snapshots(vms):
    snaps = vms / "web-1" / ".snapshots"
    return not snaps.exists() or list(snaps.iterdir()) == []


def test_migrate_ends_with_a_verified_ova_on_s3_and_no_snapshot(h, s3):
    vms = configure_migrate(h, s3)
    srv = h.serve()
    w = finished(h, submit_migrate(h))
    r = results(h, w)
    assert w["status"] == "succeeded", json.dumps({n: (j["status"], j.get("last_error")) for n, j in r.items()})
    ova = r["export"]["result"]["path"]
    assert r["export"]["result"]["format"] == "ova"
    # convert had nothing to do for an OVA and handed the package on.
    assert r["convert"]["result"]["path"] == ova
    up = r["upload"]["result"]
    with open(ova, "rb") as f:
        assert s3.object_path(up["key"]).read_bytes() == f.read()
    assert r["verify"]["result"]["key"] == up["key"]
    assert r["verify"]["result"]["sha256"] == up["sha256"] == r["export"]["result"]["sha256"]
    assert r["cleanup"]["result"]["removed"] is True
    assert no_snapshots(vms)
    # The package on the server is a real OVA: the .ovf first.
    names = subprocess.run(["tar", "tf", str(s3.object_path(up["key"]))], capture_output=True,
                           text=True, check=True).stdout.split()
    assert names[0].endswith(".ovf"), names
    srv.stop()


def test_target_down_fails_at_upload_and_retry_runs_only_upload_and_verify(h, s3):
    vms = configure_migrate(h, s3)
    s3.fault(503, count=1000, code="ServiceUnavailable")
    srv = h.serve()
    wid = submit_migrate(h)
    w = finished(h, wid)
    st = {s["name"]: s["state"] for s in w["steps"]}
    assert w["status"] == "failed", w
    assert st == {"snapshot": "succeeded", "export": "succeeded", "convert": "succeeded",
                  "upload": "failed", "verify": "upstream_failed", "cleanup": "succeeded"}, st
    assert no_snapshots(vms)
    before = {n: j["attempt"] for n, j in results(h, w).items()}

    s3.clear_faults()
    h.run("workflow", "retry", "--id", wid, check=True)
    w = finished(h, wid)
    assert w["status"] == "succeeded", w
    after = results(h, w)
    for name in ("snapshot", "export", "convert", "cleanup"):
        assert after[name]["attempt"] == before[name], (name, before, after[name])
    assert after["upload"]["status"] == "succeeded" and after["verify"]["status"] == "succeeded"
    assert s3.object_path(after["upload"]["result"]["key"]).exists()
    srv.stop()
