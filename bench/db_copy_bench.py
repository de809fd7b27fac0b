#!/usr/bin/python3
"""`hypersdk db copy` of a big history into PostgreSQL (issue 17 item 3).

seed:  history_bench.seed: the real row shape (one job submitted through the CLI, copied by
       SQL), --jobs finished jobs, 5% failed with their dead letters, each with a log chunk of
       --lines lines of output.
copy:  `hypersdk db copy --from DB --to postgres://.../fresh --json`, as a whole process, into
       a new database each run (CREATE DATABASE); wall time, CPU of the hypersdk process, rows
       and rows/s, and the row counts it checked.
Needs a PostgreSQL: run it under tests/pg/with_pg.sh (HYPERSDK_TEST_PG_URL).

Usage: tests/pg/with_pg.sh bench/db_copy_bench.py [BUILD_DIR] [--jobs N] [--lines L] [--runs R]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import history_bench  # noqa: E402


def psql(url, sql):
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True,
                   capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--lines", type=int, default=20)
    ap.add_argument("--runs", type=int, default=2)
    a = ap.parse_args()
    base = os.environ.get("HYPERSDK_TEST_PG_URL")
    if not base:
        sys.exit("HYPERSDK_TEST_PG_URL is not set: run under tests/pg/with_pg.sh")
    binary = str(Path(a.build).resolve() / "hypersdk")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "history.db"
        t = time.monotonic()
        history_bench.seed(binary, db, a.jobs, a.lines)
        size = db.stat().st_size
        print(f"seeded {a.jobs:,} jobs x {a.lines} lines: {size / 1e6:.0f} MB of SQLite"
              f" in {time.monotonic() - t:.0f} s", flush=True)
        for run in range(1, a.runs + 1):
            name = f"copy_bench_{run}"
            psql(base, f"DROP DATABASE IF EXISTS {name}")
            psql(base, f"CREATE DATABASE {name} TEMPLATE template0")
            url = base.rsplit("/", 1)[0] + "/" + name
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.monotonic()
            r = subprocess.run([binary, "db", "copy", "--from", str(db), "--to", url, "--json"],
                               capture_output=True, text=True)
            wall = time.monotonic() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if r.returncode != 0:
                sys.exit(f"db copy exited {r.returncode}: {r.stderr}")
            rep = json.loads(r.stdout)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            counts = {t["table"]: t["postgresql"] for t in rep["tables"] if t["postgresql"]}
            print(f"run {run}: {rep['rows']:,} rows in {wall:.1f} s wall"
                  f" ({rep['rows'] / wall:,.0f} rows/s, {size / 1e6 / wall:.1f} MB/s of SQLite),"
                  f" hypersdk CPU {cpu:.1f} s; counts checked: {counts}", flush=True)
            psql(base, f"DROP DATABASE {name}")


if __name__ == "__main__":
    main()
