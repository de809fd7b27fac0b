#!/usr/bin/env python3
"""Submit through one node, start on another (issue 17 item 2, LISTEN/NOTIFY; bench/README.md).

Two `hypersdk serve` on one PostgreSQL: node A drained (it claims nothing), node B idle. N noop
jobs are submitted through A's API one at a time, each after the previous one succeeded; the
figure is started_at - created_at of each job (both stamped by the serves on this machine), so
it is the time B took to notice and claim a job A accepted. Then both nodes stay idle for
--idle seconds and the database's committed transactions per second are counted
(pg_stat_database.xact_commit): what the nodes' polling costs the server when nothing happens.

Runs each --bin given (e.g. the previous build and this one) on the same PostgreSQL, one after
the other, with a fresh database each. Runs itself under tests/pg/with_pg.sh when
HYPERSDK_TEST_PG_URL is not set.

Usage: bench/pg_wakeup_bench.py --bin LABEL=PATH [--bin ...] [--jobs N] [--idle S] [--json]
A benchmark: it never fails a build, and is not in ctest.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
WITH_PG = HERE.parent / "tests" / "pg" / "with_pg.sh"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def psql(url, sql):
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                          capture_output=True, text=True, timeout=120,
                          check=True).stdout.strip()


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.005)
    raise SystemExit(f"timed out waiting for {what}")


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def serve(binary, tmp, url, n):
    port = free_port()
    home = tmp / f"home{n}"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    log = open(tmp / f"serve{n}.log", "w")
    proc = subprocess.Popen([binary, "--config", str(tmp / "hypersdk.yaml"), "--db", url, "serve",
                             "--listen", f"127.0.0.1:{port}"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    addr = f"http://127.0.0.1:{port}"

    def up():
        try:
            return http("GET", addr + "/api/v1/health") is not None
        except OSError:
            return False
    wait_for(up, 30, f"serve {n}")
    return proc, addr


def one(label, binary, base, jobs, idle):
    name = "wake_" + uuid.uuid4().hex[:12]
    psql(base, f"CREATE DATABASE {name} TEMPLATE template0")
    url = base.rsplit("/", 1)[0] + "/" + name
    procs = []
    try:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            (tmp / "hypersdk.yaml").write_text("")
            a, b = serve(binary, tmp, url, 0), serve(binary, tmp, url, 1)
            procs = [a[0], b[0]]
            http("POST", a[1] + "/api/v1/cluster/drain", {})
            time.sleep(1)  # both settled (leader taken, first polls done)
            waits = []
            for _ in range(jobs):
                job = http("POST", a[1] + "/api/v1/jobs", {"type": "noop"})
                jid = int("".join(c for c in str(job["id"]) if c.isdigit()))
                row = wait_for(lambda: psql(url, "SELECT created_at, started_at FROM jobs WHERE "
                                                 f"status = 'succeeded' AND id = {jid}"),
                               30, f"job {jid}")
                created, started = (int(x) for x in row.split("|"))
                waits.append(started - created)
            waits.sort()
            q = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
            c0, t0 = int(psql(url, q)), time.monotonic()
            time.sleep(idle)
            c1, t1 = int(psql(url, q)), time.monotonic()
            return {"binary": label, "jobs": jobs,
                    "p50_ms": waits[len(waits) // 2],
                    "p99_ms": waits[min(len(waits) - 1, (len(waits) * 99) // 100)],
                    "max_ms": waits[-1],
                    # Minus the two psql reads of the counter themselves.
                    "idle_xact_per_s": round((c1 - c0 - 1) / (t1 - t0), 1)}
    finally:
        for p in procs:
            p.kill()
            p.wait()
        psql(base, f"DROP DATABASE {name} WITH (FORCE)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", action="append", required=True, help="LABEL=PATH")
    ap.add_argument("--jobs", type=int, default=100)
    ap.add_argument("--idle", type=float, default=10)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    base = os.environ.get("HYPERSDK_TEST_PG_URL")
    if not base:
        os.execv(str(WITH_PG), [str(WITH_PG), sys.executable, *sys.argv])
    rows = []
    for spec in args.bin:
        label, _, path = spec.partition("=")
        rows.append(one(label, path, base, args.jobs, args.idle))
        print(json.dumps(rows[-1]) if args.json else
              f"{label}: submit(A) to start(B) p50 {rows[-1]['p50_ms']} ms, "
              f"p99 {rows[-1]['p99_ms']} ms, max {rows[-1]['max_ms']} ms; idle "
              f"{rows[-1]['idle_xact_per_s']} transactions/s", flush=True)


if __name__ == "__main__":
    main()
