#!/usr/bin/env python3
"""Statements (round trips) and transactions per job through one `hypersdk serve` on
PostgreSQL, counted by the server itself (log_statement = all on the round's database): a
figure that does not move with the machine's load, beside pg_nodes_bench.py's rates (issue 17,
bench/README.md).

For each BUILD_DIR given: a fresh database, N noop jobs queued by `submit --file`, one serve
with 4 workers until all succeeded; then the statements the server logged for that database
(BEGIN/COMMIT included; the script's own few polls too) and the transactions
pg_stat_database counted. --top K also lists the K most frequent statements (what to batch
next).

Usage: tests/pg/with_pg.sh /usr/bin/python3 bench/pg_round_trips.py BUILD [BUILD...]
       [--jobs 2000] [--top 0]
Needs the server log that with_pg.sh writes beside the data directory. A benchmark: not in
ctest.
"""
import argparse
import collections
import os
import re
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path


def psql(url, sql):
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atc", sql], capture_output=True,
                          text=True, check=True, timeout=120).stdout.strip()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def count(build, base, log, jobs, top):
    binary = str(Path(build) / "hypersdk")
    name = "rt_" + uuid.uuid4().hex[:10]
    psql(base, f"CREATE DATABASE {name}")
    url = base.rsplit("/", 1)[0] + "/" + name
    xacts = f"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{name}'"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp) / "hypersdk.yaml"
            cfg.write_text("workers:\n  count: 4\nlog:\n  level: warn\n")
            env = {"HOME": tmp, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
            cli = [binary, "--config", str(cfg), "--db", url]
            subprocess.run(cli + ["db", "migrate"], env=env, check=True, capture_output=True)
            (Path(tmp) / "jobs.jsonl").write_text('{"type": "noop"}\n' * jobs)
            subprocess.run(cli + ["submit", "--file", str(Path(tmp) / "jobs.jsonl")], env=env,
                           check=True, capture_output=True)
            psql(base, f"ALTER DATABASE {name} SET log_statement = 'all'")
            x0 = int(psql(base, xacts))
            offset = log.stat().st_size
            start = time.monotonic()
            serve = subprocess.Popen(cli + ["serve", "--listen", f"127.0.0.1:{free_port()}"],
                                     env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            try:
                while int(psql(url, "SELECT count(*) FROM jobs WHERE status = 'succeeded'")) < jobs:
                    if time.monotonic() - start > 600:
                        raise SystemExit("the jobs did not finish within 600 s")
                    time.sleep(0.2)
                wall = time.monotonic() - start
            finally:
                serve.terminate()
                serve.wait(timeout=30)
            psql(base, f"ALTER DATABASE {name} RESET log_statement")
            time.sleep(1)  # the sessions' statistics reach pg_stat_database as they end
            x1 = int(psql(base, xacts))
    finally:
        psql(base, f"DROP DATABASE {name} WITH (FORCE)")
    with open(log, "rb") as f:
        f.seek(offset)
        lines = [l.split("LOG:  ", 1)[1] for l in f.read().decode("utf-8", "replace").splitlines()
                 if "LOG:  statement:" in l or "LOG:  execute" in l]
    print(f"{build}: {jobs} jobs, {len(lines)} statements ({len(lines) / jobs:.2f}/job),"
          f" {x1 - x0} transactions ({(x1 - x0) / jobs:.2f}/job), {wall:.1f} s wall")
    for text, n in collections.Counter(re.sub(r"\s+", " ", l)[:100] for l in lines).most_common(top):
        print(f"  {n:6d}  {text}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("builds", nargs="+")
    p.add_argument("--jobs", type=int, default=2000)
    p.add_argument("--top", type=int, default=0)
    a = p.parse_args()
    base = os.environ.get("HYPERSDK_TEST_PG_URL")
    if not base:
        raise SystemExit("HYPERSDK_TEST_PG_URL is not set: run under tests/pg/with_pg.sh")
    log = Path(psql(base, "SHOW data_directory")).parent / "server.log"
    for b in a.builds:
        count(Path(b).resolve(), base, log, a.jobs, a.top)


if __name__ == "__main__":
    main()
