#!/usr/bin/env python3
"""Claim+complete through 1, 2 and 3 `hypersdk serve` nodes on one PostgreSQL, beside one serve
on SQLite and the one-row-per-transaction PostgreSQL claim loop, in one run (issue 17,
"Benchmark"; bench/README.md).

Each round gets a fresh database (a new PostgreSQL database, or a new SQLite file), N noop jobs
queued by one `hypersdk submit --file` (one transaction, no server running), then the serves
are started together and timed until every job has succeeded:
  wall:  from the first serve's exec to the poll that saw N succeeded (startup included);
  run:   N / (last finished_at - first started_at), from the jobs' own timestamps, so startup
         and the 50 ms poll do not weigh on it.
The reference loop is build/pg_claim_bench (one row per transaction against batches of
--batch, same PostgreSQL, same run).

Runs itself under tests/pg/with_pg.sh when HYPERSDK_TEST_PG_URL is not set (a throwaway
server with fsync=off and synchronous_commit=off, see that script; SQLite runs with
`db.synchronous: NORMAL`, so neither side waits for the disk at commit).

Usage: bench/pg_nodes_bench.py [BUILD_DIR] [--jobs N] [--workers W] [--nodes 1,2,3]
                               [--batch B] [--json]
A benchmark: it never fails a build, and is not in ctest.
"""
import argparse
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
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


class Db:
    """One round's database: a fresh PostgreSQL database beside base_url's, or a SQLite file."""

    def __init__(self, tmp, base_url=None):
        self.base = base_url
        if base_url:
            self.name = "bench_" + uuid.uuid4().hex[:12]
            psql(base_url, f"CREATE DATABASE {self.name} TEMPLATE template0")
            self.url = base_url.rsplit("/", 1)[0] + "/" + self.name
        else:
            self.url = str(Path(tmp) / "bench.db")

    def query(self, sql):
        if self.base:
            return psql(self.url, sql)
        con = sqlite3.connect(f"file:{self.url}?mode=ro", uri=True, timeout=10)
        try:
            row = con.execute(sql).fetchone()
            return "|".join("" if v is None else str(v) for v in row)
        finally:
            con.close()

    def drop(self):
        if self.base:
            psql(self.base, f"DROP DATABASE {self.name} WITH (FORCE)")


def config(tmp, workers):
    path = Path(tmp) / "hypersdk.yaml"
    path.write_text("db:\n  synchronous: NORMAL\n"
                    "api:\n  rate_limit:\n    requests_per_second: 1000000\n    burst: 1000000\n"
                    f"workers:\n  count: {workers}\nlog:\n  level: warn\n")
    return path


