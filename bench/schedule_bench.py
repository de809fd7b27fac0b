#!/usr/bin/python3
"""Scheduler scale (issue 14 item 4): 100,000 schedules in `hypersdk serve`.

seed:     `hypersdk db migrate`, one `schedule create` through the real CLI (the real row
          shape), then SQL copies of that row (the create path for 100k rows in seconds).
load:     the scheduler's own "schedules loaded" log line (count, load_ms) at serve start.
rss:      serve's VmRSS from /proc once loaded; idle_cpu: utime+stime from /proc/PID/stat over
          --idle seconds while nothing is due (the schedules fire once a year).
lateness: --due of the schedules get a cron firing at the next whole minute (real time);
          fire lateness p50/p99 = when 50%/99% of the occurrences' jobs became claimable -
          the nominal fire time, where claimable = committed (the count of jobs polled every
          5 ms from 5 s before the minute) and run_at reached: a job armed ahead (committed
          before the minute with run_at = nominal) is claimable at the nominal time, one
          written at the fire when its commit is seen. start lateness = the job's started_at
          - nominal (bound by the worker pool's drain rate, not the scheduler: reported
          beside it as jobs started per second between the first and the last start).
          --due 0 skips it.

Usage: bench/schedule_bench.py [BUILD_DIR] [--schedules N] [--due D] [--idle S] [--no-arm]
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve_bench  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def seed(binary, db, n, due, cron_due):
    subprocess.run([binary, "--db", str(db), "db", "migrate"], check=True,
                   capture_output=True)
    subprocess.run([binary, "--db", str(db), "schedule", "create", "--name", "s1", "--cron",
                    "0 3 1 1 *", "--timezone", "UTC", "--type", "noop"], check=True,
                   capture_output=True)
    con = sqlite3.connect(str(db))
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(schedules)")
                if r[1] not in ("id", "name", "cron")]
        names = ", ".join(cols)
        con.execute(f"WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                    f" INSERT INTO schedules (name, cron, {names})"
                    f" SELECT 's' || n.i, CASE WHEN n.i <= ? THEN ? ELSE cron END, {names}"
                    f" FROM schedules, n WHERE schedules.id = 1", (n, due, cron_due))
        if due >= 1:
            con.execute("UPDATE schedules SET cron = ? WHERE id = 1", (cron_due,))
        con.execute("UPDATE schedule_generation SET generation = generation + 1")
        con.commit()
    finally:
        con.close()


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def measure(build, schedules=100_000, due=10_000, idle=20, log=print, arm=True):
    binary = str(Path(build) / "hypersdk")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "sched.db"
        # The next whole minute that leaves time to start serve and measure idle first.
        fire = (int(time.time()) // 60 + 1) * 60
        while fire - time.time() < idle + 25:
            fire += 60
        t = time.gmtime(fire)
        seed(binary, db, schedules, due, f"{t.tm_min} {t.tm_hour} * * *")
        config = Path(tmp) / "config.yaml"
        config.write_text("db:\n  synchronous: NORMAL\nworkers:\n  count: 4\n"
                          "log:\n  level: info\n  format: json\n"
                          + ("" if arm else "scheduler:\n  arm_ahead: false\n"))
        logf = open(Path(tmp) / "serve.log", "w")
        port = serve_bench.free_port()
        t0 = time.monotonic()
        proc = subprocess.Popen([binary, "--config", str(config), "--db", str(db), "serve",
                                 "--listen", f"127.0.0.1:{port}"], stdout=logf, stderr=logf)
        try:
            loaded = None

            def find_loaded():
                nonlocal loaded
                for line in Path(logf.name).read_text().splitlines():
                    if "schedules loaded" in line:
                        loaded = json.loads(line)
                        return True
                return False
            serve_bench.wait_http(port)
            ready_s = time.monotonic() - t0
            try:  # a binary older than the "schedules loaded" line has no load figure
                serve_bench.wait_until(find_loaded, 60)
            except SystemExit:
                loaded = {}
            time.sleep(1)
            rss = rss_kb(proc.pid)
            c0, w0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(idle)
            idle_cpu = (cpu_seconds(proc.pid) - c0) / (time.monotonic() - w0) * 100
            rss_idle = rss_kb(proc.pid)
            if due == 0:
                return {"schedules": schedules, "load_ms": loaded.get("load_ms"),
                        "rss_mb": round(rss / 1024, 1), "rss_idle_mb": round(rss_idle / 1024, 1),
                        "idle_cpu_pct": round(idle_cpu, 2)}
            # When each job became visible (committed), by polling the count: the rows' own
            # created_at is the tick's start, not its commit. From before the scheduler's
            # lookahead (3 s), so jobs armed ahead are seen committed before the minute.
            while time.time() < fire - 5:
                time.sleep(0.2)
            seen = []  # (wall ms, jobs committed)
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            try:
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    n = con.execute("SELECT count(*) FROM jobs"
                                    " WHERE schedule_id IS NOT NULL").fetchone()[0]
                    seen.append((time.time() * 1000, n))
                    if n >= due:
                        break
                    time.sleep(0.005)
                # Then until every job has started (armed ones start at the minute, after
                # the count above was reached), so start lateness covers them all.
                while time.monotonic() < deadline:
                    n = con.execute("SELECT count(*) FROM jobs WHERE schedule_id IS NOT NULL"
                                    " AND started_at IS NOT NULL").fetchone()[0]
                    if n >= due:
                        break
                    time.sleep(0.05)
            finally:
                con.close()
            rss_after = rss_kb(proc.pid)
        finally:
            proc.terminate()
            proc.wait()
            logf.close()
        con = sqlite3.connect(str(db))
        rec = [r[0] - r[1] for r in con.execute(
            "SELECT recorded_at, nominal_fire_utc FROM schedule_occurrences")]
        started = [r[0] - r[1] for r in con.execute(
            "SELECT j.started_at, o.nominal_fire_utc FROM schedule_occurrences o"
            " JOIN jobs j ON j.id = o.job_id WHERE j.started_at IS NOT NULL")]
        armed = con.execute(
            "SELECT count(*) FROM schedule_occurrences WHERE recorded_at < nominal_fire_utc"
        ).fetchone()[0]
        span = con.execute("SELECT min(started_at), max(started_at), count(*) FROM jobs"
                           " WHERE schedule_id IS NOT NULL AND started_at IS NOT NULL").fetchone()
        con.close()

    def committed_by(frac):
        # Claimable: committed and run_at (at the earliest the nominal time) reached.
        return max(next(t for t, n in seen if n >= frac * due), fire * 1000) - fire * 1000
    drain = (round((span[2] - 1) * 1000 / (span[1] - span[0]))
             if span[2] and span[2] > 1 and span[1] > span[0] else None)
    res = {"schedules": schedules, "due": due, "load_ms": loaded.get("load_ms"),
           "ready_s": round(ready_s, 2), "rss_mb": round(rss / 1024, 1),
           "rss_idle_mb": round(rss_idle / 1024, 1), "rss_after_fire_mb": round(rss_after / 1024, 1),
           "idle_cpu_pct": round(idle_cpu, 2),
           "fire_lateness_p50_ms": round(committed_by(0.5)),
           "fire_lateness_p99_ms": round(committed_by(0.99)),
           "fired": len(rec), "armed": armed, "drain_jobs_per_s": drain,
           "first_start_ms": min(started) if started else None,
           "start_lateness_p50_ms": pct(started, 0.5) if started else None,
           "start_lateness_p99_ms": pct(started, 0.99) if started else None}
    log(f"scheduler: {schedules:,} schedules: load {res['load_ms']} ms, RSS {res['rss_mb']} MB "
        f"(after fire {res['rss_after_fire_mb']} MB), idle CPU {res['idle_cpu_pct']}% over {idle} s; "
        f"{due:,} due in one minute: fire lateness p50 {res['fire_lateness_p50_ms']} ms, p99 "
        f"{res['fire_lateness_p99_ms']} ms (start p50 {res['start_lateness_p50_ms']}, p99 "
        f"{res['start_lateness_p99_ms']} ms; {armed:,} armed ahead; drain {drain} jobs/s)")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--schedules", type=int, default=100_000)
    ap.add_argument("--due", type=int, default=10_000)
    ap.add_argument("--idle", type=int, default=20)
    ap.add_argument("--no-arm", action="store_true",
                    help="scheduler.arm_ahead: false (every job written at the minute)")
    a = ap.parse_args()
    print(json.dumps(measure(a.build, a.schedules, a.due, a.idle, arm=not a.no_arm)))


if __name__ == "__main__":
    main()
