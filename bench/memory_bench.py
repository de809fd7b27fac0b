#!/usr/bin/python3
"""Serve's memory (issue 14 item 7): VmRSS (and its anonymous part: the heap, without the
binary's and libraries' mapped pages) of `hypersdk serve` idle on an empty database, then
after N noop jobs have run through it (a backlog added by SQL copies of one enqueued row), then after a second N: flat with history means the second figure
is not above the first by more than noise.

Usage: bench/memory_bench.py [BUILD_DIR] [--jobs N]
"""
import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve_bench  # noqa: E402


def rss(pid):
    """VmRSS, RssAnon and Pss (MB). Pss shares each library page among the processes that map
    it: most of an idle serve's RSS is clean library text that other processes share."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == "Pss":
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def add_backlog(db, jobs):
    """`jobs` more queued copies of job 1 (already run: its copies are queued again)."""
    con = sqlite3.connect(str(db), timeout=30)
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(jobs)")
                if r[1] not in ("id", "idempotency_key", "status", "attempt", "started_at",
                                "finished_at", "lease_owner", "lease_until", "lease_token",
                                "lease_expiries", "cancel_requested", "error_class",
                                "error_message", "errors", "result")]
        names = ", ".join(cols)
        con.execute(f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                    f" INSERT INTO jobs ({names}, status) SELECT {names}, 'queued'"
                    f" FROM jobs, n WHERE jobs.id = 1", (jobs,))
        con.commit()
    finally:
        con.close()


def measure(build, jobs=100_000, log=print):
    build = Path(build)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "mem.db"
        # One job enqueued through the store: a migrated database and the real row shape.
        subprocess.run([str(build / "queue_bench"), "1", "1", "1", str(db)], check=True,
                       stdout=subprocess.DEVNULL)
        proc, port = serve_bench.start_serve(str(build / "hypersdk"), tmp, db, 4)
        try:
            serve_bench.wait_http(port)
            serve_bench.wait_until(lambda: serve_bench.succeeded(db) == 1, 60)
            time.sleep(2)
            res = {"idle": rss(proc.pid)}
            total = 1
            for label in ("after_1", "after_2"):
                add_backlog(db, jobs)
                total += jobs
                serve_bench.wait_until(lambda: serve_bench.succeeded(db) >= total, 900)
                time.sleep(2)
                res[label] = rss(proc.pid)
        finally:
            proc.terminate()
            proc.wait()
    res["jobs_per_round"] = jobs
    log(f"serve memory: idle RSS {res['idle']['VmRSS']} MB (heap {res['idle']['RssAnon']} MB, "
        f"Pss {res['idle']['Pss']} MB); "
        f"after {jobs:,} jobs {res['after_1']['VmRSS']} MB (heap {res['after_1']['RssAnon']}); "
        f"after {2 * jobs:,} {res['after_2']['VmRSS']} MB (heap {res['after_2']['RssAnon']})")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--jobs", type=int, default=100_000)
    a = ap.parse_args()
    print(json.dumps(measure(a.build, a.jobs)))


if __name__ == "__main__":
    main()
