#!/usr/bin/python3
"""The fault suite (issue 15, `make test-faults`): one database, serve killed with SIGKILL at
seeded random moments while noop and exec jobs, schedules on a test clock, workflows, webhook
deliveries (to a receiver that cuts connections) and local-provider exports run; restarted
after each kill. Then eight CLI processes submit and cancel at once while serve runs, and
after a last clean run the invariants are checked (faults_invariants.py). Prints what it did
and every violation; exits 1 when there is one. The same --seed gives the same choices (what
runs, when each kill lands); the machine's timing still varies what each kill interrupts."""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
sys.path.insert(0, str(HERE))

import conftest  # noqa: E402  (the integration tests' Hypersdk and Server)
from cli_storm import cli_storm  # noqa: E402
from cut_receiver import CutReceiver  # noqa: E402
from faults_invariants import Ledger, check_all  # noqa: E402

EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}
START = datetime(2026, 1, 5, 0, 0, tzinfo=timezone.utc)


def config(rx_url, vms, exports):
    return (
        "workers:\n  count: 4\n"
        # Leases on the test clock, which jumps a minute per cycle: long enough that a jump
        # never expires a live lease. A killed serve's leases are rescued at the next start
        # (same host), not by expiry.
        "  lease_ttl: 1h\n"
        "api:\n  rate_limit: {requests_per_second: 100000, burst: 100000}\n"
        f"providers:\n  lab:\n    kind: local\n    dirs: [{vms}]\n"
        f"export:\n  dir: {exports}\n"
        "notifications:\n"
        "  receivers:\n"
        "    hook:\n"
        "      type: webhook\n"
        f"      url: {rx_url}/hook\n"
        "      allow_private: true\n"
        "  routes:\n"
        "    - {match: {event: job.completed}, receivers: [hook]}\n"
        "    - {match: {event: job.failed}, receivers: [hook]}\n"
        "    - {match: {event: workflow.completed}, receivers: [hook]}\n"
        "  retry:\n    base: 100ms\n    cap: 1s\n    max_attempts: 100\n"
    )


def workflow(n):
    sh = lambda s: {"argv": ["/bin/sh", "-c", s]}
    return {"name": f"fault-wf-{n}", "steps": [
        {"name": "a", "type": "noop"},
        {"name": "b", "type": "exec", "payload": sh("sleep 0.2"), "depends_on": ["a"]},
        {"name": "c", "type": "exec", "payload": sh("true"), "depends_on": ["a"]},
        {"name": "d", "type": "noop", "depends_on": ["b", "c"]},
    ]}


