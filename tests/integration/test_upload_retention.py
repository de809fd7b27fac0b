"""Retention on upload targets (issue 12 item 4, "keep last N"): an upload with keep_last
removes the VM's older objects beside the new one so that its newest N remain (never the one
just made, never another VM's or another directory's), on a real S3 server (s3rver, SigV4
checked), on a dir target, on SFTP (OpenSSH's sshd) and on WebDAV (nginx, PROPFIND by its
dav-ext module); and a scheduled `migrate` run with --param keep_last=1 leaves only its own OVA
of the VM on S3."""
import json
import os
import time

import pytest

from conftest import FakeClock, wait_for
from ops_support import wait_for_scheduler_ticks
from target_servers import DavServer, S3Server, SshServer, make_file, s3_target_yaml, wait_job
from test_providers import MIB, vm_dir


@pytest.fixture
def s3(tmp_path):
    srv = S3Server(tmp_path)
    yield srv
    srv.stop()


def s3_keys(s3):
    root = s3.dir / "data" / "test"
    return sorted(str(p.relative_to(root))[:-len("._S3rver_object")]
                  for p in root.rglob("*._S3rver_object"))


def upload(srv, payload):
    status, _, job = srv.api("POST", "/api/v1/jobs", {"type": "upload", "payload": payload,
                                                      "retry": {"max_retries": 0}})
    assert status == 201, job
    return wait_job(srv, job["id"])


def test_keep_last_removes_the_vms_older_objects_on_s3_and_dir(h, s3, tmp_path):
    h.write_config("targets:\n" + s3_target_yaml("offsite", s3) +
                   f"  nas:\n    kind: dir\n    path: {tmp_path / 'nas'}\n")
    srv = h.serve()
    files = tmp_path / "files"
    files.mkdir()
    for target, listed in (("offsite", lambda: s3_keys(s3)),
                           ("nas", lambda: sorted(str(p.relative_to(tmp_path / "nas"))
                                                  for p in (tmp_path / "nas").rglob("*")
                                                  if p.is_file()))):
        # Another VM's object, and one of this VM in another directory: never touched.
        for key in ("nightly/web-2-j-1.ova", "weekly/web-1-j-1.ova"):
            assert upload(srv, {"target": target, "key": key,
                                "path": str(make_file(files / "x.ova", 1024))})["status"] == \
                "succeeded"
        for i in range(1, 5):
            f = make_file(files / f"web-1-j-{i}.ova", 4096 + i)
            job = upload(srv, {"target": target, "key": f"nightly/{f.name}", "path": str(f),
                               "keep_last": 2, "vm": "web-1"})
            assert job["status"] == "succeeded", job
            removed = job["result"]["retention"]["removed"]
            assert removed == ([] if i <= 2 else [f"nightly/web-1-j-{i - 2}.ova"]), job["result"]
            time.sleep(1.1)  # S3's LastModified counts seconds
        assert listed() == ["nightly/web-1-j-3.ova", "nightly/web-1-j-4.ova",
                            "nightly/web-2-j-1.ova", "weekly/web-1-j-1.ova"], (target, listed())

    # keep_last without a VM, or out of range: refused before anything is sent.
    f = make_file(files / "web-1-j-9.ova", 10)
    job = upload(srv, {"target": "offsite", "path": str(f), "keep_last": 2})
    assert job["status"] == "failed" and "keep_last" in job["error"]["message"], job
    job = upload(srv, {"target": "offsite", "path": str(f), "keep_last": -1, "vm": "web-1"})
    assert job["status"] == "failed" and "0 (keep all) to 100000" in job["error"]["message"], job
    assert "web-1-j-9.ova" not in " ".join(s3_keys(s3))
    assert srv.stop() == 0


def sshd_logins(sshd):
    sshd.log.flush()
    return (sshd.dir / "sshd.log").read_text().count("Accepted publickey")


