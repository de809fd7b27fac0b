"""Upload targets against real servers on loopback (issue 12): `target list | test`, the
API's /targets, and the `upload` job type to a directory and to an S3 server that checks
SigV4 (s3rver): single PUT, multipart, resume after kill -9, error classes."""
import hashlib
import json
import signal
import sqlite3
import subprocess
import time
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import wait_for
from target_servers import S3Server, make_file, s3_target_yaml, wait_job


@pytest.fixture
def s3(tmp_path):
    srv = S3Server(tmp_path)
    yield srv
    srv.stop()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def config(h, s3, extra_targets="", s3_extra="", secret="S3RVER", head=""):
    dest = h.tmp / "dest"
    h.write_config(
        head
        + "retry:\n  base: 1s\n  cap: 2s\n"
        + "targets:\n"
        + s3_target_yaml("s3", s3, secret=secret, extra=s3_extra)
        + f"  local:\n    kind: dir\n    path: {dest}\n"
        + extra_targets)
    return dest


def submit_upload(srv, payload, **extra):
    status, _, job = srv.api("POST", "/api/v1/jobs", {"type": "upload", "payload": payload, **extra})
    assert status == 201, job
    return job["id"]


def test_target_list_shows_settings_without_secrets(h, s3):
    config(h, s3, secret="env:S3_SECRET")
    h.env["S3_SECRET"] = "S3RVER"
    out = h.json("target", "list")
    names = {t["name"]: t for t in out["targets"]}
    assert set(names) == {"s3", "local"}
    assert names["s3"]["bucket"] == "test" and names["s3"]["endpoint"] == s3.endpoint
    assert "S3RVER" not in json.dumps({k: v for k, v in names["s3"].items() if k != "access_key"})
    assert "secret_key" not in names["s3"]
    r = h.run("target", "list")
    assert r.returncode == 0 and "s3\ts3\t" in r.stdout and "local\tdir\t" in r.stdout


def test_target_test_writes_a_probe_and_removes_it(h, s3):
    dest = config(h, s3)
    r = h.run("target", "test", "s3")
    assert r.returncode == 0, r.stderr
    assert "target s3: ok" in r.stdout
    log = wait_for(lambda: [e for e in s3.log() if e["method"] == "DELETE"] and s3.log(),
                   timeout=5, what="the probe's DELETE in s3rver's log")
    puts = [e for e in log if e["method"] == "PUT" and ".hypersdk-probe-" in e["url"]]
    deletes = [e for e in log if e["method"] == "DELETE" and ".hypersdk-probe-" in e["url"]]
    assert len(puts) == 1 and puts[0]["status"] == 200
    assert len(deletes) == 1 and deletes[0]["status"] == 204
    assert deletes[0]["url"] == puts[0]["url"]
    assert not list((s3.dir / "data" / "test").glob(".hypersdk-probe-*"))
    r = h.run("target", "test", "local")
    assert r.returncode == 0, r.stderr
    assert dest.is_dir() and list(dest.iterdir()) == []


def test_target_test_with_a_wrong_secret_fails_as_auth(h, s3):
    config(h, s3, secret="not-the-secret")
    r = h.run("target", "test", "s3", "--json")
    assert r.returncode == 6, (r.stdout, r.stderr)  # auth
    report = json.loads(r.stdout)
    assert report["ok"] is False and report["error"]["class"] == "auth"
    assert "SignatureDoesNotMatch" in report["error"]["message"]
    assert all(e["status"] == 403 for e in wait_for(lambda: s3.log(), timeout=5, what="log"))


def test_target_test_of_an_unreachable_target_fails_as_network(h, s3):
    s3.stop()
    config(h, s3)
    r = h.run("target", "test", "s3", "--json")
    assert r.returncode == 5, (r.stdout, r.stderr)
    assert json.loads(r.stdout)["error"]["class"] == "network"
    r = h.run("target", "test", "nope")
    assert r.returncode == 3 and "no target named 'nope'" in r.stderr