class Driver:
    def __init__(self, args, tmp: Path):
        self.args = args
        self.rng = random.Random(args.seed)
        self.rx = CutReceiver(args.seed)
        self.h = conftest.Hypersdk(tmp)
        self.h.env.update(EXEC_ON)
        self.clock_at = START
        self.clock = conftest.FakeClock(self.h, self._iso())
        vms = tmp / "vms"
        (vms / "vm-1").mkdir(parents=True)
        (vms / "vm-1" / "disk.raw").write_bytes(random.Random(args.seed).randbytes(2 << 20))
        self.h.write_config(config(self.rx.url, vms, tmp / "exports"))
        self.ledger = Ledger()
        self.kills = 0
        self.srv = None

    def _iso(self):
        return self.clock_at.strftime("%Y-%m-%dT%H:%M:%SZ")

    def advance(self, minutes=1):
        self.clock_at += timedelta(minutes=minutes)
        self.clock.set(self._iso())

    def serve(self):
        self.srv = self.h.serve(*self.clock.args(), env=EXEC_ON)
        return self.srv

    # One action against the running serve (or the database when it is down); every id it
    # gets back is an accepted job the ledger must find at the end.
    def act(self, srv, cycle):
        r = self.rng.random()
        if r < 0.35:
            self.api_submit(srv, {"type": "noop"})
        elif r < 0.55:
            self.api_submit(srv, {"type": "exec", "payload": {
                "argv": ["sleep", f"0.{self.rng.randint(1, 6)}"]}})
        elif r < 0.70:
            self.cli_submit("--type", "exec", "--", "true")
        elif r < 0.78:
            self.cli_submit("--local", "--type", "noop")
        elif r < 0.90 and self.ledger.cancellable():
            job = self.rng.choice(self.ledger.cancellable())
            self.ledger.cancel_requested.add(job)
            if self.rng.random() < 0.5:
                srv.api("POST", f"/api/v1/jobs/{job}/cancel")
            else:
                self.h.run("cancel", "--id", job)
        elif r < 0.95:
            n = len(self.ledger.workflows)
            status, _, body = srv.api("POST", "/api/v1/workflows", workflow(n))
            if status in (200, 201):
                self.ledger.workflows.append(body["id"])
        else:
            self.api_submit(srv, {"type": "export", "payload": {
                "provider": "lab", "vm": "vm-1", "format": "ova"}}, export=True)

    def api_submit(self, srv, body, export=False):
        status, _, job = srv.api("POST", "/api/v1/jobs", body)
        if status in (200, 201):
            self.ledger.accept(job["id"], export=export)
        else:
            self.ledger.note(f"api submit answered {status}: {job}")

    def cli_submit(self, *args):
        r = self.h.run("submit", *args)
        self.ledger.cli_result("submit " + " ".join(args), r)
        if r.returncode == 0:
            self.ledger.accept(r.stdout.strip())

    def background_submitter(self, srv, stop):
        """Submits over HTTP without pause, so some kills land in the middle of a request; only
        answered ones count as accepted."""
        while not stop.is_set():
            try:
                status, _, job = srv.api("POST", "/api/v1/jobs", {"type": "noop"})
                if status in (200, 201):
                    self.ledger.accept(job["id"])
                time.sleep(0.01)
            except (OSError, http.client.HTTPException):  # serve died mid-answer
                time.sleep(0.01)

    def cycle(self, i):
        srv = self.serve()
        self.advance()
        stop = threading.Event()
        bg = threading.Thread(target=self.background_submitter, args=(srv, stop), daemon=True)
        bg.start()
        kill_at = time.monotonic() + self.rng.uniform(0.05, 1.5)
        while time.monotonic() < kill_at:
            try:
                self.act(srv, i)
            except (OSError, http.client.HTTPException) as e:  # serve died mid-answer
                self.ledger.note(f"cycle {i}: {e!r}")
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        stop.set()
        bg.join()
        self.kills += 1
        if self.rng.random() < 0.15:  # the CLI on the database while no serve runs
            self.cli_submit("--type", "noop")

    def run(self):
        self.h.run("schedule", "create", "--name", "every-minute", "--cron", "* * * * *",
                   "--type", "noop", "--overlap", "allow", check=True)
        self.h.run("schedule", "create", "--name", "exec-2min", "--cron", "*/2 * * * *",
                   "--type", "exec", "--command", "true", "--catchup", "all", check=True)
        t0 = time.monotonic()
        for i in range(self.args.kills):
            self.cycle(i)
            if (i + 1) % 10 == 0:
                print(f"faults: {i + 1} kills, {len(self.ledger.accepted)} jobs accepted, "
                      f"{time.monotonic() - t0:.0f}s", flush=True)
        t_kills = time.monotonic() - t0
        srv = self.serve()
        storm = cli_storm(self.h, self.ledger, self.args.seed, processes=8, rounds=12)
        for name in ("every-minute", "exec-2min"):
            self.h.run("schedule", "pause", "--name", name, check=True)
        self.settle(srv)
        code = srv.stop()
        if code != 0:
            self.ledger.note(f"serve exited {code} on SIGTERM")
        return t_kills, storm, code

    def settle(self, srv, timeout=180):
        """Lets the last serve finish everything: the clock moves on (retry backoffs and
        notification retries come due) until no job, workflow or delivery is unfinished."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.ledger.unfinished(self.h.db):
                return True
            self.advance()
            time.sleep(0.5)
        self.ledger.note(f"not settled after {timeout}s: {self.ledger.unfinished(self.h.db)}")
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=int(os.environ.get("FAULT_SEED", "1")))
    ap.add_argument("--kills", type=int, default=int(os.environ.get("FAULT_KILLS", "50")))
    ap.add_argument("--bin", default=os.environ.get("HYPERSDK_BIN", "build/hypersdk"))
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    args = ap.parse_args()
    conftest.BIN = str(Path(args.bin).resolve())
    tmp = Path(tempfile.mkdtemp(prefix="hypersdk-faults-"))
    t0 = time.monotonic()
    d = Driver(args, tmp)
    ok = False
    try:
        t_kills, storm, _ = d.run()
        violations, checks, stats = check_all(d.h, d.ledger, d.rx)
        print(f"faults: seed {args.seed}, {d.kills} kills in {t_kills:.0f}s, "
              f"total {time.monotonic() - t0:.0f}s")
        for k, v in stats.items():
            print(f"  {k}: {v}")
        print(f"  cli storm: {storm}")
        for n in d.ledger.notes[:20]:
            print(f"  note: {n}")
        print(f"checks: {checks}, violations: {len(violations)}")
        for v in violations:
            print(f"  VIOLATION: {v}")
        ok = not violations
    finally:
        d.h.close()
        d.rx.close()
        if ok and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"data kept in {tmp}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
