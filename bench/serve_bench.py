#!/usr/bin/python3
"""Throughput of `hypersdk serve` itself, through the real binary (bench/README.md).

drain:  queue_bench fills a fresh database with N noop jobs; `hypersdk serve` is started on it
        (db.synchronous: NORMAL) and timed from exec until every job is `succeeded`, read
        straight from the database. Startup is included.
submit: M noop jobs POSTed to /api/v1/jobs by C clients over keep-alive connections while
        serve's workers run them; timed until the last one has succeeded.
deep:   backlogs of N and D queued noop jobs (seeded by SQL copies of one enqueued row) drained
        by serve, alternating, --repeat times; rate = jobs / (last finish - first start) from
        the jobs' own timestamps; prints the medians and their ratio (issue 18 item 7: the
        deep one must drain at >= 0.8x the rate of the shallow one).

Usage: bench/serve_bench.py [BUILD_DIR] [--jobs N] [--submits M] [--clients C] [--workers W]
                            [--deep D] [--only-deep] [--repeat R]
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def succeeded(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute("SELECT count(*) FROM jobs WHERE status = 'succeeded'").fetchone()[0]
    finally:
        con.close()


def wait_until(pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.005)
    raise SystemExit("timed out")


def start_serve(binary, tmp, db, workers, sync="NORMAL"):
    config = Path(tmp) / "config.yaml"
    config.write_text(f"db:\n  synchronous: {sync}\n"
                      "api:\n  rate_limit:\n    requests_per_second: 1000000\n    burst: 1000000\n"
                      f"workers:\n  count: {workers}\nlog:\n  level: warn\n")
    port = free_port()
    proc = subprocess.Popen([binary, "--config", str(config), "--db", str(db), "serve",
                             "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port


def wait_http(port):
    def up():
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/api/v1/health")
            return c.getresponse().status == 200
        except OSError:
            return False
    wait_until(up, 20)


def bench_drain(build, jobs, workers, sync="NORMAL"):
    """Rate (jobs/s, startup included) of serve draining `jobs` queued noop jobs."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "drain.db"
        subprocess.run([str(build / "queue_bench"), str(jobs), "1", "1", str(db)], check=True,
                       stdout=subprocess.DEVNULL)
        t0 = time.monotonic()
        proc, _ = start_serve(str(build / "hypersdk"), tmp, db, workers, sync)
        try:
            wait_until(lambda: succeeded(db) == jobs, 300)
            elapsed = time.monotonic() - t0
        finally:
            proc.terminate()
            proc.wait()
    print(f"drain through serve ({sync}): {jobs} noop jobs, {workers} workers: {elapsed:.2f} s, "
          f"{jobs / elapsed:,.0f} jobs/s (startup included)")
    return jobs / elapsed


def seed_backlog(build, db, jobs):
    """A backlog of `jobs` queued noop jobs in seconds: queue_bench enqueues one through the
    store (a migrated database, the real row shape), then SQL copies that row."""
    subprocess.run([str(build / "queue_bench"), "1", "1", "1", str(db)], check=True,
                   stdout=subprocess.DEVNULL)
    con = sqlite3.connect(str(db))
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(jobs)")
                if r[1] not in ("id", "idempotency_key")]
        names = ", ".join(cols)
        con.execute(f"WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                    f" INSERT INTO jobs ({names}) SELECT {names} FROM jobs, n WHERE jobs.id = 1",
                    (jobs,))
        con.commit()
        assert con.execute("SELECT count(*) FROM jobs WHERE status = 'queued'").fetchone()[0] == jobs
    finally:
        con.close()