def test_bad_target_settings_name_the_field(h, s3):
    h.write_config("targets:\n  x:\n    kind: s3\n    bucket: b\n    access_key: a\n"
                   "    secret_key: s\n    parallel: 0\n")
    r = h.run("target", "list")
    assert r.returncode == 2 and "targets.x.parallel" in r.stderr, r.stderr
    h.write_config("targets:\n  x:\n    kind: ftp\n")
    r = h.run("config", "validate")
    assert r.returncode == 2 and "targets.x.kind" in r.stderr and "ftp" in r.stderr, r.stderr
    h.write_config("targets:\n  x:\n    kind: dir\n    path: /tmp\n    bukket: b\n")
    r = h.run("target", "list")
    assert r.returncode == 2 and "unknown field 'bukket'" in r.stderr, r.stderr


def test_api_lists_and_tests_targets(h, s3):
    config(h, s3)
    srv = h.serve()
    status, _, body = srv.api("GET", "/api/v1/targets")
    assert status == 200 and {t["name"] for t in body["targets"]} == {"s3", "local"}
    status, _, report = srv.api("POST", "/api/v1/targets/s3/test")
    assert status == 200 and report["ok"] is True, report
    status, _, err = srv.api("POST", "/api/v1/targets/nope/test")
    assert status == 404 and err["error"]["code"] == "not_found"
    # Through the CLI's --server path too.
    r = h.run("--server", srv.url, "target", "test", "local")
    assert r.returncode == 0 and "target local: ok" in r.stdout, r.stderr


def test_upload_to_dir_and_s3_arrives_intact(h, s3, tmp_path):
    dest = config(h, s3)
    src = make_file(tmp_path / "disk.img", 3 * 1024 * 1024 + 17)
    srv = h.serve()
    to_s3 = submit_upload(srv, {"target": "s3", "path": str(src), "key": "vm1/disk.img"})
    to_dir = submit_upload(srv, {"target": "local", "path": str(src), "key": "vm1/disk.img"})
    job = wait_job(srv, to_s3)
    assert job["status"] == "succeeded", job
    r = job["result"]
    assert r["target"] == "s3" and r["key"] == "vm1/disk.img"
    assert r["size_bytes"] == src.stat().st_size and r["sha256"] == sha256(src)
    assert r["url"] == f"{s3.endpoint}/test/vm1/disk.img"
    assert r["checked_by"] == "etag-md5" and r["parts"] == 1
    assert s3.object_path("vm1/disk.img").read_bytes() == src.read_bytes()
    job = wait_job(srv, to_dir)
    assert job["status"] == "succeeded", job
    assert (dest / "vm1" / "disk.img").read_bytes() == src.read_bytes()
    assert job["result"]["checked_by"] == "sha256"
    assert not list((dest / "vm1").glob("*.hypersdk-part"))


def test_upload_takes_the_path_from_its_upstream_input(h, s3, tmp_path):
    config(h, s3)
    src = make_file(tmp_path / "vm.ova", 100_000)
    srv = h.serve()
    job_id = submit_upload(srv, {"target": "s3", "inputs": {
        "export": {"path": str(src), "format": "ova", "size_bytes": 100_000, "sha256": sha256(src)},
        "snapshot": {"provider": "local", "vm": "vm1", "snapshot": "s1"}}})
    job = wait_job(srv, job_id)
    assert job["status"] == "succeeded", job
    assert job["result"]["key"] == "vm.ova" and s3.object_path("vm.ova").read_bytes() == src.read_bytes()
    # An input whose sha256 does not match the file: the upload refuses it.
    bad = submit_upload(srv, {"target": "s3", "key": "bad.ova", "inputs": {
        "export": {"path": str(src), "sha256": "0" * 64}}})
    job = wait_job(srv, bad)
    assert job["status"] == "failed" and job["error"]["class"] == "conflict", job
    # Bad payloads fail at once, naming the field.
    for payload, needle in [({"path": str(src)}, "payload.target"),
                            ({"target": "s3"}, "path: none given"),
                            ({"target": "nope", "path": str(src)}, "no target named 'nope'")]:
        job = wait_job(srv, submit_upload(srv, payload))
        assert job["status"] == "failed" and needle in job["error"]["message"], job
        assert job["attempt"] == 1, job


