"""Shared fixtures for integration tests: the real hypersdk binary as a subprocess, a fresh
HOME and database per test, real HTTP on loopback."""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BIN = os.environ.get("HYPERSDK_BIN") or str(Path(__file__).resolve().parents[2] / "build" / "hypersdk")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hypersdk:
    """One isolated installation: its own HOME, config and database. The database is created
    up front with `db migrate`, as an operator's install does (only `serve` and `db migrate`
    create one; every other command on a missing database fails); create_db=False leaves it
    absent."""

    def __init__(self, tmp: Path, create_db: bool = True):
        self.tmp = tmp
        self.home = tmp / "home"
        self.home.mkdir()
        self.db = tmp / "hypersdk.db"
        self.config = tmp / "hypersdk.yaml"
        self.config.write_text("")
        self.env = {
            "HOME": str(self.home),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
        }
        self.servers = []
        if create_db:
            self.run("db", "migrate", "--no-backup", check=True)

    def remove_db(self):
        """Back to a host without a database (for tests of what must not create one)."""
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.db) + suffix).unlink(missing_ok=True)

    def write_config(self, text: str):
        self.config.write_text(text)

    def run(self, *args, env=None, timeout=60, check=False, input=None):
        e = dict(self.env)
        e.update(env or {})
        cmd = [BIN, "--config", str(self.config), "--db", str(self.db), *args]
        r = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise AssertionError(f"{cmd} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def json(self, *args, **kw):
        r = self.run(*args, "--json", check=True, **kw)
        return json.loads(r.stdout)

    def submit(self, *args, **kw):
        r = self.run("submit", *args, check=True, **kw)
        return r.stdout.strip()

    def serve(self, *args, env=None, port=None, host="127.0.0.1"):
        srv = Server(self, port or free_port(), args, env, host)
        self.servers.append(srv)
        return srv

    def close(self):
        for s in self.servers:
            s.kill()


class Server:
    def __init__(self, h: Hypersdk, port: int, args, env, host="127.0.0.1"):
        self.h = h
        self.db = h.db
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        e = dict(h.env)
        e.update(env or {})
        self.log_path = h.tmp / f"serve-{port}-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "w")
        cmd = [BIN, "--config", str(h.config), "--db", str(self.db), "serve",
               "--listen", f"{host}:{port}", *args]
        self.proc = subprocess.Popen(cmd, env=e, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.output()}")
            try:
                status, _, _ = self.request("GET", "/api/v1/health")
                if status == 200 and self.registered():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("serve did not become healthy and registered: " + self.output())

    def registered(self):
        """Whether serve has recorded itself in the database's server registry, as it does
        right after its API listens (and before READY=1), so CLI commands use it."""
        try:
            with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5) as c:
                return c.execute("SELECT 1 FROM servers WHERE pid = ?", (self.proc.pid,)).fetchone() is not None
        except sqlite3.Error:
            return False

    def output(self):
        self.log.flush()
        return self.log_path.read_text()

    def request(self, method, path, body=None, headers=None, timeout=10):
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def api(self, method, path, body=None, headers=None):
        status, hdrs, data = self.request(method, path, body, headers)
        return status, hdrs, (json.loads(data) if data else None)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=timeout)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def h(tmp_path):
    inst = Hypersdk(tmp_path)
    yield inst
    inst.close()


class FakeClock:
    """The clock file that serve and the CLI read their time from."""

    def __init__(self, h, start):
        self.path = Path(h.tmp) / "clock"
        self.set(start)
        h.env["HYPERSDK_TEST_CLOCK_FILE"] = str(self.path)

    def set(self, iso):
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(iso + "\n")
        tmp.replace(self.path)
        time.sleep(0.1)  # the engine polls the file every 20 ms

    def args(self):
        return ("--test-clock-file", str(self.path))


def wait_for(pred, timeout=30, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")


# A skipped test is not a passed one. ctest knows only the exit code of a whole file, and
# pytest exits 0 when tests were skipped, so a file with a skip would show as "Passed". It exits
# SKIPPED_EXIT instead, which tests/CMakeLists.txt declares as SKIP_RETURN_CODE: ctest then
# lists the file as "Skipped" (pytest -rs names the test and the reason). A missing tool is
# not a reason to skip: those tests fail.
SKIPPED_EXIT = 77
_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _skipped and exitstatus == 0:
        session.exitstatus = SKIPPED_EXIT