def test_keep_last_on_sftp_and_webdav_lists_the_directory_and_removes_the_oldest(h, tmp_path):
    sshd, dav = SshServer(tmp_path), DavServer(tmp_path)
    try:
        h.write_config("targets:\n" + sshd.target_yaml("ssh") + dav.target_yaml("nas"))
        srv = h.serve()
        files = tmp_path / "files"
        files.mkdir()
        now = time.time()
        for target, root in (("ssh", sshd.root), ("nas", dav.root)):
            # Older copies made on earlier days (times set on the server's own files, so the
            # order does not hang on the protocols' one-second resolution), one with a space
            # in its name; beside them what retention must never touch: another VM's copy, a
            # directory named like a copy, a copy still being written, another directory's.
            seeded = {"nightly/web-1-j-1.ova": 3, "nightly/web-1-j 2.ova": 2,
                      "nightly/web-1-j-3.ova": 1, "nightly/web-2-j-1.ova": 5,
                      "nightly/web-1-old/web-1-j-0.ova": 10,
                      "nightly/web-1-j-4.ova.hypersdk-part-123": 4, "weekly/web-1-j-0.ova": 9}
            for key, days in seeded.items():
                p = root / key
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(b"x" * (100 + days))
                os.utime(p, (now - days * 86400, now - days * 86400))
            os.utime(root / "nightly" / "web-1-old", (now - 10 * 86400, now - 10 * 86400))

            f = make_file(files / "web-1-j-5.ova", 4096)
            job = upload(srv, {"target": target, "key": f"nightly/{f.name}", "path": str(f),
                               "keep_last": 2, "vm": "web-1"})
            assert job["status"] == "succeeded", job
            assert job["result"]["retention"].get("removed") == [
                "nightly/web-1-j-1.ova", "nightly/web-1-j 2.ova"], (target, job["result"])
            # The copy just made is the newest and counts: the next one removes j-3 only.
            f = make_file(files / "web-1-j-6.ova", 4097)
            logins = sshd_logins(sshd)
            job = upload(srv, {"target": target, "key": f"nightly/{f.name}", "path": str(f),
                               "keep_last": 2, "vm": "web-1"})
            if target == "ssh":
                # Upload, stat, listing, a stat per copy and the removal: one SSH connection.
                assert sshd_logins(sshd) == logins + 1, (sshd.dir / "sshd.log").read_text()
            assert job["result"]["retention"].get("removed") == ["nightly/web-1-j-3.ova"], \
                (target, job["result"])
            left = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
            assert left == ["nightly/web-1-j-4.ova.hypersdk-part-123", "nightly/web-1-j-5.ova",
                            "nightly/web-1-j-6.ova", "nightly/web-1-old/web-1-j-0.ova",
                            "nightly/web-2-j-1.ova", "weekly/web-1-j-0.ova"], (target, left)
            assert (root / "nightly" / "web-1-j-6.ova").read_bytes() == f.read_bytes()
        assert srv.stop() == 0
    finally:
        sshd.stop()
        dav.stop()


def test_a_nightly_migrate_schedule_keeps_the_last_n_on_s3(h, s3, tmp_path):
    vms = h.tmp / "vms"
    vm_dir(vms, "web-1", size=4 * MIB)
    h.write_config(
        f"providers:\n  lab:\n    kind: local\n    dirs: [{vms}]\n"
        f"export:\n  dir: {h.tmp / 'exports'}\n"
        "targets:\n" + s3_target_yaml("offsite", s3))
    srv = h.serve()
    # An older copy of web-1 from an earlier night, and another VM's.
    old = make_file(tmp_path / "web-1-j-0.ova", 2048)
    assert upload(srv, {"target": "offsite", "path": str(old)})["status"] == "succeeded"
    other = make_file(tmp_path / "db-1-j-0.ova", 2048)
    assert upload(srv, {"target": "offsite", "path": str(other)})["status"] == "succeeded"
    assert srv.stop() == 0

    clock = FakeClock(h, "2025-06-01T01:59:30Z")
    h.run("schedule", "create", "--name", "nightly-migrate", "--cron", "0 2 * * *",
          "--timezone", "UTC", "--workflow", "migrate", "--provider", "lab", "--target", "web-1",
          "--param", "target=offsite", "--param", "keep_last=1", check=True)
    srv = h.serve(*clock.args())
    wait_for_scheduler_ticks(srv)
    clock.set("2025-06-01T02:00:00.300Z")

    def done():
        ws = h.json("workflow", "list")
        return ws and ws[0]["status"] in ("succeeded", "failed") and ws[0]
    w = wait_for(done, timeout=180, interval=0.3, what="the scheduled migrate run")
    w = h.json("workflow", "show", "--id", w["id"])
    assert w["status"] == "succeeded", json.dumps(w["steps"], indent=1)[:3000]
    up = next(s for s in w["steps"] if s["name"] == "upload")
    result = h.json("query", "--id", up["job_id"])["result"]
    assert result["retention"]["removed"] == ["web-1-j-0.ova"], result
    keys = s3_keys(s3)
    assert "web-1-j-0.ova" not in keys and "db-1-j-0.ova" in keys, keys
    assert result["key"] in keys and len([k for k in keys if k.startswith("web-1-")]) == 1, keys
    assert srv.stop() == 0