def test_wrong_secret_fails_the_upload_as_auth_without_retries(h, s3, tmp_path):
    config(h, s3, secret="wrong")
    src = make_file(tmp_path / "f.bin", 1000)
    srv = h.serve()
    job = wait_job(srv, submit_upload(srv, {"target": "s3", "path": str(src)}))
    assert job["status"] == "failed", job
    assert job["error"]["class"] == "auth" and job["attempt"] == 1, job
    assert len(job["errors"]) == 1
    assert [e["status"] for e in wait_for(lambda: s3.log(), timeout=5, what="log")] == [403]


def test_server_errors_are_retried_and_slow_down_is_waited_out(h, s3, tmp_path):
    config(h, s3)
    src = make_file(tmp_path / "f.bin", 5000)
    srv = h.serve()
    # One 500: the attempt fails as unavailable and the job's retry succeeds.
    s3.fault(500, count=1, match="PUT /test/a.bin")
    job = wait_job(srv, submit_upload(srv, {"target": "s3", "path": str(src), "key": "a.bin"}))
    assert job["status"] == "succeeded" and job["attempt"] == 2, job
    assert job["errors"][0]["class"] == "unavailable"
    # SlowDown with Retry-After: waited out inside the attempt.
    s3.fault(503, count=1, match="PUT /test/b.bin", code="SlowDown", retry_after=2)
    t0 = time.monotonic()
    job = wait_job(srv, submit_upload(srv, {"target": "s3", "path": str(src), "key": "b.bin"}))
    assert job["status"] == "succeeded" and job["attempt"] == 1, job
    assert time.monotonic() - t0 >= 2
    puts = [e["status"] for e in s3.log() if e["method"] == "PUT" and "/test/b.bin" in e["url"]]
    assert puts == [503, 200]
    # 429 that does not stop: rate_limited, after a bounded number of tries.
    s3.fault(429, count=100, match="PUT /test/c.bin", retry_after=0)
    job = wait_job(srv, submit_upload(srv, {"target": "s3", "path": str(src), "key": "c.bin"},
                                      retry={"max_retries": 0}))
    assert job["status"] == "failed" and job["error"]["class"] == "rate_limited", job
    puts = [e for e in s3.log() if e["method"] == "PUT" and "/test/c.bin" in e["url"]]
    assert len(puts) == 4


def test_virtual_host_style_and_prefix(h, s3, tmp_path):
    """Virtual-host addressing puts the bucket in the host name and only prefix + key in the
    path. s3rver checks such requests against a canonical URI that still holds the bucket
    (/test/nightly/f.bin, its JS aws-sdk v2 heritage) where AWS uses the request path, so
    s3rver refuses the (AWS-correct) signature; the signature itself is checked against AWS's
    own examples in tests/unit/targets_test.cpp. Here: the addressing, and the session token
    travelling along."""
    h.write_config("targets:\n  vh:\n    kind: s3\n"
                   f"    endpoint: http://s3.localhost:{s3.port}\n    bucket: test\n"
                   "    path_style: false\n    prefix: nightly/\n    access_key: S3RVER\n"
                   "    secret_key: S3RVER\n    session_token: tok\n")
    r = h.run("target", "test", "vh", "--json")
    report = json.loads(r.stdout)
    # s3rver logs a request when its answer is finished, just after the client has it.
    first = wait_for(lambda: s3.log(), timeout=5, what="s3rver's log")[0]
    assert first["method"] == "PUT" and first["host"] == f"test.s3.localhost:{s3.port}", first
    assert first["url"].startswith("/nightly/.hypersdk-probe-"), first
    assert report["error"]["class"] == "auth" and r.returncode == 6


