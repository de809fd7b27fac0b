#!/usr/bin/python3
"""A year of history (issue 14 item 5): reads on a database of 1,000,000 finished jobs with logs.

seed:    `hypersdk db migrate` and one `hypersdk submit --type noop` through the real CLI (the
         real row shape), then SQL copies of that row in big transactions: 95% succeeded, 5%
         failed with their dead letters (the operator's review list), every job with a log chunk
         of --lines lines. The point is the reads, not the writes.
list:    `hypersdk list --status=failed --limit 50`, as a whole process, under hyperfine (no
         server running: the CLI reads the database directly); [mean, median, min, CPU] ms,
         beside `hypersdk --version` (the process start alone).
query:   `hypersdk query --id j-N` of a job in the middle of the history, likewise.
api:     `GET /api/v1/jobs?status=failed` (50 by default) through `hypersdk serve` on that
         database: hyperfine of curl (one process per request: the figure includes curl's
         start) and wrk (requests/s and p99 over keep-alive connections).
ready:   serve's start to the first 200 of /api/v1/ready (polled every 2 ms), median of --starts.
size:    bytes of database (file + WAL) per job.

Usage: bench/history_bench.py [BUILD_DIR] [--jobs N] [--lines L] [--keep DB] [--seconds S]
"""
import argparse
import http.client
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve_bench  # noqa: E402

CHUNK = 100_000  # rows per INSERT transaction while seeding
FAILED_EVERY = 20  # 5% of the jobs failed


