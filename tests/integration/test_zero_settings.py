"""Settings whose documentation (hypersdk.yaml.example) gives 0 or empty a meaning do what it
says, through the real binary: retention 0 keeps history forever, checkpoint_interval 0 leaves
checkpoints to SQLite without a busy loop, default_timeout 0 means no timeout, an empty
export.dir is exports/ beside the database, no tokens means no auth on loopback, an empty
log.file is stderr, and pruning a large history never holds readiness back. (An empty db.path
is tested as a user in test_serve_basics.py; as root it is /var/lib/hypersdk.)"""
import json
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import pytest

from conftest import wait_for
from ops_support import metric


def make_history(h, n, finished_ago_s):
    """n succeeded jobs that finished `finished_ago_s` ago, copied from one real job."""
    h.run("db", "migrate", check=True)
    h.submit("--type", "noop")
    t = int((time.time() - finished_ago_s) * 1000)
    with sqlite3.connect(h.db) as c:
        c.execute("UPDATE jobs SET status='succeeded', started_at=?1, finished_at=?1, run_at=?1,"
                  " created_at=?1", (t,))
        cols = ("type, status, priority, payload, labels, target, provider, attempt, max_retries,"
                " retry_policy, timeout_ms, run_at, created_at, started_at, finished_at")
        c.execute(f"WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)"
                  f" INSERT INTO jobs ({cols}) SELECT {cols} FROM jobs, n WHERE jobs.id = 1", (n,))
    assert count_jobs(h) == n


def count_jobs(h):
    with sqlite3.connect(h.db) as c:
        return c.execute("SELECT count(*) FROM jobs").fetchone()[0]


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("setting", ["finished_jobs: 0", "max_finished_jobs: 0",
                                     "finished_jobs: 0\n  max_finished_jobs: 0"])
def test_retention_zero_keeps_every_finished_job(h, setting):
    h.write_config("log:\n  level: debug\nretention:\n  " + setting + "\n")
    make_history(h, 1000, finished_ago_s=3600)  # within the default 30d, under the default 100000
    srv = h.serve()
    if "\n" in setting:
        # Nothing to prune: no pruner at all, and serve says so.
        wait_for(lambda: "finished jobs are kept forever" in srv.output(), timeout=10,
                 what="the keep-forever notice")
        time.sleep(3)  # past the pruner's first pass, had there been one
    else:
        # A pass of the pruner, or (the bug) history going.
        wait_for(lambda: "retention pass done" in srv.output() or count_jobs(h) < 1000, timeout=20,
                 what="a pass of the pruner")
    assert count_jobs(h) == 1000, srv.output()
    assert srv.stop() == 0


def test_retention_prunes_when_set(h):
    """The control: the same history is pruned by a real bound, so the test above would see it."""
    h.write_config("log:\n  level: debug\nretention:\n  finished_jobs: 1m\n  max_finished_jobs: 0\n")
    make_history(h, 1000, finished_ago_s=3600)
    srv = h.serve()
    wait_for(lambda: "retention pass done" in srv.output(), timeout=20, what="a pass of the pruner")
    assert count_jobs(h) == 0


def test_serve_is_ready_at_once_whatever_the_history(h):
    """Pruning 200,000 finished jobs happens in the background: /ready answers 200 within 200 ms
    of the API coming up, and jobs run while the pruner works."""
    h.write_config("retention:\n  finished_jobs: 1m\n")
    make_history(h, 200_000, finished_ago_s=3600)
    srv = h.serve()  # returns when /health first answers
    t0 = time.monotonic()
    wait_for(lambda: srv.request("GET", "/api/v1/ready")[0] == 200, timeout=5, interval=0.01,
             what="readiness")
    assert time.monotonic() - t0 < 0.2
    status, _, body = srv.api("POST", "/api/v1/jobs", {"type": "noop"})
    assert status == 201, body
    wait_for(lambda: srv.api("GET", f"/api/v1/jobs/{body['id']}")[2]["status"] == "succeeded",
             timeout=20, what="a job to run while pruning")
    wait_for(lambda: count_jobs(h) == 1, timeout=60, what="the old history to be pruned")


def test_checkpoint_interval_zero_does_not_spin(h):
    h.write_config("db:\n  checkpoint_interval: 0\n")
    srv = h.serve()
    time.sleep(0.5)
    before = cpu_seconds(srv.proc.pid)
    time.sleep(3)
    used = cpu_seconds(srv.proc.pid) - before
    assert used < 0.3, f"idle serve used {used:.2f} s of CPU in 3 s"
    # SQLite's own checkpoints still keep the database usable.
    jid = h.submit("--type", "noop")
    wait_for(lambda: h.json("query", "--id", jid)["status"] == "succeeded", timeout=20,
             what="a job on a serve without its own checkpointer")
    assert srv.stop() == 0


def test_default_timeout_zero_means_no_timeout(h):
    h.write_config("jobs:\n  default_timeout: 0\n  exec:\n    enabled: true\n")
    srv = h.serve()
    jid = h.submit("--type", "exec", "--", "/bin/sleep", "2")
    wait_for(lambda: h.json("query", "--id", jid)["status"] in ("succeeded", "failed"), timeout=30,
             what="the exec job to end")
    assert h.json("query", "--id", jid)["status"] == "succeeded"
    assert srv.stop() == 0


def test_empty_export_dir_is_exports_beside_the_database(h):
    """export.dir "" = exports/ beside the database: with the database on /dev/shm (a tmpfs),
    the export filesystem the metrics report is that tmpfs, not the one of the test's tmp."""
    shm = Path(tempfile.mkdtemp(dir="/dev/shm"))
    try:
        shm_size = os.statvfs(shm).f_blocks * os.statvfs(shm).f_frsize
        tmp_size = os.statvfs(h.tmp).f_blocks * os.statvfs(h.tmp).f_frsize
        assert shm_size != tmp_size, "/dev/shm and the temp dir have the same size: cannot tell"
        h.db = shm / "hypersdk.db"
        h.write_config('export:\n  dir: ""\n')
        srv = h.serve()
        size = metric(srv, 'hypersdk_filesystem_size_bytes{path_kind="export"}')
        assert size == shm_size, (size, shm_size, tmp_size)
        assert srv.stop() == 0
    finally:
        shutil.rmtree(shm, ignore_errors=True)


def test_empty_tokens_and_log_file_mean_no_auth_on_loopback_and_stderr(h):
    h.write_config('api:\n  tokens: []\nlog:\n  file: ""\n  format: json\n')
    srv = h.serve()
    status, _, body = srv.api("GET", "/api/v1/jobs")  # no Authorization header
    assert status == 200, body
    # The log went to serve's stderr (captured by the harness), as JSON lines.
    listening = [json.loads(l) for l in srv.output().splitlines() if '"API listening"' in l]
    assert listening and listening[0]["auth"] == "none"
    assert srv.stop() == 0
