"""SFTP (OpenSSH's sshd) and WebDAV (nginx's DAV module) upload targets on loopback: the file
arrives intact under its key through a temporary name, the host key is checked, wrong
credentials fail as auth."""
import hashlib

import pytest

from target_servers import DavServer, SshServer, make_file, wait_job


@pytest.fixture
def sshd(tmp_path):
    s = SshServer(tmp_path)
    yield s
    s.stop()


@pytest.fixture
def dav(tmp_path):
    s = DavServer(tmp_path)
    yield s
    s.stop()


def upload(srv, payload):
    status, _, job = srv.api("POST", "/api/v1/jobs", {"type": "upload", "payload": payload})
    assert status == 201, job
    return wait_job(srv, job["id"])


def test_sftp_upload_arrives_intact_and_test_cleans_up(h, sshd, tmp_path):
    h.write_config("targets:\n" + sshd.target_yaml("ssh"))
    r = h.run("target", "test", "ssh")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert list(sshd.root.iterdir()) == []
    src = make_file(tmp_path / "vm disk.img", 3 * 1024 * 1024 + 5)
    srv = h.serve()
    job = upload(srv, {"target": "ssh", "path": str(src), "key": "vm1/vm disk.img"})
    assert job["status"] == "succeeded", job["error"]
    assert (sshd.root / "vm1" / "vm disk.img").read_bytes() == src.read_bytes()
    assert job["result"]["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert [p.name for p in (sshd.root / "vm1").iterdir()] == ["vm disk.img"]  # no temp left
    # Again over an existing copy: replaced.
    src.write_bytes(b"new content")
    job = upload(srv, {"target": "ssh", "path": str(src), "key": "vm1/vm disk.img"})
    assert job["status"] == "succeeded", job["error"]
    assert (sshd.root / "vm1" / "vm disk.img").read_bytes() == b"new content"
    r = h.run("target", "verify", "ssh", "vm1/vm disk.img", "--file", str(src), "--json")
    assert r.returncode == 0 and '"checked_by": "download"' in r.stdout, (r.stdout, r.stderr)


def test_sftp_refuses_an_unknown_host_key(h, sshd, tmp_path):
    h.write_config("targets:\n" + sshd.target_yaml("ssh", known_hosts=sshd.other_known_hosts))
    r = h.run("target", "test", "ssh", "--json")
    assert r.returncode == 6, (r.stdout, r.stderr)  # auth: not retried
    assert list(sshd.root.iterdir()) == []
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    h.write_config("targets:\n" + sshd.target_yaml("ssh", known_hosts=empty))
    r = h.run("target", "test", "ssh")
    assert r.returncode == 6, (r.stdout, r.stderr)
    assert empty.read_text() == ""  # never added


def test_webdav_upload_arrives_intact_through_a_temporary_name(h, dav, tmp_path):
    h.write_config("targets:\n" + dav.target_yaml("nas"))
    r = h.run("target", "test", "nas")
    assert r.returncode == 0, (r.stdout, r.stderr)
    src = make_file(tmp_path / "vm.ova", 2 * 1024 * 1024 + 1)
    srv = h.serve()
    job = upload(srv, {"target": "nas", "path": str(src), "key": "a/b/vm.ova"})
    assert job["status"] == "succeeded", job["error"]
    assert (dav.root / "a" / "b" / "vm.ova").read_bytes() == src.read_bytes()
    assert [p.name for p in (dav.root / "a" / "b").iterdir()] == ["vm.ova"]
    log = (dav.root.parent / "access.log").read_text()
    assert '"MOVE /dav/a/b/vm.ova.hypersdk-part-' in log and '"PUT /dav/a/b/vm.ova ' not in log
    r = h.run("target", "verify", "nas", "a/b/vm.ova", "--file", str(src))
    assert r.returncode == 0 and "by download" in r.stdout, (r.stdout, r.stderr)
    (dav.root / "a" / "b" / "vm.ova").write_bytes(b"tampered")
    r = h.run("target", "verify", "nas", "a/b/vm.ova", "--file", str(src))
    assert r.returncode == 4 and "bytes" in r.stderr, (r.stdout, r.stderr)


def test_webdav_wrong_password_fails_as_auth(h, dav, tmp_path):
    h.write_config("targets:\n" + dav.target_yaml("nas", password="wrong"))
    r = h.run("target", "test", "nas", "--json")
    assert r.returncode == 6 and "401" in r.stdout, (r.stdout, r.stderr)