def unfinished(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute("SELECT 1 FROM jobs WHERE status IN ('queued', 'running') LIMIT 1"
                           ).fetchone() is not None
    finally:
        con.close()


def drain_backlog(build, jobs, workers):
    """Drains a seeded backlog of `jobs` queued noop jobs through serve. Returns the rate from
    the first job's start to the last one's finish, as the jobs' own timestamps say (startup
    and polling excluded: at 20,000 jobs they would be a tenth of the time)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "deep.db"
        seed_backlog(build, db, jobs)
        t0 = time.monotonic()
        proc, _ = start_serve(str(build / "hypersdk"), tmp, db, workers)
        try:
            # A cheap poll (one index probe), so the watcher does not slow what it measures.
            while unfinished(db):
                if proc.poll() is not None:
                    raise SystemExit(f"serve exited with {proc.returncode}")
                if time.monotonic() - t0 > 1800:
                    raise SystemExit("timed out")
                time.sleep(0.05)
        finally:
            proc.terminate()
            proc.wait()
        con = sqlite3.connect(str(db))
        try:
            done, first, last = con.execute(
                "SELECT count(*), min(started_at), max(finished_at) FROM jobs"
                " WHERE status = 'succeeded'").fetchone()
        finally:
            con.close()
    if done != jobs:
        raise SystemExit(f"{jobs - done} of {jobs} jobs did not succeed")
    return jobs / ((last - first) / 1000.0)


def bench_deep(build, shallow, deep, workers, repeat):
    """Shallow and deep drains alternate `repeat` times, so a busy spell of the machine falls
    on both; the ratio is of the medians."""
    rates = {shallow: [], deep: []}
    for _ in range(repeat):
        for n in (shallow, deep):
            rates[n].append(drain_backlog(build, n, workers))
    med = {n: statistics.median(r) for n, r in rates.items()}
    for n in (shallow, deep):
        print(f"backlog drain through serve: {n} queued noop jobs, {workers} workers: median "
              f"{med[n]:,.0f} jobs/s (runs: {', '.join(f'{r:,.0f}' for r in rates[n])})")
    ratio = med[deep] / med[shallow]
    print(f"deep/shallow drain rate: {ratio:.2f} (target >= 0.8)")
    return ratio


def bench_submit(build, submits, clients, workers):
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "submit.db"
        proc, port = start_serve(str(build / "hypersdk"), tmp, db, workers)
        try:
            wait_http(port)
            per_client = submits // clients
            errors = []

            def client():
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                body = json.dumps({"type": "noop"})
                for _ in range(per_client):
                    c.request("POST", "/api/v1/jobs", body, {"Content-Type": "application/json"})
                    r = c.getresponse()
                    r.read()
                    if r.status != 201:
                        errors.append(r.status)

            threads = [threading.Thread(target=client) for _ in range(clients)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            accepted = time.monotonic() - t0
            total = per_client * clients
            wait_until(lambda: succeeded(db) == total, 300)
            done = time.monotonic() - t0
        finally:
            proc.terminate()
            proc.wait()
    if errors:
        raise SystemExit(f"{len(errors)} submits failed: {sorted(set(errors))}")
    print(f"HTTP submit through serve: {total} noop jobs, {clients} keep-alive clients: "
          f"{total / accepted:,.0f} submits/s accepted; all succeeded after {done:.2f} s "
          f"({total / done:,.0f} jobs/s end to end)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build", nargs="?", default="build")
    p.add_argument("--jobs", type=int, default=20000)
    p.add_argument("--submits", type=int, default=5000)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--deep", type=int, default=200000,
                   help="backlog drained after one of --jobs, to compare rates (0: skip)")
    p.add_argument("--only-deep", action="store_true", help="run only the backlog comparison")
    p.add_argument("--repeat", type=int, default=3, help="runs of each backlog (median)")
    a = p.parse_args()
    build = Path(a.build).resolve()
    if not a.only_deep:
        bench_drain(build, a.jobs, a.workers)
        bench_submit(build, a.submits, a.clients, a.workers)
    if a.deep:
        bench_deep(build, a.jobs, a.deep, a.workers, a.repeat)


if __name__ == "__main__":
    sys.exit(main())