def seed(binary, db, jobs, lines):
    subprocess.run([binary, "--db", str(db), "db", "migrate"], check=True, capture_output=True)
    subprocess.run([binary, "--local", "--db", str(db), "submit", "--type", "noop"], check=True,
                   capture_output=True)
    con = sqlite3.connect(str(db))
    try:
        con.execute("PRAGMA synchronous=OFF")
        cols = [r[1] for r in con.execute("PRAGMA table_info(jobs)")
                if r[1] not in ("id", "idempotency_key", "status", "started_at", "finished_at",
                                "attempt", "created_at", "run_at", "error_class",
                                "error_message", "errors", "result")]
        names = ", ".join(cols)
        now = int(time.time() * 1000)
        t0 = now - 365 * 86_400_000  # a year, evenly
        step = 365 * 86_400_000 // jobs
        error = json.dumps([{"attempt": 1, "class": "internal",
                             "message": "exit status 1: backup.sh: snapshot failed"}])
        line = "copied 1048576 bytes of disk-0.vmdk to /var/backups/prod-web-01"
        chunk = json.dumps([[0, "stdout", line]] * lines)
        for lo in range(1, jobs + 1, CHUNK):
            hi = min(jobs, lo + CHUNK - 1)
            # Row 1 is the submitted job itself: it is rewritten like the others.
            con.execute(
                f"WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                f" INSERT OR REPLACE INTO jobs (id, status, started_at, finished_at, attempt,"
                f" created_at, run_at, error_class, error_message, errors, result, {names})"
                f" SELECT n.i, CASE WHEN n.i % {FAILED_EVERY} = 0 THEN 'failed' ELSE 'succeeded' END,"
                f" ?3 + n.i * ?4 + 50, ?3 + n.i * ?4 + 1050, 1, ?3 + n.i * ?4, ?3 + n.i * ?4,"
                f" CASE WHEN n.i % {FAILED_EVERY} = 0 THEN 'internal' END,"
                f" CASE WHEN n.i % {FAILED_EVERY} = 0 THEN 'exit status 1' END,"
                f" CASE WHEN n.i % {FAILED_EVERY} = 0 THEN ?5 ELSE '[]' END, '', {names}"
                f" FROM (SELECT {names} FROM jobs WHERE id = 1), n",
                (lo, hi, t0, step, error))
            con.execute(
                f"WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                f" INSERT INTO dead_letters (job_id, reason, error_class, error_message, created_at)"
                f" SELECT n.i, 'non_retryable', 'internal', 'exit status 1', ?3 + n.i * ?4 + 1050"
                f" FROM n WHERE n.i % {FAILED_EVERY} = 0", (lo, hi, t0, step))
            con.execute(
                "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                " INSERT INTO job_log_chunks (job_id, first_seq, last_seq, lines)"
                " SELECT n.i, 1, ?, ? FROM n", (lo, hi, lines, chunk))
            con.commit()
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


def hyperfine(cmd, runs=30):
    """(mean, median, min, mean CPU user+system) seconds of `cmd` (a list) as a whole process.
    Under `chrt -r 10` when allowed (root): on a machine shared with builds at load 10+, wall
    time is mostly waiting for a core; the CPU time is the load-free figure beside it."""
    rt = ["chrt", "-r", "10"] if os.geteuid() == 0 and shutil.which("chrt") else []
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(rt + ["hyperfine", "-N", "--warmup", "3", "--runs", str(runs),
                             "--export-json", out.name, " ".join(cmd)], check=True,
                       capture_output=True)
        r = json.load(open(out.name))["results"][0]
    return r["mean"], r["median"], r["min"], r["user"] + r["system"]


def start_to_ready(binary, tmp, db, config, starts):
    times = []
    for _ in range(starts):
        port = serve_bench.free_port()
        t0 = time.monotonic()
        proc = subprocess.Popen([binary, "--config", str(config), "--db", str(db), "serve",
                                 "--listen", f"127.0.0.1:{port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def ready():
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    c.request("GET", "/api/v1/ready")
                    return c.getresponse().status == 200
                except OSError:
                    return False
            deadline = time.monotonic() + 30
            while not ready():
                if time.monotonic() > deadline:
                    raise SystemExit("serve did not become ready in 30 s")
                time.sleep(0.002)
            times.append(time.monotonic() - t0)
        finally:
            proc.terminate()
            proc.wait()
    return statistics.median(times), min(times), max(times)


def measure(build, jobs=1_000_000, lines=10, keep=None, seconds=5, starts=5, log=print):
    binary = str(Path(build).resolve() / "hypersdk")
    tmp = tempfile.mkdtemp(prefix="history-bench-")
    try:
        db = Path(keep) if keep else Path(tmp) / "history.db"
        if not db.exists():
            t = time.monotonic()
            seed(binary, db, jobs, lines)
            log(f"seeded {jobs:,} jobs with {lines} log lines each in {time.monotonic() - t:.1f} s")
        with sqlite3.connect(str(db)) as con:
            jobs = con.execute("SELECT count(*) FROM jobs").fetchone()[0]
        size = db.stat().st_size + sum(p.stat().st_size for p in [Path(str(db) + "-wal")]
                                       if p.exists())
        config = Path(tmp) / "config.yaml"
        config.write_text("db:\n  synchronous: NORMAL\n"
                          "retention:\n  finished_jobs: 0\n  max_finished_jobs: 0\n"
                          "api:\n  rate_limit:\n    requests_per_second: 1000000\n"
                          "    burst: 1000000\nworkers:\n  count: 4\nlog:\n  level: warn\n")
        base = [binary, "--config", str(config), "--db", str(db)]
        res = {"jobs": jobs, "bytes_per_job": round(size / jobs)}
        res["list_ms"] = [round(x * 1000, 1) for x in
                          hyperfine(base + ["list", "--status=failed", "--limit", "50"])]
        res["query_ms"] = [round(x * 1000, 1) for x in
                           hyperfine(base + ["query", "--id", f"j-{jobs // 2}"])]
        res["version_ms"] = [round(x * 1000, 1) for x in hyperfine([binary, "--version"])]
        med, lo, hi = start_to_ready(binary, tmp, db, config, starts)
        res["ready_ms"] = [round(med * 1000), round(lo * 1000), round(hi * 1000)]
        port = serve_bench.free_port()
        proc = subprocess.Popen(base + ["serve", "--listen", f"127.0.0.1:{port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            serve_bench.wait_http(port)
            url = f"http://127.0.0.1:{port}/api/v1/jobs?status=failed"
            out = subprocess.run(["curl", "-s", url], check=True, capture_output=True).stdout
            json.loads(out)  # an answer, not an error page
            res["api_curl_ms"] = [round(x * 1000, 1) for x in hyperfine(["curl", "-sf", url])]
            if shutil.which("wrk"):
                w = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", url],
                                   check=True, capture_output=True, text=True).stdout
                rps = float(re.search(r"Requests/sec:\s+([\d.]+)", w).group(1))
                p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", w)
                res["api_wrk_rps"] = round(rps)
                res["api_wrk_p99_ms"] = round(
                    float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)], 2)
        finally:
            proc.terminate()
            proc.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"history: {jobs:,} jobs, {res['bytes_per_job']} bytes/job; list --status=failed "
        f"{res['list_ms'][1]} ms (CPU {res['list_ms'][3]}), query {res['query_ms'][1]} ms (CPU "
        f"{res['query_ms'][3]}) (medians; `--version` {res['version_ms'][1]} ms, CPU "
        f"{res['version_ms'][3]}); GET /api/v1/jobs?status=failed: curl {res['api_curl_ms'][1]}"
        f" ms, wrk {res.get('api_wrk_rps')}/s p99 {res.get('api_wrk_p99_ms')} ms; serve start to "
        f"ready {res['ready_ms'][0]} ms")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--jobs", type=int, default=1_000_000)
    ap.add_argument("--lines", type=int, default=10)
    ap.add_argument("--keep", help="seed this database once and reuse it on later runs")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--starts", type=int, default=5)
    a = ap.parse_args()
    print(json.dumps(measure(a.build, a.jobs, a.lines, a.keep, a.seconds, a.starts)))


if __name__ == "__main__":
    main()