def test_session_token_is_signed_and_accepted(h, s3, tmp_path):
    h.write_config("targets:\n" + s3_target_yaml("s3", s3, extra="    session_token: tok\n    prefix: p/\n"))
    src = make_file(tmp_path / "f.bin", 4096)
    srv = h.serve()
    job = wait_job(srv, submit_upload(srv, {"target": "s3", "path": str(src)}))
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["url"] == f"{s3.endpoint}/test/p/f.bin"
    assert s3.object_path("p/f.bin").read_bytes() == src.read_bytes()


MIB = 1024 * 1024
SMALL_PARTS = "    multipart_threshold: 5242880\n    part_size: 5242880\n    parallel: 1\n"


def ledger(h):
    """The upload ledger serve keeps in the database: {job_id: [part numbers]}."""
    with sqlite3.connect(f"file:{h.db}?mode=ro", uri=True, timeout=5) as c:
        rows = c.execute("SELECT u.job_id, p.part_number FROM uploads u"
                         " LEFT JOIN upload_parts p ON p.job_id = u.job_id").fetchall()
    out = {}
    for job_id, part in rows:
        out.setdefault(job_id, [])
        if part is not None:
            out[job_id].append(part)
    return out


def part_numbers(entries):
    return [int(parse_qs(urlparse(e["url"]).query)["partNumber"][0]) for e in entries
            if e["method"] == "PUT" and "partNumber=" in e["url"] and e["status"] == 200]


def test_multipart_on_a_server_with_aws_etags_checks_the_parts_etag(h, tmp_path):
    # AWS and Ceph give a completed object the MD5 of its part MD5s; the check takes that
    # kind without the whole file's MD5 (which s3rver's own ETag needs).
    s3 = S3Server(tmp_path, etag="aws")
    try:
        config(h, s3, s3_extra=SMALL_PARTS)
        src = make_file(tmp_path / "aws.img", 12 * MIB)
        srv = h.serve()
        job = wait_job(srv, submit_upload(srv, {"target": "s3", "path": str(src)}))
        assert job["status"] == "succeeded", job["error"]
        assert job["result"]["parts"] == 3 and job["result"]["checked_by"] == "etag-md5"
        assert sha256(s3.object_path("aws.img")) == job["result"]["sha256"] == sha256(src)
        # The server's answer really was AWS's kind: MD5 of the three part MD5s.
        parts = [hashlib.md5(src.read_bytes()[i * 5 * MIB:(i + 1) * 5 * MIB]).digest()
                 for i in range(3)]
        head = subprocess.run(
            ["curl", "-sS", "-f", "-I", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
             "S3RVER:S3RVER", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
             f"{s3.endpoint}/test/aws.img"], capture_output=True, text=True, check=True).stdout
        assert f'etag: "{hashlib.md5(b"".join(parts)).hexdigest()}-3"' in head.lower(), head
        assert srv.stop() == 0
    finally:
        s3.stop()
    # An AWS-kind ETag that is not the file's parts: the upload fails as a conflict.
    (tmp_path / "bad").mkdir()
    s3 = S3Server(tmp_path / "bad", etag="aws-bad")
    try:
        config(h, s3, s3_extra=SMALL_PARTS)
        srv = h.serve()
        job = wait_job(srv, submit_upload(srv, {"target": "s3", "path": str(src)},
                                          retry={"max_retries": 0}))
        assert job["status"] == "failed", job
        assert job["error"]["class"] == "conflict", job["error"]
        assert "differs from the parts'" in job["error"]["message"], job["error"]
        assert srv.stop() == 0
    finally:
        s3.stop()


