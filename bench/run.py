#!/usr/bin/python3
"""`make bench`: every benchmark of issue 14 that exists, side by side with its reference
measured in the same run, as one table; the results are appended to bench/RESULTS.md.

Benchmarks measure; they never fail. Each hypersdk figure is read as a ratio against a
reference from the same run (the raw SQLite ceiling, beanstalkd, nginx), because these
machines are noisy: the raw ceiling itself moves by 3x between two machines of the same kind.

Usage: bench/run.py [BUILD_DIR] [--jobs N] [--seconds S] [--no-record]
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve_bench  # noqa: E402  (start_serve, wait_http, bench_drain)
import workflow_bench  # noqa: E402  (measure: 1,000-step workflows against plain jobs)
import schedule_bench  # noqa: E402  (measure: 100,000 schedules in serve)
import history_bench  # noqa: E402  (measure: reads on 1,000,000 finished jobs)
import memory_bench  # noqa: E402  (measure: serve's RSS idle and after jobs)

HERE = Path(__file__).resolve().parent


def raw_sqlite(build, jobs, sync):
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([str(build / "raw_sqlite_bench"), str(jobs), sync, tmp],
                             check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def in_process(build, jobs, sync):
    out = subprocess.run([str(build / "queue_bench"), "--json", f"--sync={sync}", str(jobs)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def beanstalkd(jobs, clients=4):
    """put, then reserve+delete, `jobs` times over `clients` connections, against beanstalkd
    with its binlog on and an fsync on every write (-b DIR -f 0). Returns (put/s, reserve+delete/s)."""
    if not shutil.which("beanstalkd"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        port = serve_bench.free_port()
        proc = subprocess.Popen(["beanstalkd", "-l", "127.0.0.1", "-p", str(port), "-b", tmp,
                                 "-f", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            serve_bench.wait_until(lambda: _connectable(port), 10)

            def run(work):
                threads = [threading.Thread(target=work, args=(port, jobs // clients))
                           for _ in range(clients)]
                t0 = time.monotonic()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                return (jobs // clients * clients) / (time.monotonic() - t0)

            return run(_bs_put), run(_bs_reserve_delete)
        finally:
            proc.terminate()
            proc.wait()


def _connectable(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _bs_line(f):
    line = f.readline()
    if not line:
        raise SystemExit("beanstalkd closed the connection")
    return line


def _bs_put(port, n):
    with socket.create_connection(("127.0.0.1", port)) as s, s.makefile("rwb") as f:
        for _ in range(n):
            f.write(b'put 0 0 60 15\r\n{"type":"noop"}\r\n')
            f.flush()
            assert _bs_line(f).startswith(b"INSERTED")


def _bs_reserve_delete(port, n):
    with socket.create_connection(("127.0.0.1", port)) as s, s.makefile("rwb") as f:
        for _ in range(n):
            f.write(b"reserve-with-timeout 5\r\n")
            f.flush()
            head = _bs_line(f).split()
            assert head[0] == b"RESERVED", head
            f.read(int(head[2]) + 2)
            f.write(b"delete " + head[1] + b"\r\n")
            f.flush()
            assert _bs_line(f).startswith(b"DELETED")


def wrk(url, seconds, connections, script=None):
    """(requests/s of 2xx answers, p99 latency in ms) from wrk, or None without wrk."""
    if not shutil.which("wrk"):
        return None
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        args += ["-s", str(script)]
    out = subprocess.run(args + [url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = int(bad.group(1)) if bad else 0
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return rps * (total - bad) / max(total, 1), float(p99.group(1)) * scale


def http_submits(build, seconds, connections, workers):
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "submit.db"
        proc, port = serve_bench.start_serve(str(build / "hypersdk"), tmp, db, workers, "FULL")
        try:
            serve_bench.wait_http(port)
            return wrk(f"http://127.0.0.1:{port}/api/v1/jobs", seconds, connections,
                       HERE / "wrk_submit.lua")
        finally:
            proc.terminate()
            proc.wait()


def bulk_submits(build, seconds, clients=4, batch=1000):
    """Jobs/s queued through POST /api/v1/jobs:batch by `clients` keep-alive clients posting
    `batch` noop jobs each time, FULL, for `seconds`; every answer is checked."""
    import threading
    body = json.dumps([{"type": "noop"}] * batch)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bulk.db"
        proc, port = serve_bench.start_serve(str(build / "hypersdk"), tmp, db, 1, "FULL")
        try:
            serve_bench.wait_http(port)
            done = [0] * clients
            stop = time.monotonic() + seconds

            def client(i):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                while time.monotonic() < stop:
                    c.request("POST", "/api/v1/jobs:batch", body,
                              {"Content-Type": "application/json"})
                    r = c.getresponse()
                    answer = json.loads(r.read())
                    if r.status != 200 or answer["accepted"] != batch:
                        raise RuntimeError(f"batch refused: {r.status} {str(answer)[:200]}")
                    done[i] += batch

            start = time.monotonic()
            threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return sum(done) / (time.monotonic() - start)
        finally:
            proc.terminate()
            proc.wait()


def submit_to_start(build, samples, workers, sync="FULL"):
    """p50/p99 (ms) from a submit to its job's start with idle workers, from the jobs' own
    created_at/started_at (millisecond resolution). created_at is taken before the submit's
    commit, so with FULL the figure includes that commit's fsync; NORMAL shows the wake-up
    and claim alone (an in-process submit notifies the pool directly)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "latency.db"
        proc, port = serve_bench.start_serve(str(build / "hypersdk"), tmp, db, workers, sync)
        try:
            serve_bench.wait_http(port)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(samples):
                c.request("POST", "/api/v1/jobs", '{"type":"noop"}',
                          {"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                time.sleep(0.01)  # the workers are idle again before the next one
            serve_bench.wait_until(lambda: serve_bench.succeeded(db) == samples, 60)
        finally:
            proc.terminate()
            proc.wait()
        con = sqlite3.connect(str(db))
        lat = sorted(r[0] for r in con.execute("SELECT started_at - created_at FROM jobs"))
        con.close()
    return statistics.median(lat), lat[int(len(lat) * 0.99) - 1]


def api_vs_nginx(build, seconds):
    """wrk against /api/v1/health and a 50-job listing, and against nginx serving files of the
    same bodies: {"health": (ours, theirs), "list50": (ours, theirs)}, each (req/s, p99 ms)."""
    if not shutil.which("nginx") or not shutil.which("wrk"):
        return None
    paths = {"health": "/api/v1/health", "list50": "/api/v1/jobs?limit=50"}
    ours, bodies = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "api.db"
        proc, port = serve_bench.start_serve(str(build / "hypersdk"), tmp, db, 4)
        try:
            serve_bench.wait_http(port)
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            for _ in range(50):
                c.request("POST", "/api/v1/jobs", body=b'{"type": "noop"}',
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                assert r.status in (200, 201, 202), r.status
            for name, path in paths.items():
                # A fresh connection: the last one idled past keep-alive during wrk.
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", path)
                bodies[name] = c.getresponse().read()
                ours[name] = wrk(f"http://127.0.0.1:{port}{path}", seconds, 32)
        finally:
            proc.terminate()
            proc.wait()
        root = Path(tmp) / "www"
        root.mkdir()
        for name, body in bodies.items():
            (root / name).write_bytes(body)
        os.chmod(tmp, 0o755)
        nport = serve_bench.free_port()
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(f"""daemon off; worker_processes auto; pid {tmp}/nginx.pid;
error_log {tmp}/error.log; events {{ worker_connections 1024; }}
http {{ access_log off; server {{ listen 127.0.0.1:{nport}; root {root};
  location / {{ default_type application/json; }} }} }}
""")
        ng = subprocess.Popen(["nginx", "-c", str(conf), "-p", tmp], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        try:
            serve_bench.wait_until(lambda: _connectable(nport), 10)
            theirs = {name: wrk(f"http://127.0.0.1:{nport}/{name}", seconds, 32) for name in paths}
        finally:
            ng.terminate()
            ng.wait()
    return {name: (ours[name], theirs[name]) for name in paths}


def pg_nodes(build):
    """bench/pg_nodes_bench.py under its own throwaway PostgreSQL, or None (no PostgreSQL)."""
    r = subprocess.run([sys.executable, str(HERE / "pg_nodes_bench.py"), str(build), "--json"],
                       stdout=subprocess.PIPE, text=True, timeout=900)
    if r.returncode != 0:
        print("  pg_nodes_bench did not run (see above); not measured")
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def machine():
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{platform.node()}, {os.cpu_count()} cores, {cpu}"


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build", nargs="?", default="build")
    p.add_argument("--jobs", type=int, default=20000)
    p.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    p.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    a = p.parse_args()
    build = Path(a.build).resolve()
    rows = []  # (benchmark, figure, reference, ratio, target)

    def row(name, value, unit, ref_name=None, ref=None, target=None):
        ratio = f"{value / ref:.2f}x" if ref else ""
        ref_text = f"{ref_name} {ref:,.0f}{unit}" if ref else (ref_name or "")
        rows.append((name, f"{value:,.0f}{unit}", ref_text, ratio, target or ""))
        print(f"  {name}: {value:,.0f}{unit} {ref_text} {ratio}", flush=True)

    print("queue ceiling and peers", flush=True)
    raw = {s: raw_sqlite(build, a.jobs, s) for s in ("FULL", "NORMAL")}
    bs = beanstalkd(a.jobs)
    for s in ("FULL", "NORMAL"):
        ref = raw[s]["claim_complete_per_s"]
        row(f"raw SQLite insert, 1 tx each ({s})", raw[s]["insert_per_s"], "/s")
        row(f"raw SQLite claim+complete, 1 tx each ({s})", ref, "/s")
        inp = in_process(build, a.jobs, s)
        row(f"in-process drain ({s})", inp["drain_per_s"], "/s", "raw claim+complete", ref,
            ">= 2x")
        drain = serve_bench.bench_drain(build, a.jobs, 8, s)
        row(f"serve drain ({s})", drain, "/s", "raw claim+complete", ref, ">= 1.5x")
        if bs:
            row(f"serve drain ({s}) vs beanstalkd", drain, "/s", "beanstalkd reserve+delete",
                bs[1], "> 1x")
    if bs:
        row("beanstalkd put (binlog, fsync each)", bs[0], "/s")

    print("HTTP submits, 32 keep-alive clients, FULL", flush=True)
    sub = http_submits(build, a.seconds, 32, 8)
    if sub:
        row("HTTP single submits (FULL)", sub[0], "/s", "raw insert FULL",
            raw["FULL"]["insert_per_s"], ">= 2.5x")
        if bs:
            row("HTTP single submits (FULL) vs beanstalkd", sub[0], "/s", "beanstalkd put",
                bs[0], "> 1x")
        row("HTTP submit p99 latency", sub[1], " ms")

    print("HTTP bulk submits, 4 clients x 1000 jobs per request, FULL", flush=True)
    bulk = bulk_submits(build, a.seconds)
    row("HTTP bulk submits (FULL)", bulk, " jobs/s", "raw insert FULL",
        raw["FULL"]["insert_per_s"], ">= 10x")

    print("submit to start, idle workers", flush=True)
    for s in ("FULL", "NORMAL"):
        p50, p99 = submit_to_start(build, 200, 8, s)
        row(f"submit-to-start p50 ({s})", p50, " ms", target="<= 2 ms")
        row(f"submit-to-start p99 ({s})", p99, " ms", target="<= 20 ms")

    print("API against nginx", flush=True)
    api = api_vs_nginx(build, a.seconds)
    if api:
        (ours, our_p99), (theirs, _) = api["health"]
        row("GET /api/v1/health", ours, " req/s", "nginx static", theirs, ">= 0.5x")
        row("GET /api/v1/health p99", our_p99, " ms", target="<= 5 ms")
        (ours, our_p99), (theirs, their_p99) = api["list50"]
        row("GET /api/v1/jobs?limit=50", ours, " req/s", "nginx static", theirs)
        row("GET /api/v1/jobs?limit=50 p99", our_p99, " ms", "nginx", their_p99)

    print("1,000-step noop workflows against 1,000 plain noop jobs, serve --workers 4", flush=True)
    wf = workflow_bench.measure(build, ("chain", "fanout"), log=lambda line: print("  " + line))
    for shape in ("chain", "fanout"):
        row(f"workflow {shape}: submit 1,000 steps", wf[shape]["submit_ms"], " ms",
            target="<= 100 ms")
        row(f"workflow {shape}: per step ({wf[shape]['status']})",
            wf[shape]["per_step_ms"] * 1000, " us", "plain noop job", wf["plain_ms"] * 1000,
            "<= 2x")

    print("100,000 schedules in serve, 10,000 firing in one minute", flush=True)
    sc = schedule_bench.measure(build, log=lambda line: print("  " + line))
    row("100k schedules: load", sc["load_ms"], " ms", target="<= 1000 ms")
    row("100k schedules: RSS", sc["rss_mb"], " MB", target="<= 64 MB")
    row("100k schedules: idle CPU", sc["idle_cpu_pct"] * 10, " ms CPU/s",
        target="<= 10 ms/s (1%)")
    row("10k due in one minute: fire lateness p50", sc["fire_lateness_p50_ms"], " ms")
    row("10k due in one minute: fire lateness p99", sc["fire_lateness_p99_ms"], " ms",
        target="<= 100 ms")

    print("1,000,000 finished jobs with logs: reads as whole processes", flush=True)
    hi = history_bench.measure(build, log=lambda line: print("  " + line))
    row("1M history: list --status=failed --limit 50", hi["list_ms"][1], " ms",
        "hypersdk --version", hi["version_ms"][1], "<= 30 ms")
    row("1M history: query --id", hi["query_ms"][1], " ms", "hypersdk --version",
        hi["version_ms"][1], "<= 20 ms")
    row("1M history: GET /api/v1/jobs?status=failed (curl)", hi["api_curl_ms"][1], " ms")
    if "api_wrk_rps" in hi:
        row("1M history: GET /api/v1/jobs?status=failed (wrk, 8 conns)", hi["api_wrk_rps"],
            " req/s")
    row("1M history: serve start to ready", hi["ready_ms"][0], " ms", target="<= 200 ms")
    row("1M history: database bytes per job", hi["bytes_per_job"], " B")

    print("serve memory, idle and after 2 x 100,000 noop jobs", flush=True)
    mem = memory_bench.measure(build, 100_000, log=lambda line: print("  " + line))
    row("serve RSS idle", mem["idle"]["VmRSS"], " MB", target="<= 20 MB")
    row("serve RSS after 100k jobs", mem["after_1"]["VmRSS"], " MB", target="<= 40 MB")
    row("serve RSS after 200k jobs", mem["after_2"]["VmRSS"], " MB", target="flat")

    print("claim+complete through 1/2/3 serves on one PostgreSQL (pg_nodes_bench)", flush=True)
    pg = pg_nodes(build)
    if pg:
        sq = pg["sqlite_1"]["run_per_s"]
        for n in (1, 2, 3):
            row(f"PostgreSQL, {n} serve(s): drain", pg[f"pg_{n}"]["run_per_s"], "/s",
                "SQLite, 1 serve", sq)
        row("PostgreSQL, 1 serve vs one-row PG claim loop", pg["pg_1"]["run_per_s"], "/s",
            "one row per tx", pg["pg_loop_one_row_per_s"])
        row("pg_claim_bench batched claims", pg["pg_loop_batched_per_s"], "/s",
            "one row per tx", pg["pg_loop_one_row_per_s"], ">= 10x")

    missing = [t for t in ("beanstalkd", "wrk", "nginx") if not shutil.which(t)]
    table = ["| benchmark | hypersdk | reference (same run) | ratio | target |",
             "| --- | --- | --- | --- | --- |"]
    table += [f"| {' | '.join(r)} |" for r in rows]
    print("\n" + "\n".join(table))
    if missing:
        print(f"\nnot measured (missing: {', '.join(missing)}; `make bench` installs them)")
    if not a.no_record:
        head = (f"\n## {datetime.date.today()} · commit {commit()} · {machine()} · "
                f"{a.jobs} jobs, wrk {a.seconds} s\n\n")
        with open(HERE / "RESULTS.md", "a") as f:
            f.write(head + "\n".join(table) + "\n")
            if missing:
                f.write(f"\nNot measured: {', '.join(missing)} missing.\n")
        print(f"\nappended to {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    sys.exit(main())