def run_round(binary, tmp, jobs, workers, nodes, base_url=None):
    """Jobs/s of `nodes` serves (`workers` each) draining `jobs` queued noop jobs."""
    db = Db(tmp, base_url)
    cfg = config(tmp, workers)
    env = {"HOME": str(tmp), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    procs = []
    try:
        # The CLI creates no database of its own (only serve and `db migrate` do).
        r = subprocess.run([binary, "--config", str(cfg), "--db", db.url, "db", "migrate"],
                           env=env, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise SystemExit(f"db migrate failed ({r.returncode}): {r.stderr.strip()}")
        batch = Path(tmp) / "jobs.jsonl"
        batch.write_text('{"type": "noop"}\n' * jobs)
        r = subprocess.run([binary, "--config", str(cfg), "--db", db.url, "submit", "--file",
                            str(batch)], env=env, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise SystemExit(f"submit --file failed ({r.returncode}): {r.stderr.strip()}")
        queued = int(db.query("SELECT count(*) FROM jobs WHERE status = 'queued'"))
        if queued != jobs:
            raise SystemExit(f"{queued} jobs queued, expected {jobs}")
        start = time.monotonic()
        for n in range(nodes):
            home = Path(tmp) / f"home{n}"
            home.mkdir(exist_ok=True)
            log = open(Path(tmp) / f"serve{n}.log", "w")
            procs.append(subprocess.Popen(
                [binary, "--config", str(cfg), "--db", db.url, "serve", "--listen",
                 f"127.0.0.1:{free_port()}"], env={**env, "HOME": str(home)},
                stdout=log, stderr=subprocess.STDOUT))
        deadline = start + 600
        while True:
            for n, p in enumerate(procs):
                if p.poll() is not None:
                    tail = (Path(tmp) / f"serve{n}.log").read_text()[-2000:]
                    raise SystemExit(f"serve {n} exited {p.returncode}:\n{tail}")
            done = int(db.query("SELECT count(*) FROM jobs WHERE status = 'succeeded'"))
            if done >= jobs:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"only {done} of {jobs} succeeded after 600 s")
            time.sleep(0.05)
        wall = time.monotonic() - start
        first, last = (int(v) for v in db.query(
            "SELECT min(started_at), max(finished_at) FROM jobs").split("|"))
        return {"wall_s": wall, "wall_per_s": jobs / wall,
                "run_per_s": jobs / max((last - first) / 1000.0, 1e-3)}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        db.drop()


def claim_loop(build, url, jobs, batch):
    """(one row per transaction, batched) claim rates from build/pg_claim_bench."""
    r = subprocess.run([str(build / "pg_claim_bench"), str(jobs), str(batch)],
                       env={**os.environ, "HYPERSDK_TEST_PG_URL": url},
                       capture_output=True, text=True, timeout=600)
    m = re.search(r"one row per transaction (\d+) jobs/s, batches of \d+ (\d+) jobs/s", r.stdout)
    if r.returncode != 0 or not m:
        raise SystemExit(f"pg_claim_bench failed ({r.returncode}): {r.stdout}{r.stderr}")
    return float(m.group(1)), float(m.group(2))


def measure(build, url, jobs=10000, workers=4, nodes=(1, 2, 3), batch=100,
            log=lambda line: None):
    binary = str(build / "hypersdk")
    out = {"jobs": jobs, "workers_per_node": workers, "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        out["sqlite_1"] = run_round(binary, Path(tmp), jobs, workers, 1)
        log(f"sqlite, 1 serve: {out['sqlite_1']['wall_per_s']:,.0f} jobs/s wall, "
            f"{out['sqlite_1']['run_per_s']:,.0f} jobs/s run")
    one, batched = claim_loop(build, url, jobs, batch)
    out["pg_loop_one_row_per_s"], out["pg_loop_batched_per_s"] = one, batched
    log(f"pg_claim_bench: one row per transaction {one:,.0f}/s, batches of {batch} "
        f"{batched:,.0f}/s ({batched / one:.1f}x)")
    for n in nodes:
        with tempfile.TemporaryDirectory() as tmp:
            r = run_round(binary, Path(tmp), jobs, workers, n, url)
        out[f"pg_{n}"] = r
        log(f"postgres, {n} serve(s): {r['wall_per_s']:,.0f} jobs/s wall, "
            f"{r['run_per_s']:,.0f} jobs/s run; run rate {r['run_per_s'] / out['sqlite_1']['run_per_s']:.2f}x "
            f"sqlite, {r['run_per_s'] / one:.1f}x the one-row loop")
    out["load_after"] = os.getloadavg()
    return out


def table(out):
    sq = out["sqlite_1"]["run_per_s"]
    one = out["pg_loop_one_row_per_s"]
    rows = ["| configuration | wall (startup incl.) | run rate | vs SQLite serve | vs one-row PG loop |",
            "| --- | --- | --- | --- | --- |"]

    def line(name, r):
        rows.append(f"| {name} | {r['wall_per_s']:,.0f}/s ({r['wall_s']:.2f} s) | "
                    f"{r['run_per_s']:,.0f}/s | {r['run_per_s'] / sq:.2f}x | "
                    f"{r['run_per_s'] / one:.1f}x |")
    line("SQLite, 1 serve", out["sqlite_1"])
    for k in sorted(k for k in out if k.startswith("pg_") and k[3:].isdigit()):
        line(f"PostgreSQL, {k[3:]} serve(s)", out[k])
    rows.append(f"| pg_claim_bench one row per tx | | {one:,.0f}/s | {one / sq:.2f}x | 1.0x |")
    b = out["pg_loop_batched_per_s"]
    rows.append(f"| pg_claim_bench batched | | {b:,.0f}/s | {b / sq:.2f}x | {b / one:.1f}x |")
    return "\n".join(rows)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build", nargs="?", default="build")
    p.add_argument("--jobs", type=int, default=10000)
    p.add_argument("--workers", type=int, default=4, help="workers per serve")
    p.add_argument("--nodes", default="1,2,3")
    p.add_argument("--batch", type=int, default=100, help="pg_claim_bench's batch size")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    a = p.parse_args()
    url = os.environ.get("HYPERSDK_TEST_PG_URL")
    if not url:
        os.execv(str(WITH_PG), [str(WITH_PG), sys.executable, *sys.argv])
    build = Path(a.build).resolve()
    out = measure(build, url, a.jobs, a.workers, [int(n) for n in a.nodes.split(",")], a.batch,
                  log=(lambda line: print(line, file=sys.stderr, flush=True)))
    if a.json:
        print(json.dumps(out))
    else:
        print(f"{a.jobs} noop jobs, {a.workers} workers per serve, load average "
              f"{out['load_before'][0]:.1f} before, {out['load_after'][0]:.1f} after")
        print(table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