def test_a_200_mib_file_goes_up_as_parallel_multipart(h, s3, tmp_path):
    config(h, s3)  # defaults: above 64 MiB, 16 MiB parts, 4 at a time
    src = make_file(tmp_path / "big.img", 200 * MIB)
    srv = h.serve()
    job = wait_job(srv, submit_upload(srv, {"target": "s3", "path": str(src)}), timeout=300)
    assert job["status"] == "succeeded", job["error"]
    r = job["result"]
    assert r["parts"] == 13 and r["parts_resumed"] == 0 and r["checked_by"] == "etag-md5"
    assert r["sha256"] == sha256(src) and r["size_bytes"] == 200 * MIB
    log = s3.log()
    assert sorted(part_numbers(log)) == list(range(1, 14))
    assert sum(1 for e in log if e["method"] == "POST" and "uploads" in e["url"]) == 1
    assert sum(1 for e in log if e["method"] == "POST" and "uploadId=" in e["url"]) == 1
    assert sha256(s3.object_path("big.img")) == r["sha256"]
    assert ledger(h) == {}


def test_kill_9_mid_upload_resumes_without_resending_finished_parts(h, s3, tmp_path):
    config(h, s3, s3_extra=SMALL_PARTS)
    src = make_file(tmp_path / "big.img", 40 * MIB)  # 8 parts of 5 MiB, one at a time
    s3.fault(0, match="partNumber", delay_ms=300)  # slow parts: time to kill serve mid-way
    srv = h.serve()
    job_id = submit_upload(srv, {"target": "s3", "path": str(src)})
    numeric = int(job_id.split("-")[-1])
    wait_for(lambda: len(ledger(h).get(numeric, [])) >= 3, timeout=60, what="3 parts in the ledger")
    srv.kill()  # SIGKILL
    done_before = set(ledger(h)[numeric])
    assert 3 <= len(done_before) < 8
    sent_before = len(s3.log())
    s3.clear_faults()
    srv = h.serve()
    job = wait_job(srv, job_id, timeout=120)
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["parts_resumed"] >= len(done_before)
    after = part_numbers(s3.log()[sent_before:])
    assert not (set(after) & done_before), (after, done_before)
    assert set(after) | done_before == set(range(1, 9))
    assert sha256(s3.object_path("big.img")) == sha256(src)
    assert ledger(h) == {}


def test_cancel_aborts_the_multipart_upload(h, s3, tmp_path):
    config(h, s3, s3_extra=SMALL_PARTS)
    src = make_file(tmp_path / "big.img", 30 * MIB)
    s3.fault(0, match="partNumber", delay_ms=300)
    srv = h.serve()
    job_id = submit_upload(srv, {"target": "s3", "path": str(src)})
    numeric = int(job_id.split("-")[-1])
    wait_for(lambda: len(ledger(h).get(numeric, [])) >= 1, timeout=60, what="a part in the ledger")
    status, _, _ = srv.api("POST", f"/api/v1/jobs/{job_id}/cancel")
    assert status == 200
    job = wait_job(srv, job_id)
    assert job["status"] == "cancelled", job
    aborts = wait_for(lambda: [e for e in s3.log() if e["method"] == "DELETE" and "uploadId=" in e["url"]],
                      timeout=10, what="the abort request")
    assert len(aborts) == 1
    assert ledger(h) == {}
    assert not s3.object_path("big.img").exists()


def test_sighup_reloads_targets_and_keeps_them_when_the_new_ones_are_broken(h, tmp_path):
    h.write_config(f"targets:\n  a:\n    kind: dir\n    path: {tmp_path / 'a'}\n")
    srv = h.serve()

    def names():
        status, _, body = srv.api("GET", "/api/v1/targets")
        assert status == 200
        return sorted(t["name"] for t in body["targets"])

    assert names() == ["a"]
    h.write_config(f"targets:\n  a:\n    kind: dir\n    path: {tmp_path / 'a'}\n"
                   f"  b:\n    kind: dir\n    path: {tmp_path / 'b'}\n")
    srv.signal(signal.SIGHUP)
    wait_for(lambda: names() == ["a", "b"], timeout=10, what="target b after SIGHUP")
    # A target the new config cannot build (relative path): the reload fails as a whole and
    # the running targets stay.
    h.write_config(f"targets:\n  c:\n    kind: dir\n    path: relative\n")
    srv.signal(signal.SIGHUP)
    wait_for(lambda: "targets.c.path" in srv.output(), timeout=10, what="the reload error")
    assert names() == ["a", "b"]
